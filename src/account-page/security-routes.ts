// The user's own "Sign-in security" page, /account/security: see the second factors of the account,
// remove one, add an authenticator app or a passkey, replace the recovery codes. Not an OIDC client
// of this server: whoever opens it proves who they are right here, with the password and then the
// second factor the account has (the same checks, locks and messages as a sign-in), and gets a
// sealed cookie worth 10 minutes (account-session.ts), void after any reset of the account. Every
// change needs that cookie, comes from a form of this origin, and is audited in the transaction that
// makes it, with the user as actor. A proof of the password alone stands only while the account has no
// factor: a factor is added to, or removed from, an account that has one only after one was proven.
import type Router from '@koa/router';
import type { Context } from 'koa';
import type { Config } from '../config.ts';
import type { PasswordAuthenticator } from '../accounts/authenticate.ts';
import type { LoginGuard } from '../accounts/lockout.ts';
import type { DeviceCookies } from '../accounts/device-cookie.ts';
import { amrForCredential, passkeyOptionsJson } from '../accounts/passkeys.ts';
import {
  codeOf,
  codeRefusal,
  createSecondFactorChecks,
  WRONG_RECOVERY_CODE,
  type CheckFacts,
} from '../accounts/second-factor-verification.ts';
import { readForm } from '../http/form-body.ts';
import { pageRouter } from '../http/page-router.ts';
import type { InteractionKit } from '../interactions/interaction-kit.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import type { DerivedKeys } from '../security/derived-keys.ts';
import type { Account } from '../storage/accounts.ts';
import type { Database, Queryable } from '../storage/database.ts';
import { describeFactors } from '../storage/mfa.ts';
import { listCredentials } from '../storage/webauthn-credentials.ts';
import { provedAFactor, type AccountSession, type AccountSessions } from './account-session.ts';
import { accountSessionAt, accountSessionOf, loadAccountSession, requireAccountStage, type Signed } from './account-page-guard.ts';
import { mustKeepAFactor, removeSecondFactor, type FactorToRemove } from './factor-removal.ts';
import { ACCOUNT_PATH, returnPath } from './return-to.ts';
import { answerRefusedPassword } from '../interactions/password-refusal.ts';

export interface AccountSecurityDeps {
  db: Database;
  authenticator: PasswordAuthenticator;
  guard: LoginGuard;
  /** A browser that signed in before is not held by the account lock here either. */
  deviceCookies: DeviceCookies;
  accountSessions: AccountSessions;
  keys: Pick<DerivedKeys, 'encryptionKey' | 'recoveryCodeKey'>;
  /** The interaction pages' rendering, reused as it is (cross-site posts are refused by the router: page-router.ts). */
  kit: Pick<InteractionKit, 'html'>;
  audit: AuditTrail;
  issuer: string;
  mfaPolicy: Config['mfaPolicy'];
}

export const ACCOUNT_SECURITY_PATH = '/account/security';

/** Messages after a redirect, by a fixed key in the query: nothing the URL says is echoed. */
const NOTICES: Record<string, string> = {
  confirm: 'For your security, confirm it is you before changing how you sign in.',
  signed_out: 'You left the sign-in security page.',
  totp_added: 'Your authenticator app is on.',
  totp_removed: 'Your authenticator app was removed.',
  passkey_added: 'Your passkey was added.',
  passkey_removed: 'Your passkey was removed.',
};

const LAST_FACTOR = 'Your account must keep at least one second factor; add another first, then remove this one.';
const NO_SUCH_FACTOR = 'There is no such second factor on your account.';

/** `2025-01-31 14:05 UTC` from an ISO timestamp. */
const readableTime = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;

/**
 * The re-authentication's first step, as the security page and the account page show it; `returnTo`
 * (return-to.ts) rides along in the form, to where the browser goes once it is proven.
 */
export function renderAccountSignIn(
  kit: Pick<InteractionKit, 'html'>,
  ctx: Context,
  view: { email?: string; error?: string | undefined; notice?: string | undefined; returnTo?: string | undefined },
  status = 200,
): void {
  const forAccount = view.returnTo !== undefined && view.returnTo !== ACCOUNT_SECURITY_PATH;
  kit.html(
    ctx,
    'account-security-sign-in',
    {
      email: view.email ?? '',
      error: view.error,
      notice: view.notice,
      then: view.returnTo,
      title: forAccount ? 'Your account' : 'Sign-in security',
      lead: forAccount ? 'To see or change your account, confirm it is you.' : 'To see or change how you sign in, confirm it is you.',
    },
    status,
  );
}

