// Signing in with a passkey alone, from the sign-in page: the browser answers the page's challenge
// with a discoverable credential (src/accounts/passkey-sign-in.ts checks it), and the sign-in
// finishes with the multi-factor acr and amr [hwk|swk, user]: a passkey verified with a PIN or
// biometric is two factors, so the MFA requirement asks for nothing more. A route reachable before
// any password (there is no sign-in state yet): the interaction must be at its login prompt, the form
// must come from this origin (page-router.ts), and the challenge must be the one this browser holds
// for this interaction, spent at its first answer.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Interaction } from 'oidc-provider';
import { amrForPasskeySignIn } from '../accounts/passkeys.ts';
import type { PasskeySignIn, PasskeySignInRefusal } from '../accounts/passkey-sign-in.ts';
import { ACR_MFA } from '../accounts/second-factor-requirement.ts';
import { AppError } from '../http/app-error.ts';
import { readForm } from '../http/form-body.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { RenderLoginPage } from './login-page.ts';
import type { SignInFinisher } from './password-change-routes.ts';
import { ACCOUNT_DISABLED } from './password-refusal.ts';
import { interactionOf } from './sign-in-step.ts';

export const PASSKEY_NOT_ACCEPTED = 'That passkey could not be used to sign in. Try again, or sign in with your email and password.';
export const PASSWORD_CHANGE_FIRST =
  'You need to choose a new password before you can sign in. Sign in with your email and current password to choose it.';

/** The once-only store's scope for sign-in challenges (a challenge is 32 random bytes: unique anyway). */
const ONCE_SCOPE = 'passkey-sign-in';

export function registerPasskeySignInRoutes(
  router: Router,
  deps: InteractionDeps,
  passkeys: PasskeySignIn,
  renderLogin: RenderLoginPage,
  finishSignIn: SignInFinisher['finishSignIn'],
): void {
  async function refuse(
    ctx: Context,
    details: Interaction,
    reason: PasskeySignInRefusal | 'challenge_not_valid' | 'password_change_required',
    accountId?: string,
  ) {
    deps.onLoginAttempt('failure');
    deps.audit.record({
      ...requestFacts(ctx),
      type: 'login.failed',
      outcome: 'failure',
      clientId: String(details.params.client_id),
      ...(accountId ? { target: { type: 'user' as const, id: accountId } } : {}),
      details: { method: 'passkey', reason },
    });
    const error =
      reason === 'account_disabled'
        ? ACCOUNT_DISABLED
        : reason === 'password_change_required'
          ? PASSWORD_CHANGE_FIRST
          : PASSKEY_NOT_ACCEPTED;
    await renderLogin(ctx, details, { email: '', error }, 401);
  }

  router.post('/passkey', async (ctx) => {
    const details = interactionOf(ctx);
    if (details.prompt.name !== 'login') throw new AppError('wrong_step', 'This step of the sign-in is already done.', 400);
    const form = await readForm(ctx);
    // Spent before anything is checked: whatever the answer, right or wrong, a challenge gets one.
    // The sealed cookie binds it to this interaction and browser; the once-only store (Redis or the
    // database, shared by every process) stops the same cookie and answer being sent again.
    const held = deps.signInStates.takePasskeyChallenge(ctx, details.uid);
    if (!held || !(await deps.onceOnly.firstUse(ONCE_SCOPE, held.challenge, new Date(held.expiresAt))))
      return refuse(ctx, details, 'challenge_not_valid');
    const outcome = await passkeys.verify(form.credential, held.challenge);
    if (!outcome.ok) return refuse(ctx, details, outcome.reason, outcome.accountId);
    const { account, credential } = outcome;
    // An administrator required a new password: it is chosen after the current one is typed in this
    // sign-in (password-change-routes.ts), and a passkey does not stand in for that, or the required
    // change would never happen for a user who signs in with a passkey.
    if (account.passwordChangeRequired) return refuse(ctx, details, 'password_change_required', account.id);
    deps.onLoginAttempt('success');
    // a password sign-in this browser left half-way (at its second step) is over: this one finished
    deps.signInStates.clear(ctx);
    await finishSignIn(ctx, details, account, {
      amr: amrForPasskeySignIn(credential),
      acr: ACR_MFA,
      epoch: account.credentialEpoch,
      passwordProven: false,
      passkey: credential.id,
    });
  });
}
