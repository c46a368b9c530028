// The user's account page, /account: their name, email address (changed once the new address
// confirms: email-change.ts), password (own-password.ts), a way to their second factors (the security
// page, /account/security), their sessions and the applications they gave access to (end one, revoke
// one), and deleting the account. It has no sign-in of its own: it is open to the browser proven by
// the security page's re-authentication (password, then the second factor the account has), one
// sealed 10-minute cookie for both pages (account-session.ts), and a browser without it is shown
// that re-authentication's form, which brings it back here.
//
// Every change comes from a form of this origin (the router's first middleware refuses any other:
// page-router.ts), is validated here at the edge, is made for the proven session's own account only
// (never one the form names), and is audited in its own transaction with the user as actor.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { z } from 'zod';
import type { Config } from '../config.ts';
import type { PasswordAuthenticator } from '../accounts/authenticate.ts';
import { checkLink } from '../accounts/account-links.ts';
import type { DeviceCookies } from '../accounts/device-cookie.ts';
import { emailField } from '../admin/users/user-ref.ts';
import { deleteUser } from '../admin/users/delete-user.ts';
import { revokeGrant } from '../admin/sessions/revoke-user-grant.ts';
import { revokeSession } from '../admin/sessions/revoke-user-session.ts';
import type { EmailQueue } from '../email/email-queue.ts';
import { AppError } from '../http/app-error.ts';
import { readForm } from '../http/form-body.ts';
import { pageRouter } from '../http/page-router.ts';
import type { InteractionKit } from '../interactions/interaction-kit.ts';
import { answerRefusedPassword } from '../interactions/password-refusal.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import type { DerivedKeys } from '../security/derived-keys.ts';
import { findAccountForUpdate, updateAccount } from '../storage/accounts.ts';
import { canonicalEmail } from '../storage/canonical-email.ts';
import { notifyChange, type Database } from '../storage/database.ts';
import { describeFactors } from '../storage/mfa.ts';
import { stillProven } from '../accounts/credential-epoch.ts';
import type { CreateLimiter } from '../security/rate-limit/limiter-factory.ts';
import { describeWait } from '../security/rate-limit/rate-limit-headers.ts';
import { spend } from '../security/rate-limit/spend.ts';
import { accountOverview, thisBrowserSession } from './account-overview.ts';
import { accountSessionAt, accountSessionOf, loadAccountSession, requireAccountStage, type Signed } from './account-page-guard.ts';
import type { AccountSessions } from './account-session.ts';
import { asUser } from './as-user.ts';
import { confirmEmailChange, LINK_NOT_VALID, LINK_OF_ANOTHER_ACCOUNT, requestEmailChange } from './email-change.ts';
import { changeOwnPassword, newPasswordRefusal } from './own-password.ts';
import { ACCOUNT_PATH, CONFIRM_EMAIL_PATH, LINK_TOKEN_SHAPE } from './return-to.ts';
import { ACCOUNT_SECURITY_PATH, renderAccountSignIn } from './security-routes.ts';

export interface AccountPageDeps {
  db: Database;
  authenticator: PasswordAuthenticator;
  deviceCookies: DeviceCookies;
  accountSessions: AccountSessions;
  kit: Pick<InteractionKit, 'html'>;
  audit: AuditTrail;
  emails: EmailQueue;
  /** The admin operations the user runs on their own account need them (as-user.ts). */
  keys: DerivedKeys;
  config: Config;
  issuer: string;
  now: () => Date;
  /** The per-account budget of email-change requests (each mails the address typed). */
  createLimiter: CreateLimiter;
}

/** Email-change requests one account may make per hour: each mails a link to the address typed. */
export const EMAIL_CHANGES_PER_HOUR = 5;

/** Messages after a redirect, by a fixed key in the query: nothing the URL says is echoed. */
const NOTICES: Record<string, string> = {
  confirm: 'For your security, confirm it is you before changing your account.',
  signed_out: 'You left your account page.',
  name_changed: 'Your name was changed.',
  email_change_sent:
    'We sent a link to the new address. Your email address changes when you open it there (within 24 hours) and confirm; your current address was told.',
  email_changed: 'Your email address was changed.',
  password_changed: 'Your password was changed. Your other sessions were ended, and applications will ask you to sign in again.',
  session_ended: 'The session was ended.',
  access_revoked: 'The application’s access was revoked.',
};

const NO_SUCH_SESSION = 'There is no such session on your account.';
const NO_SUCH_APPLICATION = 'No such application has access to your account.';
const WRONG_CURRENT_PASSWORD =
  'Your current password is not right. After repeated failures, signing in to your account pauses for a while.';

