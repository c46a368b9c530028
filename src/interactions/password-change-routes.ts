// The last step of a sign-in, when an administrator required a new password (users
// require-password-change, or set-password with mustChange): once the password and, when one is
// needed, the second factor are proven, and before the interaction finishes (no session, no code),
// the user chooses a new password: twice, under the same policy as everywhere a password is set, and
// not the current one. Then the flag is cleared and the login finishes with what was proven.
//
// Every sign-in finishes through `finishSignIn` (the password step without a second factor, and the
// second-factor step), so none can finish around this page.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Interaction } from 'oidc-provider';
import { checkPassword, serviceNamesFor, type PasswordProblem } from '../accounts/password-policy.ts';
import { hashPassword, normalizePassword, verifyPassword } from '../accounts/passwords.ts';
import { stillProven } from '../accounts/credential-epoch.ts';
import { readForm } from '../http/form-body.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { findAccountForUpdate, setAccountPassword, type Account, type AccountWithCredentials } from '../storage/accounts.ts';
import { notifyChange } from '../storage/database.ts';
import { describeFactors } from '../storage/mfa.ts';
import type { InteractionKit } from './interaction-kit.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { passwordChangeStepOf, requirePasswordChangeDue, type PasswordChangeStep } from './sign-in-step.ts';

/**
 * What a sign-in proved: the methods (RFC 8176), the acr they make, the second factor used if any;
 * the account's credential epoch the proof began at, and whether the password was typed in this
 * sign-in (see SignInState).
 */
export interface ProvenLogin {
  amr: string[];
  acr: string;
  secondFactor?: string;
  epoch: number;
  passwordProven: boolean;
  /** The credential id of the passkey a sign-in with a passkey alone used (for the audit trail). */
  passkey?: string;
}

export interface SignInFinisher {
  /** Finishes the sign-in, or first asks for the new password the account must choose. */
  finishSignIn: (ctx: Context, details: Interaction, account: Account, login: ProvenLogin) => Promise<void>;
  /** Finishes the sign-in now (the new password is chosen, or no longer required). */
  finishNow: (ctx: Context, details: Interaction, accountId: string, login: ProvenLogin, passwordChanged?: boolean) => Promise<void>;
}

export const PASSWORDS_DIFFER = 'The two passwords do not match. Type the same new password twice.';
export const SAME_PASSWORD = 'The new password must be different from your current one.';

/** A policy refusal as the page says it: the policy's own words ("password must be at least 15 characters"). */
const describeProblem = (problem: PasswordProblem) => `The new ${problem.message}.`;

const facts = (ctx: Context, details: Interaction, accountId: string) => ({
  ...requestFacts(ctx),
  actor: { type: 'user' as const, id: accountId },
  clientId: String(details.params.client_id),
});

