// The sign-in page of the client an invitation was for, opened in the browser that just accepted it
// (src/registration/invitation-sign-in.ts): the password chosen minutes ago counts as proven, and the
// sign-in goes on exactly as after a typed password (a second factor when one is needed, a consent
// when one is due). Anything that does not fit (another client, a reset since, a disabled account, a
// sign-in that asks for a fresh login or hints at another address) shows the sign-in form as usual.
import type { Context } from 'koa';
import type { Interaction } from 'oidc-provider';
import { stillProven } from '../accounts/credential-epoch.ts';
import { ACR_PASSWORD, requestedAcrs } from '../accounts/second-factor-requirement.ts';
import { takeInvitationSignIn } from '../registration/invitation-sign-in.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { findAccountById } from '../storage/accounts.ts';
import { canonicalEmail } from '../storage/canonical-email.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { SignInFinisher } from './password-change-routes.ts';

/** True when the invitation's proof carried the sign-in on (the answer is sent); false: show the form. */
export async function continueFromInvitation(
  ctx: Context,
  deps: InteractionDeps,
  details: Interaction,
  finishSignIn: SignInFinisher['finishSignIn'],
): Promise<boolean> {
  const clientId = String(details.params.client_id);
  const proof = takeInvitationSignIn(ctx, deps.keys.encryptionKey, clientId, (deps.now?.() ?? new Date()).getTime());
  if (!proof) return false;
  // the relying party asked for a login made now, not one made on another page
  const prompts = typeof details.params.prompt === 'string' ? details.params.prompt.split(' ') : [];
  if (prompts.includes('login') || details.params.max_age !== undefined) return false;
  const account = await findAccountById(deps.db, proof.accountId);
  if (!stillProven(proof.epoch, account)) return false;
  const hint = details.params.login_hint;
  if (typeof hint === 'string' && hint !== '' && canonicalEmail(hint) !== canonicalEmail(account.email)) return false;

  const step = await deps.mfa.stepFor(account, clientId, requestedAcrs(details.params, details.params.claims));
  deps.audit.record({
    ...requestFacts(ctx),
    type: 'login.password_verified',
    outcome: 'success',
    actor: { type: 'user', id: account.id },
    clientId,
    details: { next: step, via: 'invitation' },
  });
  const proven = { epoch: account.credentialEpoch, passwordProven: true };
  if (step !== 'none') {
    deps.signInStates.write(ctx, { uid: details.uid, accountId: account.id, amr: ['pwd'], ...proven });
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}/second-factor`);
    return true;
  }
  await finishSignIn(ctx, details, account, { amr: ['pwd'], acr: ACR_PASSWORD, ...proven });
  return true;
}
