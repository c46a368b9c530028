// The second step of a sign-in: after the password, a TOTP code, a passkey or a recovery code; or,
// for a user who must have a factor and has none, enrolment (TOTP or passkey, then recovery codes
// shown once). The session is created only when this step is done, with amr = pwd + the factor and
// the multi-factor acr.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Interaction } from 'oidc-provider';
import { ACR_MFA } from '../accounts/mfa-requirement.ts';
import { amrForCredential, authenticationOptions, credentialIdOf, normalizeCredentialName, passkeyOptionsJson, registrationOptions, relyingPartyFor, verifyAuthentication, verifyRegistration } from '../accounts/passkeys.ts';
import { generateRecoveryCodes, hashRecoveryCode } from '../accounts/recovery-codes.ts';
import { decryptTotpSecret, encryptTotpSecret, generateTotpSecret, totpQrSvg, totpStepOf, totpUri } from '../accounts/totp.ts';
import { AppError } from '../http/app-error.ts';
import { readForm } from '../http/form-body.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { findAccountById, type Account } from '../storage/accounts.ts';
import { confirmTotp, describeFactors, findTotp, remainingRecoveryCodes, replaceRecoveryCodes, startTotpEnrolment, useRecoveryCode, useTotpStep } from '../storage/mfa.ts';
import { findCredential, insertCredential, listCredentials, recordCredentialUse } from '../storage/webauthn-credentials.ts';
import type { InteractionDeps } from './routes.ts';
import type { InteractionKit } from './interaction-kit.ts';
import type { SignInState } from './sign-in-state.ts';

const WRONG_CODE = 'That code is not right. Check the time on your device and try again.';
const TOO_MANY = 'Too many wrong codes. Wait a while, then try again.';

