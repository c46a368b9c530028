// Email verification, /account/verify-email: the link's GET only shows a button (mail scanners fetch
// links and must not use them up); its POST uses the link, once, and marks the address verified in
// the same transaction as its audit event. And the "Send me a new link" of a sign-in refused for an
// unverified address (resend-ticket.ts): only whoever proved the password can ask, a few times an hour.
//
// Served whatever REGISTRATION says: links sent while sign-up was open keep working after it closed.
import type Router from '@koa/router';
import type { Context } from 'koa';
import { checkLink, redeemLink } from '../accounts/account-links.ts';
import { readForm } from '../http/form-body.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { findRegistrationState, markEmailVerified } from '../storage/account-registration.ts';
import { findAccountById } from '../storage/accounts.ts';
import { canonicalEmail } from '../storage/canonical-email.ts';
import { page, type RegistrationDeps } from './registration-deps.ts';
import { queueVerification } from './registration-emails.ts';
import type { RegistrationLimits } from './registration-limits.ts';
import { returnUid } from './registration-input.ts';
import { openResendTicket } from './resend-ticket.ts';

const HINT = 'Sign in with your email and password: if your address still needs verifying, you can ask for a new link there.';

/** The token of a link's query or form, as a string (absent, repeated or odd: empty, which no link has). */
const tokenOf = (value: unknown) => (typeof value === 'string' ? value : '');

export function registerVerificationRoutes(router: Router, deps: RegistrationDeps, limits: RegistrationLimits): void {
  const invalid = (ctx: Context) => page(ctx, deps.render, 'link-invalid', { hint: HINT }, 400);

  router.get('/verify-email', async (ctx) => {
    const token = tokenOf(ctx.query.token);
    const link = await checkLink(deps.db, 'verify_email', token, deps.now());
    // a link sent to an address the account no longer has proves nothing about the current one
    if (!link || canonicalEmail(link.detail.email ?? '') !== canonicalEmail(link.account.email)) {
      invalid(ctx);
      return;
    }
    page(ctx, deps.render, 'verify-email', { email: link.account.email, token });
  });

  router.post('/verify-email', async (ctx) => {
    const form = await readForm(ctx);
    const now = deps.now();
    const verified = await deps.db.transaction(async (tx) => {
      const link = await redeemLink(tx, 'verify_email', tokenOf(form.token), now);
      if (!link || canonicalEmail(link.detail.email ?? '') !== canonicalEmail(link.account.email)) return undefined;
      await markEmailVerified(tx, link.account.id);
      await deps.audit.recordWithin(tx, {
        ...requestFacts(ctx),
        type: 'user.email_verified',
        outcome: 'success',
        actor: { type: 'user', id: link.account.id },
        target: { type: 'user', id: link.account.id },
        details: { email: link.account.email, by: 'link' },
      });
      return link;
    });
    if (!verified) {
      invalid(ctx);
      return;
    }
    page(ctx, deps.render, 'verify-email-done', { email: verified.account.email, uid: returnUid(verified.detail.returnTo) });
  });

  router.post('/verify-email/resend', async (ctx) => {
    const form = await readForm(ctx);
    const now = deps.now();
    const ticket = openResendTicket(deps.encryptionKey, tokenOf(form.ticket), now.getTime());
    if (!ticket) {
      page(ctx, deps.render, 'link-invalid', { hint: HINT }, 400);
      return;
    }
    const uid = returnUid(ticket.uid);
    const account = await findAccountById(deps.db, ticket.accountId);
    const state = account && (await findRegistrationState(deps.db, account.id));
    if (account?.credentialEpoch !== ticket.epoch || !state?.awaitingVerification) {
      // verified meanwhile (another tab, an administrator), or reset: nothing to send
      page(ctx, deps.render, 'verify-email-sent', { message: 'Your address needs no new link: sign in again.', uid });
      return;
    }
    await limits.resend(ctx, account.id);
    await deps.db.transaction(async (tx) => {
      await queueVerification(tx, deps, account, { now, returnTo: uid });
      await deps.audit.recordWithin(tx, {
        ...requestFacts(ctx),
        type: 'user.verification_sent',
        outcome: 'success',
        actor: { type: 'user', id: account.id },
        target: { type: 'user', id: account.id },
      });
    });
    page(ctx, deps.render, 'verify-email-sent', {
      message: `We sent a new link to ${account.email}. Open it to verify your address, then sign in. Earlier links no longer work.`,
      uid,
    });
  });
}