/** A name is one line of text: no control characters (a line break in it would break every email that greets the user). */
const nameInput = z
  .string()
  .trim()
  .max(200, 'Your name can be at most 200 characters long.')
  .refine((name) => !/\p{Cc}/u.test(name), 'Your name must be one line, without control characters.');

const emailInput = z.string().max(1000, 'Enter an email address.').pipe(emailField);

/** oidc-provider's ids (nanoid), as the admin operations take them. */
const handleInput = z.string().regex(/^[\w-]{1,128}$/);

type Field = 'name' | 'email' | 'current-password' | 'new-password' | 'delete-email';

interface PageView {
  notice?: string | undefined;
  error?: string | undefined;
  /** The field the error is about (the summary links to it, and it points to the message). */
  field?: Field | undefined;
}

export function accountRoutes(deps: AccountPageDeps): Router {
  // its first middleware refuses a form from another site (page-router.ts)
  const router = pageRouter(ACCOUNT_PATH, deps.issuer);
  const { kit, accountSessions: sessions } = deps;
  // without it, one account (anyone's, with REGISTRATION=open) could have this server mail a link,
  // greeted with the name it chose, to address after address, as fast as the form budget allows
  const emailChanges = deps.createLimiter({ name: 'email-change', points: EMAIL_CHANGES_PER_HOUR, durationSeconds: 3600 });

  function redirect(ctx: Context, notice?: keyof typeof NOTICES) {
    ctx.status = 303;
    ctx.redirect(notice ? `${ACCOUNT_PATH}?notice=${notice}` : ACCOUNT_PATH);
  }

  const minLength = async (accountId: string) => {
    const factors = await describeFactors(deps.db, accountId);
    const hasFactor = factors.totp || factors.passkeys > 0;
    return { hasFactor, minLength: hasFactor ? deps.config.passwords.minLengthWithMfa : deps.config.passwords.minLength };
  };

  async function renderPage(ctx: Context, { account }: Signed, view: PageView = {}, status = 200) {
    const thisBrowser = await thisBrowserSession(deps.db, ctx, deps.issuer, account.id);
    const [overview, password] = await Promise.all([accountOverview(deps.db, account.id, thisBrowser), minLength(account.id)]);
    kit.html(
      ctx,
      'account',
      {
        name: account.name ?? '',
        email: account.email,
        emailVerified: account.emailVerified,
        isAdmin: account.isAdmin,
        minLength: password.minLength,
        ...overview,
        notice: view.notice,
        error: view.error,
        field: view.field,
      },
      status,
    );
  }

  /** A change's own event, written in its transaction (last: it takes the audit chain's lock). */
  const recordWithin = (tx: Parameters<AuditTrail['recordWithin']>[0], ctx: Context, accountId: string, type: string, details = {}) =>
    deps.audit.recordWithin(tx, {
      ...requestFacts(ctx),
      type,
      outcome: 'success',
      actor: { type: 'user', id: accountId },
      target: { type: 'user', id: accountId },
      details,
    });

  // --- This browser's session and account, loaded before every handler -----------------------------
  router.use(loadAccountSession(deps));

  // --- Open to anyone: the page (it shows the re-authentication), a link's confirmation page --------
  router.get('/', async (ctx) => {
    const notice = typeof ctx.query.notice === 'string' && Object.hasOwn(NOTICES, ctx.query.notice) ? NOTICES[ctx.query.notice] : undefined;
    const current = accountSessionOf(ctx);
    if (!current) {
      renderAccountSignIn(kit, ctx, { notice, returnTo: ACCOUNT_PATH });
      return;
    }
    if (current.session.stage === 'password') {
      // half-way through the re-authentication (begun here or on the security page): its second step
      ctx.status = 303;
      ctx.redirect(ACCOUNT_SECURITY_PATH);
      return;
    }
    await renderPage(ctx, current, { notice });
  });

  function renderConfirmEmail(ctx: Context, view: { token?: string; newEmail?: string; error?: string }, status = 200) {
    kit.html(ctx, 'account-confirm-email', view, status);
  }

  // GET only shows a button (mail scanners open links; they must not use them up); the POST confirms.
  router.get('/confirm-email', async (ctx) => {
    const token = typeof ctx.query.token === 'string' ? ctx.query.token : '';
    const link = LINK_TOKEN_SHAPE.test(token) ? await checkLink(deps.db, 'change_email', token, deps.now()) : undefined;
    if (!link) {
      renderConfirmEmail(ctx, { error: LINK_NOT_VALID }, 410);
      return;
    }
    const current = accountSessionOf(ctx);
    if (!current) {
      // the change is made only by a browser proven for the account: the mailbox alone is not enough
      renderAccountSignIn(kit, ctx, {
        notice: 'To finish changing your email address, confirm it is you.',
        returnTo: `${CONFIRM_EMAIL_PATH}?token=${token}`,
      });
      return;
    }
    if (current.session.stage === 'password') {
      ctx.status = 303;
      ctx.redirect(ACCOUNT_SECURITY_PATH);
      return;
    }
    if (current.account.id !== link.accountId) {
      renderConfirmEmail(ctx, { error: LINK_OF_ANOTHER_ACCOUNT }, 403);
      return;
    }
    renderConfirmEmail(ctx, { token, newEmail: link.detail.email ?? '' });
  });

  // --- Changes (a proven, recent session) ----------------------------------------------------------
  // Every route registered below this line runs only for a browser whose session is fully proven and
  // recent (router middleware runs in the order it is registered); anything less changes nothing.
  router.use(requireAccountStage('proven', (ctx) => redirect(ctx, 'confirm')));

  router.post('/confirm-email', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    const form = await readForm(ctx);
    try {
      const epoch = await confirmEmailChange(deps, ctx, current.account.id, (form.token ?? '').slice(0, 64));
      // the change moved the account's epoch on: this browser, which made it, keeps its proof and
      // stays a known browser for the lockout
      sessions.write(ctx, { ...current.session, epoch });
      deps.deviceCookies.issue(ctx, current.account.id, epoch);
    } catch (error) {
      if (!(error instanceof AppError) || !['link_not_valid', 'link_of_another_account', 'email_taken'].includes(error.code)) throw error;
      renderConfirmEmail(ctx, { error: error.message }, error.status);
      return;
    }
    redirect(ctx, 'email_changed');
  });

  router.post('/name', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    const parsed = nameInput.safeParse((await readForm(ctx)).name ?? '');
    if (!parsed.success) return renderPage(ctx, current, { error: parsed.error.issues[0]!.message, field: 'name' }, 400);
    const name = parsed.data === '' ? null : parsed.data;
    const changed = await deps.db.transaction(async (tx) => {
      const account = await findAccountForUpdate(tx, current.account.id);
      if (!stillProven(current.session.epoch, account)) return false;
      await updateAccount(tx, account.id, { name });
      await notifyChange(tx, 'account', account.id);
      await recordWithin(tx, ctx, account.id, 'user.name_changed', { removed: name === null });
      return true;
    });
    redirect(ctx, changed ? 'name_changed' : 'confirm');
  });

  router.post('/email', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    const parsed = emailInput.safeParse((await readForm(ctx)).email ?? '');
    if (!parsed.success)
      return renderPage(ctx, current, { error: 'Enter a valid email address, such as name@example.com.', field: 'email' }, 400);
    if (canonicalEmail(parsed.data) === canonicalEmail(current.account.email))
      return renderPage(ctx, current, { error: 'That is already your email address.', field: 'email' }, 400);
    const budget = await spend(emailChanges, current.account.id);
    if (!budget.allowed) {
      // one event when the budget runs out, not one per refused request
      if (budget.consumed === EMAIL_CHANGES_PER_HOUR + 1)
        deps.audit.record({
          ...requestFacts(ctx),
          type: 'rate_limit.exceeded',
          outcome: 'failure',
          actor: { type: 'user', id: current.account.id },
          target: { type: 'user', id: current.account.id },
          details: { limit: 'email-change', max: EMAIL_CHANGES_PER_HOUR, windowSeconds: 3600 },
        });
      const error = `You asked for several email changes already. Try again in ${describeWait(budget.resetSeconds)}.`;
      return renderPage(ctx, current, { error, field: 'email' }, 429);
    }
    const requested = await requestEmailChange(deps, ctx, { accountId: current.account.id, epoch: current.session.epoch }, parsed.data);
    redirect(ctx, requested ? 'email_change_sent' : 'confirm');
  });

  router.post('/password', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    const { account } = current;
    const form = await readForm(ctx);
    const currentPassword = form.current ?? '';
    // the sign-in's authenticator: the same lockout and counters, the same audit of a failure
    const result = await deps.authenticator.authenticate(account.email, currentPassword, ctx.ip, deps.deviceCookies.read(ctx));
    if (!result.ok || result.account.id !== account.id) {
      if (!result.ok) await answerRefusedPassword(ctx, deps.audit, result, account.email, { details: { page: 'account' } });
      return renderPage(ctx, current, { error: WRONG_CURRENT_PASSWORD, field: 'current-password' }, 401);
    }
    const { hasFactor } = await minLength(account.id);
    const refusal = newPasswordRefusal({ issuer: deps.issuer, passwords: deps.config.passwords }, account, hasFactor, {
      current: currentPassword,
      password: form.password ?? '',
      confirmation: form.confirmation ?? '',
    });
    if (refusal) return renderPage(ctx, current, { error: refusal, field: 'new-password' }, 400);
    const keep = await thisBrowserSession(deps.db, ctx, deps.issuer, account.id);
    const proof = { accountId: account.id, epoch: current.session.epoch };
    const epoch = await changeOwnPassword({ ...deps, passwords: deps.config.passwords }, ctx, proof, form.password!, keep);
    if (epoch === undefined) {
      redirect(ctx, 'confirm');
      return;
    }
    // this browser proved the current password just now: it keeps its page and stays a known browser
    sessions.write(ctx, { ...current.session, epoch });
    deps.deviceCookies.issue(ctx, account.id, epoch);
    redirect(ctx, 'password_changed');
  });

  /** Runs one of the admin area's operations on the user's own account; a 404 of it is `missing`. */
  async function ownOperation(ctx: Context, current: Signed, run: () => Promise<unknown>, missing: string) {
    try {
      await run();
      return true;
    } catch (error) {
      if (error instanceof AppError && error.status === 404) {
        await renderPage(ctx, current, { error: missing }, 404);
        return false;
      }
      throw error;
    }
  }

  router.post('/sessions/end', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    const id = handleInput.safeParse((await readForm(ctx)).id ?? '');
    if (!id.success) return renderPage(ctx, current, { error: NO_SUCH_SESSION }, 404);
    const context = asUser(deps, ctx, current.account.id);
    // the user is always this session's own account: another user's session id is not found among theirs
    const ran = () => revokeSession.run(context, { user: current.account.id, sessionId: id.data });
    if (await ownOperation(ctx, current, ran, NO_SUCH_SESSION)) redirect(ctx, 'session_ended');
  });

  router.post('/applications/revoke', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    const id = handleInput.safeParse((await readForm(ctx)).id ?? '');
    if (!id.success) return renderPage(ctx, current, { error: NO_SUCH_APPLICATION }, 404);
    const context = asUser(deps, ctx, current.account.id);
    const ran = () => revokeGrant.run(context, { user: current.account.id, grantId: id.data });
    if (await ownOperation(ctx, current, ran, NO_SUCH_APPLICATION)) redirect(ctx, 'access_revoked');
  });

  // --- Deleting the account: two confirmations, then the admin area's own deletion ------------------
  function renderDeletion(ctx: Context, { account }: Signed, view: { error?: string; step?: 'final' } = {}, status = 200) {
    kit.html(
      ctx,
      view.step === 'final' ? 'account-delete-final' : 'account-delete',
      { email: account.email, isAdmin: account.isAdmin, error: view.error },
      status,
    );
  }

  router.get('/delete', (ctx) => {
    renderDeletion(ctx, accountSessionAt(ctx, 'proven'));
  });

  // the first confirmation: the address typed and the consequence acknowledged
  router.post('/delete/confirm', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    const form = await readForm(ctx);
    const typed = (form.email ?? '').slice(0, 1000);
    if (canonicalEmail(typed) !== canonicalEmail(current.account.email) || form.understand !== 'yes') {
      const error = 'To delete your account, type its email address and tick the box.';
      renderDeletion(ctx, current, { error }, 400);
      return;
    }
    sessions.write(ctx, { ...current.session, deletionConfirmedAt: deps.now().getTime() });
    renderDeletion(ctx, current, { step: 'final' });
  });

  // the second: only after the first, in this same proven session
  router.post('/delete', async (ctx) => {
    const current = accountSessionAt(ctx, 'proven');
    await readForm(ctx);
    if (current.session.deletionConfirmedAt === undefined) {
      renderDeletion(ctx, current, { error: 'Confirm first: type your email address and tick the box.' }, 400);
      return;
    }
    if (current.account.isAdmin) {
      renderDeletion(ctx, current, { error: ADMIN_NOT_DELETED }, 409);
      return;
    }
    await deleteUser.run(asUser(deps, ctx, current.account.id), { user: current.account.id });
    sessions.clear(ctx);
    kit.html(ctx, 'account-deleted', {});
  });

  return router;
}

const ADMIN_NOT_DELETED =
  'An administrator’s account cannot be deleted here: another administrator (or the portcullis command) can delete it.';