export function registerSecondFactorRoutes(router: Router, kit: InteractionKit, deps: InteractionDeps): void {
  const rp = relyingPartyFor(deps.issuer);

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
    deps.audit.record({ ...facts(ctx, details, account), type: 'login.succeeded', outcome: 'success', details: { amr, secondFactor: method } });
    await kit.finish(ctx, details, { login: { accountId: account.id, amr, acr: ACR_MFA } });
  }

  async function renderChallenge(ctx: Context, details: Interaction, state: SignInState, account: Account, error?: string, status = 200) {
    const factors = await describeFactors(deps.db, account.id);
    if (!factors.totp && factors.passkeys === 0) return renderEnrolment(ctx, details, state, account, error, status);
    const passkey = factors.passkeys > 0 ? await authenticationOptions(rp, await listCredentials(deps.db, account.id)) : undefined;
    if (passkey) deps.signInStates.write(ctx, { ...state, challenge: passkey.challenge, expiresAt: state.expiresAt });
    kit.html(ctx, 'second-factor', {
      uid: details.uid, clientName: await kit.clientName(String(details.params.client_id)), email: account.email,
      totp: factors.totp, passkeyOptions: passkey && passkeyOptionsJson(passkey), recoveryCodesLeft: factors.recoveryCodesLeft, error,
    }, status);
  }

  async function renderEnrolment(ctx: Context, details: Interaction, state: SignInState, account: Account, error?: string, status = 200) {
    // one secret per enrolment: reloading the page shows the QR code already scanned
    let secret: string;
    const pending = await findTotp(deps.db, account.id);
    if (pending && !pending.confirmed) {
      secret = decryptTotpSecret(deps.keys.encryptionKey, account.id, pending.secretEncrypted);
    } else {
      secret = generateTotpSecret();
      await startTotpEnrolment(deps.db, account.id, encryptTotpSecret(deps.keys.encryptionKey, account.id, secret));
    }
    const uri = totpUri(secret, { issuer: new URL(deps.issuer).host, account: account.email });
    const passkey = await registrationOptions(rp, account, await listCredentials(deps.db, account.id));
    deps.signInStates.write(ctx, { ...state, challenge: passkey.challenge, expiresAt: state.expiresAt });
    kit.html(ctx, 'second-factor-enrol', {
      uid: details.uid, email: account.email, qrSvg: await totpQrSvg(uri), secret: secret.replace(/(.{4})/g, '$1 ').trim(),
      passkeyOptions: passkeyOptionsJson(passkey), error,
    }, status);
  }

  /** Counts a code attempt before checking it; a locked count refuses without checking. */
  async function checkCode(ctx: Context, details: Interaction, account: Account, factor: string, check: () => Promise<boolean>): Promise<'ok' | 'wrong' | 'locked'> {
    const admission = await deps.guard.admitSecondFactor(account.id);
    if (!admission.admitted) {
      deps.audit.record({ ...facts(ctx, details, account), type: 'mfa.failed', outcome: 'failure', target: { type: 'user', id: account.id }, details: { factor, reason: 'locked' } });
      return 'locked';
    }
    if (await check()) {
      await admission.succeeded();
      return 'ok';
    }
    const lock = admission.failed();
    deps.audit.record({ ...facts(ctx, details, account), type: 'mfa.failed', outcome: 'failure', target: { type: 'user', id: account.id }, details: { factor, reason: 'wrong_code' } });
    if (lock.lockedUntil) {
      await deps.audit.recordDurable({
        ...facts(ctx, details, account), type: 'account.locked', outcome: 'success', target: { type: 'user', id: account.id },
        details: { factor, failures: lock.failures, lockedUntil: lock.lockedUntil.toISOString() },
      });
    }
    return 'wrong';
  }

  const codeOf = (form: Record<string, string | undefined>) => (form.code ?? '').replace(/\s+/g, '').slice(0, 64);

  /** Recovery codes for a user who just enrolled their first factor: shown once, stored hashed. */
  async function issueRecoveryCodes(ctx: Context, details: Interaction, state: SignInState, account: Account, enrolled: string) {
    const codes = generateRecoveryCodes();
    await replaceRecoveryCodes(deps.db, account.id, codes.map((code) => hashRecoveryCode(deps.keys.recoveryCodeKey, code)));
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
    kit.assertSameOrigin(ctx);
    const current = await step(ctx);
    if (!current) return;
    const { details, state, account } = current;
    const code = codeOf(await readForm(ctx));
    const totp = await findTotp(deps.db, account.id);
    if (!totp?.confirmed) return renderChallenge(ctx, details, state, account);
    const outcome = await checkCode(ctx, details, account, 'totp', async () => {
      const step = totpStepOf(decryptTotpSecret(deps.keys.encryptionKey, account.id, totp.secretEncrypted), code, Date.now());
      // the UPDATE that moves last_used_step past this step is the one acceptance: a replayed code,
      // or the same code sent to another process at the same moment, finds it already moved
      return step !== undefined && (await useTotpStep(deps.db, account.id, step));
    });
    if (outcome === 'ok') return complete(ctx, details, state, account, 'otp', 'totp');
    await renderChallenge(ctx, details, state, account, outcome === 'locked' ? TOO_MANY : WRONG_CODE, 401);
  });

  router.get('/second-factor/recovery', async (ctx) => {
    const current = await step(ctx);
    if (!current) return;
    kit.html(ctx, 'recovery-code', { uid: current.details.uid, error: undefined });
  });

  router.post('/second-factor/recovery', async (ctx) => {
    kit.assertSameOrigin(ctx);
    const current = await step(ctx);
    if (!current) return;
    const { details, state, account } = current;
    const code = codeOf(await readForm(ctx));
    const outcome = await checkCode(ctx, details, account, 'recovery_code', () => useRecoveryCode(deps.db, account.id, hashRecoveryCode(deps.keys.recoveryCodeKey, code)));
    if (outcome !== 'ok') {
      return kit.html(ctx, 'recovery-code', { uid: details.uid, error: outcome === 'locked' ? TOO_MANY : 'That recovery code is not valid, or was used already.' }, 401);
    }
    const remaining = await remainingRecoveryCodes(deps.db, account.id);
    await deps.audit.recordDurable({ ...facts(ctx, details, account), type: 'mfa.recovery_code_used', outcome: 'success', target: { type: 'user', id: account.id }, details: { remaining } });
    // a recovery code is a one-time password (RFC 8176 `otp`)
    await complete(ctx, details, state, account, 'otp', 'recovery_code');
  });

  router.post('/second-factor/passkey', async (ctx) => {
    kit.assertSameOrigin(ctx);
    const current = await step(ctx);
    if (!current) return;
    const { details, state, account } = current;
    const form = await readForm(ctx);
    const credentialId = credentialIdOf(form.credential);
    const credential = credentialId ? await findCredential(deps.db, credentialId) : undefined;
    const verified = credential && credential.accountId === account.id && state.challenge
      ? await verifyAuthentication(rp, form.credential, state.challenge, credential)
      : undefined;
    if (!credential || !verified || !(await recordCredentialUse(deps.db, credential.id, verified.newSignCount))) {
      deps.audit.record({ ...facts(ctx, details, account), type: 'mfa.failed', outcome: 'failure', target: { type: 'user', id: account.id }, details: { factor: 'passkey', reason: 'not_verified' } });
      return renderChallenge(ctx, details, state, account, 'The passkey could not be verified. Try again, or use another way.', 401);
    }
    await complete(ctx, details, state, account, amrForCredential(credential), 'passkey');
  });

  router.post('/second-factor/totp/enrol', async (ctx) => {
    kit.assertSameOrigin(ctx);
    const current = await step(ctx);
    if (!current) return;
    const { details, state, account } = current;
    const code = codeOf(await readForm(ctx));
    const totp = await findTotp(deps.db, account.id);
    if (!totp || totp.confirmed) return renderChallenge(ctx, details, state, account);
    const outcome = await checkCode(ctx, details, account, 'totp', async () => {
      const step = totpStepOf(decryptTotpSecret(deps.keys.encryptionKey, account.id, totp.secretEncrypted), code, Date.now());
      return step !== undefined && (await confirmTotp(deps.db, account.id, step));
    });
    if (outcome !== 'ok') return renderEnrolment(ctx, details, state, account, outcome === 'locked' ? TOO_MANY : WRONG_CODE, 401);
    await deps.audit.recordDurable({ ...facts(ctx, details, account), type: 'mfa.enrolled', outcome: 'success', target: { type: 'user', id: account.id }, details: { factor: 'totp' } });
    await issueRecoveryCodes(ctx, details, state, account, 'otp');
  });

  router.post('/second-factor/passkey/register', async (ctx) => {
    kit.assertSameOrigin(ctx);
    const current = await step(ctx);
    if (!current) return;
    const { details, state, account } = current;
    const form = await readForm(ctx);
    const name = normalizeCredentialName(form.name ?? '') ?? 'Passkey';
    const registered = state.challenge ? await verifyRegistration(rp, form.credential, state.challenge) : undefined;
    // a credential id already stored (this or another account's) is not registered twice
    const stored = registered && (await insertCredential(deps.db, { ...registered, accountId: account.id, name }));
    if (!stored) return renderEnrolment(ctx, details, state, account, 'The passkey could not be registered. Try again, or use an authenticator app.', 400);
    await deps.audit.recordDurable({ ...facts(ctx, details, account), type: 'mfa.enrolled', outcome: 'success', target: { type: 'user', id: account.id }, details: { factor: 'passkey', name } });
    await issueRecoveryCodes(ctx, details, state, account, amrForCredential(registered));
  });

  router.post('/second-factor/done', async (ctx) => {
    kit.assertSameOrigin(ctx);
    const current = await step(ctx);
    if (!current) return;
    await readForm(ctx);
    if (!current.state.enrolled) throw new AppError('wrong_step', 'No second factor was enrolled in this sign-in.', 400);
    await complete(ctx, current.details, current.state, current.account, current.state.enrolled, 'enrolment');
  });
}
