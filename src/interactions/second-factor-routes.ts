// The second step of a sign-in: after the password, a TOTP code, a passkey or a recovery code; or,
// for a user who must have a factor and has none, enrolment (TOTP or passkey, then recovery codes
// shown once). The session is created only when this step is done (and a new password an
// administrator required is chosen), with amr = pwd + the factor and the multi-factor acr. The checks
// themselves are shared with the account's security page (src/accounts/second-factor-checks.ts);
// this file is the sign-in's pages around them.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Interaction } from 'oidc-provider';
import { ACR_MFA } from '../accounts/mfa-requirement.ts';
import { amrForCredential, passkeyOptionsJson } from '../accounts/passkeys.ts';
import { codeOf, codeRefusal, createSecondFactorChecks, WRONG_RECOVERY_CODE } from '../accounts/second-factor-checks.ts';
import { AppError } from '../http/app-error.ts';
import { readForm } from '../http/form-body.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { findAccountById, type Account } from '../storage/accounts.ts';
import { describeFactors } from '../storage/mfa.ts';
import type { InteractionDeps } from './routes.ts';
import type { InteractionKit } from './interaction-kit.ts';
import type { SignInFinisher } from './password-change-routes.ts';
import type { SignInState } from './sign-in-state.ts';

export function registerSecondFactorRoutes(router: Router, kit: InteractionKit, deps: InteractionDeps, finishSignIn: SignInFinisher['finishSignIn']): void {
  const checks = createSecondFactorChecks(deps);

  /** The interaction and its sign-in state; without a state (expired, another browser) back to the password. */
  async function step(ctx: Context): Promise<{ details: Interaction; state: SignInState; account: Account } | undefined> {
    const details = await kit.load(ctx);
    if (details.prompt.name !== 'login') throw new AppError('wrong_step', 'This step of the sign-in is already done.', 400);
    const state = deps.signInStates.read(ctx, details.uid);
    const account = state && (await findAccountById(deps.db, state.accountId));
    if (!state || !account || account.disabled) {
      deps.signInStates.clear(ctx);
      ctx.status = 303;
      ctx.redirect(`/interaction/${details.uid}`);
      return undefined;
    }
    return { details, state, account };
  }

  const facts = (ctx: Context, details: Interaction, account: Account) => ({
    ...requestFacts(ctx),
    actor: { type: 'user' as const, id: account.id },
    clientId: String(details.params.client_id),
  });

  async function complete(ctx: Context, details: Interaction, state: SignInState, account: Account, factor: string, method: string) {
    deps.signInStates.clear(ctx);
    const amr = [...new Set([...state.amr, factor])];
    await finishSignIn(ctx, details, account, { amr, acr: ACR_MFA, secondFactor: method });
  }

  async function renderChallenge(ctx: Context, details: Interaction, state: SignInState, account: Account, error?: string, status = 200) {
    const factors = await describeFactors(deps.db, account.id);
    if (!factors.totp && factors.passkeys === 0) return renderEnrolment(ctx, details, state, account, error, status);
    const passkey = factors.passkeys > 0 ? await checks.passkeyChallenge(account) : undefined;
    if (passkey) deps.signInStates.write(ctx, { ...state, challenge: passkey.challenge, expiresAt: state.expiresAt });
    kit.html(ctx, 'second-factor', {
      uid: details.uid, clientName: await kit.clientName(String(details.params.client_id)), email: account.email,
      totp: factors.totp, passkeyOptions: passkey && passkeyOptionsJson(passkey), recoveryCodesLeft: factors.recoveryCodesLeft, error,
    }, status);
  }

  async function renderEnrolment(ctx: Context, details: Interaction, state: SignInState, account: Account, error?: string, status = 200) {
    const totp = await checks.totpEnrolment(account);
    const passkey = await checks.passkeyRegistration(account);
    deps.signInStates.write(ctx, { ...state, challenge: passkey.challenge, expiresAt: state.expiresAt });
    kit.html(ctx, 'second-factor-enrol', {
      uid: details.uid, email: account.email, qrSvg: totp.qrSvg, secret: totp.secret, passkeyOptions: passkeyOptionsJson(passkey), error,
    }, status);
  }

  /** Recovery codes for a user who just enrolled their first factor: shown once, stored hashed. */
  async function issueRecoveryCodes(ctx: Context, details: Interaction, state: SignInState, account: Account, enrolled: string) {
    const codes = await checks.issueRecoveryCodes(account.id);
    deps.signInStates.write(ctx, { ...state, enrolled, expiresAt: state.expiresAt });
    kit.html(ctx, 'recovery-codes', { uid: details.uid, codes });
  }

  router.get('/second-factor', async (ctx) => {
    const current = await step(ctx);
    if (!current) return;
    if (current.state.enrolled) return kit.html(ctx, 'recovery-codes', { uid: current.details.uid, codes: undefined });
    await renderChallenge(ctx, current.details, current.state, current.account);
  });

  router.post('/second-factor/totp', async (ctx) => {
    const current = await step(ctx);
    if (!current) return;
    const { details, state, account } = current;
    const outcome = await checks.totp(account, codeOf(await readForm(ctx)), facts(ctx, details, account));
    if (outcome === 'ok') return complete(ctx, details, state, account, 'otp', 'totp');
    if (outcome === 'not_enrolled') return renderChallenge(ctx, details, state, account);
    await renderChallenge(ctx, details, state, account, codeRefusal(outcome), 401);
  });

  router.get('/second-factor/recovery', async (ctx) => {
    const current = await step(ctx);
    if (!current) return;
    kit.html(ctx, 'recovery-code', { uid: current.details.uid, error: undefined });
  });

  router.post('/second-factor/recovery', async (ctx) => {
    const current = await step(ctx);
    if (!current) return;
    const { details, state, account } = current;
    const outcome = await checks.recoveryCode(account, codeOf(await readForm(ctx)), facts(ctx, details, account));
    if (outcome !== 'ok') return kit.html(ctx, 'recovery-code', { uid: details.uid, error: codeRefusal(outcome, WRONG_RECOVERY_CODE) }, 401);
    // a recovery code is a one-time password (RFC 8176 `otp`)
    await complete(ctx, details, state, account, 'otp', 'recovery_code');
  });

  router.post('/second-factor/passkey', async (ctx) => {
    const current = await step(ctx);
    if (!current) return;
    const { details, state, account } = current;
    const form = await readForm(ctx);
    const credential = await checks.passkey(account, form.credential, state.challenge, facts(ctx, details, account));
    if (!credential) return renderChallenge(ctx, details, state, account, 'The passkey could not be verified. Try again, or use another way.', 401);
    await complete(ctx, details, state, account, amrForCredential(credential), 'passkey');
  });

  router.post('/second-factor/totp/enrol', async (ctx) => {
    const current = await step(ctx);
    if (!current) return;
    const { details, state, account } = current;
    const outcome = await checks.confirmTotpEnrolment(account, codeOf(await readForm(ctx)), facts(ctx, details, account));
    if (outcome === 'not_pending') return renderChallenge(ctx, details, state, account);
    if (outcome !== 'ok') return renderEnrolment(ctx, details, state, account, codeRefusal(outcome), 401);
    await issueRecoveryCodes(ctx, details, state, account, 'otp');
  });

  router.post('/second-factor/passkey/register', async (ctx) => {
    const current = await step(ctx);
    if (!current) return;
    const { details, state, account } = current;
    const form = await readForm(ctx);
    const stored = await checks.registerPasskey(account, form.credential, state.challenge, form.name, facts(ctx, details, account));
    if (!stored) return renderEnrolment(ctx, details, state, account, 'The passkey could not be registered. Try again, or use an authenticator app.', 400);
    await issueRecoveryCodes(ctx, details, state, account, amrForCredential(stored));
  });

  router.post('/second-factor/done', async (ctx) => {
    const current = await step(ctx);
    if (!current) return;
    await readForm(ctx);
    if (!current.state.enrolled) throw new AppError('wrong_step', 'No second factor was enrolled in this sign-in.', 400);
    await complete(ctx, current.details, current.state, current.account, current.state.enrolled, 'enrolment');
  });
}
