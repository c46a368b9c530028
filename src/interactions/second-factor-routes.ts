// The second step of a sign-in: after the password, a TOTP code, a passkey or a recovery code; or,
// for a user who must have a factor and has none, enrolment (TOTP or passkey, then recovery codes
// shown once). Enrolment is decided on the server at every one of its routes: only for an account
// that must have a factor and has none, and only after the password was typed in this very sign-in
// (a session cookie alone enrols nothing); a sign-in never adds a factor to an account that has one
// (that is the account page's, after one of its factors was proven). The authenticator key and the
// passkey challenge an enrolment page shows live in this sign-in's sealed state alone. The session
// is created only when this step is done (and a new password an administrator required is chosen),
// with amr = pwd + the factor and the multi-factor acr. The checks themselves are shared with the
// account's security page (src/accounts/second-factor-verification.ts); this file is the sign-in's pages
// around them.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Interaction } from 'oidc-provider';
import { ACR_MFA, requestedAcrs } from '../accounts/second-factor-requirement.ts';
import { amrForCredential, passkeyOptionsJson } from '../accounts/passkeys.ts';
import { codeOf, codeRefusal, createSecondFactorChecks, WRONG_RECOVERY_CODE } from '../accounts/second-factor-verification.ts';
import { AppError } from '../http/app-error.ts';
import { readForm } from '../http/form-body.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import type { Account } from '../storage/accounts.ts';
import { describeFactors } from '../storage/mfa.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { InteractionKit } from './interaction-kit.ts';
import type { SignInFinisher } from './password-change-routes.ts';
import type { SignInState } from './sign-in-state.ts';
import { restartSignIn, signInStepOf } from './sign-in-step.ts';