export function accountSecurityRoutes(deps: AccountSecurityDeps): Router {
  // its first middleware refuses a form from another site (page-router.ts)
  const router = pageRouter(ACCOUNT_SECURITY_PATH, deps.issuer);
  const checks = createSecondFactorChecks(deps);
  const { kit, accountSessions: sessions } = deps;

  const facts = (ctx: Context, account: Account): CheckFacts => ({ ...requestFacts(ctx), actor: { type: 'user', id: account.id } });
  /** Records a change's event inside the change's own transaction `tx`: both commit, or neither. */
  const auditedWithin = (tx: Queryable, ctx: Context, account: Account, type: string, details: Record<string, unknown>) =>
    deps.audit.recordWithin(tx, { ...facts(ctx, account), type, outcome: 'success', target: { type: 'user', id: account.id }, details });

  function redirect(ctx: Context, notice?: keyof typeof NOTICES) {
    ctx.status = 303;
    ctx.redirect(notice ? `${ACCOUNT_SECURITY_PATH}?notice=${notice}` : ACCOUNT_SECURITY_PATH);
  }

  function renderSignIn(ctx: Context, view: { email?: string; error?: string; notice?: string; returnTo?: string }, status = 200) {
    renderAccountSignIn(kit, ctx, view, status);
  }

  /** The second step of the re-authentication, with every factor the account has. */
  async function renderSecondFactor(ctx: Context, { session, account }: Signed, error?: string, status = 200) {
    const factors = await describeFactors(deps.db, account.id);
    if (!factors.totp && factors.passkeys === 0) {
      // the factors went meanwhile (an administrator's reset): the password is all there is to prove
      sessions.write(ctx, { accountId: account.id, stage: 'proven', amr: session.amr, epoch: session.epoch });
      return renderPage(ctx, { session: { ...session, stage: 'proven' }, account });
    }
    const passkey = await checks.passkeyChallenge(account);
    sessions.write(ctx, { ...session, challenge: passkey?.challenge });
    kit.html(
      ctx,
      'account-security-second-factor',
      {
        email: account.email,
        totp: factors.totp,
        passkeyOptions: passkey && passkeyOptionsJson(passkey),
        recoveryCodesLeft: factors.recoveryCodesLeft,
        error,
      },
      status,
    );
  }

  async function renderPage(ctx: Context, { session, account }: Signed, view: { notice?: string; error?: string } = {}, status = 200) {
    const [factors, passkeys, registration] = await Promise.all([
      describeFactors(deps.db, account.id),
      listCredentials(deps.db, account.id),
      checks.passkeyRegistration(account),
    ]);
    sessions.write(ctx, { ...session, registrationChallenge: registration.challenge });
    kit.html(
      ctx,
      'account-security',
      {
        email: account.email,
        totp: factors.totp,
        passkeys: passkeys.map((passkey) => ({
          id: passkey.id,
          name: passkey.name,
          createdAt: passkey.createdAt,
          created: readableTime(passkey.createdAt),
          lastUsedAt: passkey.lastUsedAt,
          lastUsed: passkey.lastUsedAt ? readableTime(passkey.lastUsedAt) : undefined,
        })),
        recoveryCodesLeft: factors.recoveryCodesLeft,
        hasFactor: factors.totp || factors.passkeys > 0,
        mustKeepAFactor: mustKeepAFactor(deps.mfaPolicy, account),
        passkeyOptions: passkeyOptionsJson(registration),
        notice: view.notice,
        error: view.error,
      },
      status,
    );
  }

  /** New recovery codes, shown once; the previous set stops working in the same transaction. */
  async function replaceRecoveryCodes(ctx: Context, account: Account, notice?: string) {
    const codes = await checks.issueRecoveryCodes(account.id, (tx, count) =>
      auditedWithin(tx, ctx, account, 'mfa.recovery_codes_replaced', { count }),
    );
    kit.html(ctx, 'account-security-codes', { codes, notice });
  }

  /** After a factor was added: a first factor (or one added when no code was left) comes with recovery codes. */
  async function afterEnrolment(ctx: Context, account: Account, notice: 'totp_added' | 'passkey_added') {
    if ((await describeFactors(deps.db, account.id)).recoveryCodesLeft === 0) return replaceRecoveryCodes(ctx, account, NOTICES[notice]);
    redirect(ctx, notice);
  }

  /**
   * The second step is done: the session is proven from now on, for the next 10 minutes (at `epoch`),
   * and the browser goes where its re-authentication began (`returnTo`: the account page, a link).
   */
  function reauthenticated(ctx: Context, account: Account, amr: string[], epoch: number, returnTo: string | undefined) {
    sessions.write(ctx, { accountId: account.id, stage: 'proven', amr, epoch });
    deps.audit.record({
      ...facts(ctx, account),
      type: 'account.reauthenticated',
      outcome: 'success',
      target: { type: 'user', id: account.id },
      details: { amr },
    });
    const destination = returnPath(returnTo);
    if (!destination) {
      redirect(ctx);
      return;
    }
    ctx.status = 303;
    ctx.redirect(destination);
  }

  // --- Open to anyone: signing in and out (the password's own checks and locks are the guard) -------

  router.post('/sign-in', async (ctx) => {
    const form = await readForm(ctx);
    const email = (form.email ?? '').trim();
    // where the browser goes once proven: only the shapes return-to.ts knows, anything else is ignored
    const returnTo = returnPath(form.then);
    // the sign-in page's authenticator: the same lockout, address and pair throttles, same timing
    const result = await deps.authenticator.authenticate(email, form.password ?? '', ctx.ip, deps.deviceCookies.read(ctx));
    if (!result.ok) {
      const error = await answerRefusedPassword(ctx, deps.audit, result, email, { details: { page: 'account_security' } });
      renderSignIn(ctx, { email: email.slice(0, 320), error, returnTo }, 401);
      return;
    }
    // an account without a second factor has only its password to prove
    const epoch = result.account.credentialEpoch;
    if (!result.hasSecondFactor) {
      reauthenticated(ctx, result.account, ['pwd'], epoch, returnTo);
      return;
    }
    sessions.write(ctx, { accountId: result.account.id, stage: 'password', amr: ['pwd'], epoch, returnTo });
    redirect(ctx);
  });

  router.post('/sign-out', async (ctx) => {
    const form = await readForm(ctx);
    sessions.clear(ctx);
    // the account page signs out here too (one session for both pages), and is shown again after
    if (returnPath(form.then) === ACCOUNT_PATH) {
      ctx.status = 303;
      ctx.redirect(`${ACCOUNT_PATH}?notice=signed_out`);
      return;
    }
    redirect(ctx, 'signed_out');
  });

  // --- Every route below: this browser's session and account, loaded before the handler --------------
  router.use(loadAccountSession(deps));

  router.get('/', async (ctx) => {
    const notice = typeof ctx.query.notice === 'string' && Object.hasOwn(NOTICES, ctx.query.notice) ? NOTICES[ctx.query.notice] : undefined;
    const current = accountSessionOf(ctx);
    if (!current) {
      renderSignIn(ctx, { notice });
      return;
    }
    if (current.session.stage === 'password') return renderSecondFactor(ctx, current);
    await renderPage(ctx, current, { notice });
  });

  // --- The re-authentication's second step: a session half-way, else back to where the browser stands -
  const halfWay = requireAccountStage('password', (ctx) => redirect(ctx));

  router.post('/totp', halfWay, async (ctx) => {
    const current = accountSessionAt(ctx, 'password');
    const outcome = await checks.totp(current.account, codeOf(await readForm(ctx)), facts(ctx, current.account));
    if (outcome === 'ok') {
      reauthenticated(ctx, current.account, ['pwd', 'otp'], current.session.epoch, current.session.returnTo);
      return;
    }
    if (outcome === 'not_enrolled') return renderSecondFactor(ctx, current);
    await renderSecondFactor(ctx, current, codeRefusal(outcome), 401);
  });

  router.post('/recovery', halfWay, async (ctx) => {
    const current = accountSessionAt(ctx, 'password');
    const outcome = await checks.recoveryCode(current.account, codeOf(await readForm(ctx)), facts(ctx, current.account));
    if (outcome === 'ok') {
      reauthenticated(ctx, current.account, ['pwd', 'otp'], current.session.epoch, current.session.returnTo);
      return;
    }
    await renderSecondFactor(ctx, current, codeRefusal(outcome, WRONG_RECOVERY_CODE), 401);
  });

  router.post('/passkey', halfWay, async (ctx) => {
    const current = accountSessionAt(ctx, 'password');
    const form = await readForm(ctx);
    const credential = await checks.passkey(current.account, form.credential, current.session.challenge, facts(ctx, current.account));
    if (credential) {
      reauthenticated(ctx, current.account, ['pwd', amrForCredential(credential)], current.session.epoch, current.session.returnTo);
      return;
    }
    await renderSecondFactor(ctx, current, 'The passkey could not be verified. Try again, or use another way.', 401);
  });

  // --- Changes (a proven, recent session) ----------------------------------------------------------
  // Router middleware runs in the order it is registered: every route registered below this line
  // runs only for a browser whose session is fully proven and recent; anything less changes nothing
  // and is sent to the re-authentication. A route added below is guarded without asking; the routes
  // above are the only ones reachable without it (test/security/guard-bypass.test.ts names them, and
  // tries every other route without a session).
  router.use(requireAccountStage('proven', (ctx) => redirect(ctx, 'confirm')));

  async function remove(ctx: Context, current: Signed, which: FactorToRemove) {
    const outcome = await removeSecondFactor(deps.db, current.account.id, which, deps.mfaPolicy, (tx, removed) =>
      auditedWithin(tx, ctx, current.account, 'mfa.removed', {
        factor: which.factor,
        ...(removed.name === undefined ? {} : { name: removed.name }),
        ...(removed.recoveryCodesWithdrawn > 0 ? { recoveryCodesWithdrawn: removed.recoveryCodesWithdrawn } : {}),
      }),
    );
    if (!outcome.removed) {
      return renderPage(
        ctx,
        current,
        { error: outcome.reason === 'last_factor' ? LAST_FACTOR : NO_SUCH_FACTOR },
        outcome.reason === 'last_factor' ? 409 : 404,
      );
    }
    redirect(ctx, which.factor === 'totp' ? 'totp_removed' : 'passkey_removed');
  }

  router.post('/totp/remove', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    await readForm(ctx);
    await remove(ctx, current, { factor: 'totp' });
  });

  router.post('/passkeys/remove', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    const form = await readForm(ctx);
    await remove(ctx, current, { factor: 'passkey', id: (form.id ?? '').slice(0, 1400) });
  });

  router.post('/recovery-codes', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    await readForm(ctx);
    const factors = await describeFactors(deps.db, current.account.id);
    // codes stand in for a factor: without one they would let nobody in, so none are made
    if (!factors.totp && factors.passkeys === 0)
      return renderPage(ctx, current, { error: 'Add a second factor first: recovery codes stand in for one.' }, 409);
    await replaceRecoveryCodes(ctx, current.account);
  });

  /** Whom this session may add a factor to: a proof of the password alone adds only a first one. */
  const enrolmentScope = (session: AccountSession) => (provedAFactor(session) ? 'another' : 'first');

  /** The authenticator-app page with this session's own key, kept in the session until confirmed. */
  async function renderTotpEnrolment(ctx: Context, { session, account }: Signed, error?: string, status = 200) {
    const totp = await checks.totpEnrolment(account, session.pendingTotp);
    sessions.write(ctx, { ...session, pendingTotp: totp.key });
    kit.html(ctx, 'account-security-totp', { qrSvg: totp.qrSvg, secret: totp.display, error }, status);
  }

  /** A factor was added, its possession proven by that very step: the session counts it as proven. */
  function withFactorProven(ctx: Context, session: AccountSession, method: string) {
    sessions.write(ctx, {
      ...session,
      amr: [...new Set([...session.amr, method])],
      pendingTotp: undefined,
      registrationChallenge: undefined,
    });
  }

  router.get('/totp/add', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    if ((await describeFactors(deps.db, current.account.id)).totp) {
      redirect(ctx);
      return;
    }
    await renderTotpEnrolment(ctx, current);
  });

  router.post('/totp/add', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    const { session, account } = current;
    const outcome = await checks.confirmTotpEnrolment(
      account,
      session.pendingTotp,
      codeOf(await readForm(ctx)),
      facts(ctx, account),
      enrolmentScope(session),
    );
    if (outcome === 'not_pending' || outcome === 'not_allowed') {
      redirect(ctx);
      return;
    }
    if (outcome !== 'ok') return renderTotpEnrolment(ctx, current, codeRefusal(outcome), 401);
    withFactorProven(ctx, session, 'otp');
    await afterEnrolment(ctx, account, 'totp_added');
  });

  router.post('/passkeys/add', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    const { session, account } = current;
    const form = await readForm(ctx);
    const stored = await checks.registerPasskey(
      account,
      form.credential,
      session.registrationChallenge,
      form.name,
      facts(ctx, account),
      enrolmentScope(session),
    );
    if (!stored) return renderPage(ctx, current, { error: 'The passkey could not be added. Try again.' }, 400);
    // the challenge is spent
    withFactorProven(ctx, session, amrForCredential(stored));
    await afterEnrolment(ctx, account, 'passkey_added');
  });

  return router;
}
