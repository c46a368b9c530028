// Changing the account's email address, in two steps: the request (from the account page) sends a
// one-time link to the new address and tells the old one; the change happens only when that link is
// opened and confirmed, in a browser proven for the same account (the account pages' one
// re-authentication). A mistyped address therefore hands the account to nobody: its owner gets a link
// they cannot use without this account's password and second factor.
//
// Enumeration: the requester is told the same thing whether the new address is free or belongs to
// another account ("we sent a link to the new address"), so the page reveals nothing about other
// accounts. When it is taken, no link is issued, and the owner of that address gets a notice instead
// (email-change-taken): only whoever reads that mailbox learns it has an account, which they know.
// The old address is told in both cases.
//
// The confirmation re-checks that the address is still free (another account may have taken it since
// the request: the unique index on the canonical form decides races) and changes it, marks it
// verified (the link proved the mailbox), moves the credential epoch on (links sent to the old address
// before, such as a password reset, no longer work) and tells the old address. Each step is one
// transaction with its audit event and its emails.
import type { Context } from 'koa';
import { issueLink, redeemLink } from '../accounts/account-links.ts';
import { stillProven } from '../accounts/credential-epoch.ts';
import type { EmailQueue } from '../email/email-queue.ts';
import { AppError } from '../http/app-error.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { bumpCredentialEpoch, findAccountByEmail, findAccountForUpdate, updateAccount } from '../storage/accounts.ts';
import { notifyChange, type Database, type Queryable } from '../storage/database.ts';
import { sqlState, UNIQUE_VIOLATION } from '../storage/store-errors.ts';
import { ACCOUNT_PATH, CONFIRM_EMAIL_PATH } from './return-to.ts';

export interface EmailChangeDeps {
  db: Database;
  audit: AuditTrail;
  emails: EmailQueue;
  issuer: string;
  now: () => Date;
}

export const EMAIL_TAKEN = 'That address now belongs to another account, so your email address was not changed.';
export const LINK_NOT_VALID =
  'This link is no longer valid: it was used already, it expired, a newer one was sent, or your password changed since. Request the change again from your account page.';
export const LINK_OF_ANOTHER_ACCOUNT =
  'This link was sent for another account than the one you confirmed just now. Sign out of the account page, then open the link again and sign in to the account whose email you are changing.';

const event = (ctx: Context, accountId: string, type: string, details: Record<string, unknown>) => ({
  ...requestFacts(ctx),
  type,
  outcome: 'success' as const,
  actor: { type: 'user' as const, id: accountId },
  target: { type: 'user' as const, id: accountId },
  details,
});

/** Where the account page is, for the emails that point to it. */
export const accountUrl = (issuer: string) => `${issuer}${ACCOUNT_PATH}`;

/**
 * The request: false when the session is no longer good for the account (a reset since its proof).
 * `newEmail` passed the page's validation; it is not the account's current address (the page checks).
 */
export async function requestEmailChange(
  deps: EmailChangeDeps,
  ctx: Context,
  proof: { accountId: string; epoch: number },
  newEmail: string,
): Promise<boolean> {
  const now = deps.now();
  return deps.db.transaction(async (tx) => {
    const account = await findAccountForUpdate(tx, proof.accountId);
    if (!stillProven(proof.epoch, account)) return false;
    const owner = await findAccountByEmail(tx, newEmail);
    const taken = owner !== undefined && owner.id !== account.id;
    const name = account.name ?? '';
    if (taken) {
      await deps.emails.enqueue(tx, {
        to: newEmail,
        template: 'email-change-taken',
        data: { newEmail, accountUrl: accountUrl(deps.issuer) },
      });
    } else {
      const token = await issueLink(tx, account, 'change_email', { now, detail: { email: newEmail } });
      const link = `${deps.issuer}${CONFIRM_EMAIL_PATH}?token=${token}`;
      await deps.emails.enqueue(tx, { to: newEmail, template: 'email-change', data: { name, newEmail, link } });
    }
    await deps.emails.enqueue(tx, {
      to: account.email,
      template: 'email-change-requested',
      data: { name, newEmail, accountUrl: accountUrl(deps.issuer) },
    });
    // last: the request, its link and its emails commit with their event, or none of them does
    await deps.audit.recordWithin(tx, event(ctx, account.id, 'user.email_change_requested', { newEmail, addressInUse: taken }));
    return true;
  });
}

/** Thrown inside the confirming transaction: nothing of it commits, and the link stays unused. */
const refuse = (code: string, message: string, status: number) => new AppError(code, message, status);

/**
 * The confirmation, by the browser proven for `accountId`: the link is used and the address changed,
 * or (an AppError) nothing is. Returns the account's new credential epoch.
 */
export async function confirmEmailChange(deps: EmailChangeDeps, ctx: Context, accountId: string, token: string): Promise<number> {
  const now = deps.now();
  try {
    return await deps.db.transaction(async (tx: Queryable) => {
      const link = await redeemLink(tx, 'change_email', token, now);
      if (!link) throw refuse('link_not_valid', LINK_NOT_VALID, 410);
      // another account's link is refused and, rolled back with this transaction, stays unused
      if (link.accountId !== accountId) throw refuse('link_of_another_account', LINK_OF_ANOTHER_ACCOUNT, 403);
      const account = await findAccountForUpdate(tx, accountId);
      const newEmail = link.detail.email;
      if (account?.credentialEpoch !== link.credentialEpoch || typeof newEmail !== 'string')
        throw refuse('link_not_valid', LINK_NOT_VALID, 410);
      const owner = await findAccountByEmail(tx, newEmail);
      if (owner && owner.id !== account.id) throw refuse('email_taken', EMAIL_TAKEN, 409);
      const oldEmail = account.email;
      await updateAccount(tx, account.id, { email: newEmail, emailVerified: true });
      await bumpCredentialEpoch(tx, account.id);
      await notifyChange(tx, 'account', account.id);
      await deps.emails.enqueue(tx, { to: oldEmail, template: 'email-changed', data: { name: account.name ?? '', newEmail } });
      await deps.audit.recordWithin(tx, event(ctx, account.id, 'user.email_changed', { oldEmail, newEmail }));
      return account.credentialEpoch + 1;
    });
  } catch (error) {
    // two accounts confirming the same address at once: the unique index lets one through
    if (sqlState(error) === UNIQUE_VIOLATION) throw refuse('email_taken', EMAIL_TAKEN, 409);
    throw error;
  }
}