export function registerSecondFactorRoutes(
  router: Router,
  kit: InteractionKit,
  deps: InteractionDeps,
  finishSignIn: SignInFinisher['finishSignIn'],
): void {
  const checks = createSecondFactorChecks(deps);

  // Every route here is registered behind the sign-in-state middleware (routes.ts, sign-in-step.ts):
  // its handler runs only with this sign-in's state at the account's current epoch, and reads them.

  /**
   * Whether this sign-in may enrol a factor now: the password was typed in it, and the account must
   * have a factor and has none (asked afresh: it may have got one since the page was shown).
   */
  async function mayEnrol(details: Interaction, state: SignInState, account: Account): Promise<boolean> {
    if (!state.passwordProven) return false;
    const step = await deps.mfa.stepFor(account, String(details.params.client_id), requestedAcrs(details.params, details.params.claims));
    return step === 'enrol';
  }

  /** A request for a step this sign-in is not at: sent to the step it is at. */
  function toCurrentStep(ctx: Context, details: Interaction) {
    ctx.status = 303;
    ctx.redirect(`/interaction/${details.uid}/second-factor`);
  }

  const facts = (ctx: Context, details: Interaction, account: Account) => ({
    ...requestFacts(ctx),
    actor: { type: 'user' as const, id: account.id },
    clientId: String(details.params.client_id),
  });

  async function complete(ctx: Context, details: Interaction, state: SignInState, account: Account, factor: string, method: string) {
    deps.signInStates.clear(ctx);
    const amr = [...new Set([...state.amr, factor])];
    await finishSignIn(ctx, details, account, {
      amr,
      acr: ACR_MFA,
      secondFactor: method,
      epoch: state.epoch,
      passwordProven: state.passwordProven,
    });
  }

  /** The step this sign-in is at: a factor the account has, enrolment when it may enrol, else the start. */
  async function renderChallenge(ctx: Context, details: Interaction, state: SignInState, account: Account, error?: string, status = 200) {
    const factors = await describeFactors(deps.db, account.id);
    if (!factors.totp && factors.passkeys === 0) {
      if (await mayEnrol(details, state, account)) return renderEnrolment(ctx, details, state, account, error, status);
      restartSignIn(ctx, deps.signInStates, details.uid);
      return;
    }
    const passkey = factors.passkeys > 0 ? await checks.passkeyChallenge(account) : undefined;
    // an enrolment's key and registration challenge are dropped: this sign-in proves, it does not add
    deps.signInStates.write(ctx, { ...state, challenge: passkey?.challenge, registrationChallenge: undefined, pendingTotp: undefined });
    kit.html(
      ctx,
      'second-factor',
      {
        uid: details.uid,
        clientName: await kit.clientName(String(details.params.client_id)),
        email: account.email,
        totp: factors.totp,
        passkeyOptions: passkey && passkeyOptionsJson(passkey),
        recoveryCodesLeft: factors.recoveryCodesLeft,
        error,
      },
      status,
    );
  }

  /** The enrolment page (callers checked `mayEnrol`): this sign-in's own key, kept in its state until confirmed. */
  async function renderEnrolment(ctx: Context, details: Interaction, state: SignInState, account: Account, error?: string, status = 200) {
    const totp = await checks.totpEnrolment(account, state.pendingTotp);
    const passkey = await checks.passkeyRegistration(account);
    deps.signInStates.write(ctx, { ...state, challenge: undefined, registrationChallenge: passkey.challenge, pendingTotp: totp.key });
    kit.html(
      ctx,
      'second-factor-enrol',
      {
        uid: details.uid,
        email: account.email,
        qrSvg: totp.qrSvg,
        secret: totp.display,
        passkeyOptions: passkeyOptionsJson(passkey),
        error,
      },
      status,
    );
  }

  /** Recovery codes for a user who just enrolled their first factor: shown once, stored hashed, audited with them. */
  async function issueRecoveryCodes(ctx: Context, details: Interaction, state: SignInState, account: Account, enrolled: string) {
    const codes = await checks.issueRecoveryCodes(account.id, (tx, count) =>
      deps.audit.recordWithin(tx, {
        ...facts(ctx, details, account),
        type: 'mfa.recovery_codes_replaced',
        outcome: 'success',
        target: { type: 'user', id: account.id },
        details: { count },
      }),
    );
    deps.signInStates.write(ctx, { ...state, enrolled, challenge: undefined, registrationChallenge: undefined, pendingTotp: undefined });
    kit.html(ctx, 'recovery-codes', { uid: details.uid, codes });
  }

  router.get('/second-factor', async (ctx) => {
    const { interaction: details, state, account } = signInStepOf(ctx);
    if (state.enrolled) {
      kit.html(ctx, 'recovery-codes', { uid: details.uid, codes: undefined });
      return;
    }
    await renderChallenge(ctx, details, state, account);
  });

  router.post('/second-factor/totp', async (ctx) => {
    const { interaction: details, state, account } = signInStepOf(ctx);
    const outcome = await checks.totp(account, codeOf(await readForm(ctx)), facts(ctx, details, account));
    if (outcome === 'ok') return complete(ctx, details, state, account, 'otp', 'totp');
    if (outcome === 'not_enrolled') return renderChallenge(ctx, details, state, account);
    await renderChallenge(ctx, details, state, account, codeRefusal(outcome), 401);
  });

  router.get('/second-factor/recovery', async (ctx) => {
    kit.html(ctx, 'recovery-code', { uid: signInStepOf(ctx).interaction.uid, error: undefined });
  });

  router.post('/second-factor/recovery', async (ctx) => {
    const { interaction: details, state, account } = signInStepOf(ctx);
    const outcome = await checks.recoveryCode(account, codeOf(await readForm(ctx)), facts(ctx, details, account));
    if (outcome !== 'ok') {
      kit.html(ctx, 'recovery-code', { uid: details.uid, error: codeRefusal(outcome, WRONG_RECOVERY_CODE) }, 401);
      return;
    }
    // a recovery code is a one-time password (RFC 8176 `otp`)
    await complete(ctx, details, state, account, 'otp', 'recovery_code');
  });

  router.post('/second-factor/passkey', async (ctx) => {
    const { interaction: details, state, account } = signInStepOf(ctx);
    const form = await readForm(ctx);
    const credential = await checks.passkey(account, form.credential, state.challenge, facts(ctx, details, account));
    if (!credential)
      return renderChallenge(ctx, details, state, account, 'The passkey could not be verified. Try again, or use another way.', 401);
    await complete(ctx, details, state, account, amrForCredential(credential), 'passkey');
  });

  router.post('/second-factor/totp/enrol', async (ctx) => {
    const { interaction: details, state, account } = signInStepOf(ctx);
    const form = await readForm(ctx);
    if (!(await mayEnrol(details, state, account))) {
      toCurrentStep(ctx, details);
      return;
    }
    const outcome = await checks.confirmTotpEnrolment(account, state.pendingTotp, codeOf(form), facts(ctx, details, account), 'first');
    if (outcome === 'not_pending' || outcome === 'not_allowed') {
      toCurrentStep(ctx, details);
      return;
    }
    if (outcome !== 'ok') return renderEnrolment(ctx, details, state, account, codeRefusal(outcome), 401);
    await issueRecoveryCodes(ctx, details, state, account, 'otp');
  });

  router.post('/second-factor/passkey/register', async (ctx) => {
    const { interaction: details, state, account } = signInStepOf(ctx);
    const form = await readForm(ctx);
    if (!(await mayEnrol(details, state, account))) {
      toCurrentStep(ctx, details);
      return;
    }
    const stored = await checks.registerPasskey(
      account,
      form.credential,
      state.registrationChallenge,
      form.name,
      facts(ctx, details, account),
      'first',
    );
    if (!stored)
      return renderEnrolment(
        ctx,
        details,
        state,
        account,
        'The passkey could not be registered. Try again, or use an authenticator app.',
        400,
      );
    await issueRecoveryCodes(ctx, details, state, account, amrForCredential(stored));
  });

  router.post('/second-factor/done', async (ctx) => {
    const { interaction: details, state, account } = signInStepOf(ctx);
    await readForm(ctx);
    // `enrolled` is only ever written by a successful enrolment of this sign-in (the state is sealed)
    if (!state.enrolled || !state.passwordProven) throw new AppError('wrong_step', 'No second factor was enrolled in this sign-in.', 400);
    await complete(ctx, details, state, account, state.enrolled, 'enrolment');
  });
}