export function createSignInFinisher(kit: InteractionKit, deps: InteractionDeps): SignInFinisher {
  async function finishNow(ctx: Context, details: Interaction, accountId: string, login: ProvenLogin, passwordChanged = false) {
    deps.audit.record({
      ...facts(ctx, details, accountId),
      type: 'login.succeeded',
      outcome: 'success',
      details: {
        amr: login.amr,
        ...(login.secondFactor ? { secondFactor: login.secondFactor } : {}),
        ...(login.passkey ? { passkey: login.passkey } : {}),
        ...(passwordChanged ? { credentialChanged: true } : {}),
      },
    });
    await kit.finish(ctx, details, { login: { accountId, amr: login.amr, acr: login.acr } });
    // this browser completed a sign-in to the account: a known browser from now on (lockout.ts), until
    // the account's next reset. Its own new password just moved the epoch on by one (setAccountPassword).
    deps.deviceCookies.issue(ctx, accountId, passwordChanged ? login.epoch + 1 : login.epoch);
  }

  async function finishSignIn(ctx: Context, details: Interaction, account: Account, login: ProvenLogin) {
    if (!account.passwordChangeRequired) return finishNow(ctx, details, account.id, login);
    if (!login.passwordProven) {
      // a step-up of a session: a new password is chosen only after the current one was typed here
      deps.signInStates.clear(ctx);
      ctx.status = 303;
      ctx.redirect(`/interaction/${details.uid}`);
      return;
    }
    deps.audit.record({
      ...facts(ctx, details, account.id),
      type: 'login.password_change_due',
      outcome: 'success',
      details: { amr: login.amr },
    });
    deps.signInStates.write(ctx, {
      uid: details.uid,
      accountId: account.id,
      amr: login.amr,
      epoch: login.epoch,
      passwordProven: true,
      passwordChange: { acr: login.acr, ...(login.secondFactor ? { secondFactor: login.secondFactor } : {}) },
    });
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}/change-password`);
  }

  return { finishSignIn, finishNow };
}

/**
 * The page itself. Registered behind the sign-in-state middleware (routes.ts), and here behind its
 * own: only the password typed in this sign-in, at the account's current epoch, with every factor
 * proven (sign-in-step.ts), leads to it; anything else goes back to the start.
 */
export function registerPasswordChangeRoutes(
  router: Router,
  kit: InteractionKit,
  deps: InteractionDeps,
  { finishNow }: SignInFinisher,
): void {
  router.use('/change-password', requirePasswordChangeDue(deps.signInStates));

  const loginOf = (state: PasswordChangeStep['state']): ProvenLogin => ({
    amr: state.amr,
    acr: state.passwordChange.acr,
    ...(state.passwordChange.secondFactor ? { secondFactor: state.passwordChange.secondFactor } : {}),
    epoch: state.epoch,
    passwordProven: state.passwordProven,
  });

  /** A user with a second factor may have the shorter minimum, as wherever a password is set. */
  async function hasSecondFactor(accountId: string): Promise<boolean> {
    const factors = await describeFactors(deps.db, accountId);
    return factors.totp || factors.passkeys > 0;
  }

  async function render(ctx: Context, details: Interaction, account: Account, withSecondFactor: boolean, error?: string, status = 200) {
    kit.html(
      ctx,
      'change-password',
      {
        uid: details.uid,
        clientName: await kit.clientName(String(details.params.client_id)),
        email: account.email,
        minLength: withSecondFactor ? deps.passwords.minLengthWithMfa : deps.passwords.minLength,
        error,
      },
      status,
    );
  }

  /** Why the new password cannot be set, as the page says it; undefined when it can. Cheapest checks first. */
  async function refusalOf(
    account: AccountWithCredentials,
    hasSecondFactor: boolean,
    password: string,
    confirmation: string,
  ): Promise<string | undefined> {
    if (password === '') return 'Enter a new password.';
    if (normalizePassword(password) !== normalizePassword(confirmation)) return PASSWORDS_DIFFER;
    const problem = checkPassword(password, {
      settings: deps.passwords,
      hasSecondFactor,
      context: { email: account.email, name: account.name, serviceNames: serviceNamesFor(deps.issuer) },
    });
    if (problem) return describeProblem(problem);
    if (account.passwordHash && (await verifyPassword(account.passwordHash, password))) return SAME_PASSWORD;
    return undefined;
  }

  router.get('/change-password', async (ctx) => {
    const { interaction: details, account } = passwordChangeStepOf(ctx);
    await render(ctx, details, account, await hasSecondFactor(account.id));
  });

  router.post('/change-password', async (ctx) => {
    const { interaction: details, state, account } = passwordChangeStepOf(ctx);
    const form = await readForm(ctx);
    // No longer required (an administrator withdrew it, or this sign-in's other tab chose one): the
    // sign-in is proven, nothing is left to ask.
    if (!account.passwordChangeRequired) {
      deps.signInStates.clear(ctx);
      return finishNow(ctx, details, account.id, loginOf(state));
    }
    const withSecondFactor = await hasSecondFactor(account.id);
    const refusal = await refusalOf(account, withSecondFactor, form.password ?? '', form.confirmation ?? '');
    if (refusal) return render(ctx, details, account, withSecondFactor, refusal, 400);

    const passwordHash = await hashPassword(form.password!, deps.passwords.argon2);
    const written = await deps.db.transaction(async (tx) => {
      // Compared with what this sign-in proved, not with what this request read: a reset since the
      // password was checked (a new password set by an administrator, sign-out-everywhere) moved the
      // epoch on, and this older sign-in no longer overwrites anything.
      const locked = await findAccountForUpdate(tx, account.id);
      if (!stillProven(state.epoch, locked)) return false;
      await setAccountPassword(tx, account.id, passwordHash, false);
      await notifyChange(tx, 'account', account.id);
      // last, in the same transaction: the new password and its event commit together, or neither
      await deps.audit.recordWithin(tx, {
        ...facts(ctx, details, account.id),
        type: 'user.password_changed',
        outcome: 'success',
        target: { type: 'user', id: account.id },
        details: { required: true },
      });
      return true;
    });
    deps.signInStates.clear(ctx);
    if (!written) {
      ctx.status = 303;
      ctx.redirect(`/interaction/${details.uid}`);
      return;
    }
    await finishNow(ctx, details, account.id, loginOf(state), true);
  });
}
