// The user changes their own password on the account page. The current password is checked by the
// sign-in's own authenticator (same lockout, same counters, same audit of a failure), the new one by
// the policy that applies wherever a password is set.
//
// What ends with the old password, as a serious identity provider does it: a password is changed
// because the old one may be known to someone else, so whatever was signed in with it must not
// outlive it. Every other sign-in session of the user ends, and every application's grant with its
// refresh and access tokens (the applications ask the user to sign in again; this includes those
// used from this browser, since a grant cannot tell which browser it was made in). This browser,
// which has just proved the current password (and second factor) again, stays signed in: its
// sign-in session is kept, and its account-page proof is resealed at the account's new credential
// epoch. Links sent by email before (a password reset, an email change) stop working. The account
// gets a "your password was changed" email, and the change its audit event, in the same transaction.
import type { Context } from 'koa';
import type { PasswordSettings } from '../config.ts';
import { checkPassword, serviceNamesFor } from '../accounts/password-policy.ts';
import { hashPassword, normalizePassword } from '../accounts/passwords.ts';
import { stillProven } from '../accounts/credential-epoch.ts';
import type { EmailQueue } from '../email/email-queue.ts';
import { PASSWORDS_DIFFER, SAME_PASSWORD } from '../interactions/password-change-routes.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { findAccountForUpdate, setAccountPassword, type AccountWithCredentials } from '../storage/accounts.ts';
import { notifyChange, type Database } from '../storage/database.ts';
import { endEverythingOfUserButSession } from '../storage/user-sessions.ts';
import { queuePasswordChangedNotice } from '../accounts/password-emails.ts';

export interface OwnPasswordDeps {
  db: Database;
  audit: AuditTrail;
  emails: EmailQueue;
  issuer: string;
  passwords: PasswordSettings;
  now: () => Date;
}

/** Why the new password cannot be set (cheapest checks first), or undefined; `current` was verified. */
export function newPasswordRefusal(
  deps: Pick<OwnPasswordDeps, 'passwords' | 'issuer'>,
  account: Pick<AccountWithCredentials, 'email' | 'name'>,
  hasSecondFactor: boolean,
  form: { current: string; password: string; confirmation: string },
): string | undefined {
  if (form.password === '') return 'Enter a new password.';
  if (normalizePassword(form.password) !== normalizePassword(form.confirmation)) return PASSWORDS_DIFFER;
  const problem = checkPassword(form.password, {
    settings: deps.passwords,
    hasSecondFactor,
    context: { email: account.email, name: account.name, serviceNames: serviceNamesFor(deps.issuer) },
  });
  if (problem) return `The new ${problem.message}.`;
  if (normalizePassword(form.password) === normalizePassword(form.current)) return SAME_PASSWORD;
  return undefined;
}

/**
 * Sets the new password; `keepSessionUid`: this browser's sign-in session, kept. Undefined when the
 * proof no longer stands (a reset since); otherwise the account's new credential epoch.
 */
export async function changeOwnPassword(
  deps: OwnPasswordDeps,
  ctx: Context,
  proof: { accountId: string; epoch: number },
  newPassword: string,
  keepSessionUid: string | undefined,
): Promise<number | undefined> {
  // hashed before the transaction: no row lock waits for argon2id
  const passwordHash = await hashPassword(newPassword, deps.passwords.argon2);
  const now = deps.now();
  return deps.db.transaction(async (tx) => {
    const account = await findAccountForUpdate(tx, proof.accountId);
    if (!stillProven(proof.epoch, account)) return undefined;
    await setAccountPassword(tx, account.id, passwordHash, false);
    const ended = await endEverythingOfUserButSession(tx, account.id, keepSessionUid);
    await notifyChange(tx, 'account', account.id);
    await queuePasswordChangedNotice(tx, deps.emails, account, { issuer: deps.issuer, now });
    await deps.audit.recordWithin(tx, {
      ...requestFacts(ctx),
      type: 'user.password_changed',
      outcome: 'success',
      actor: { type: 'user', id: account.id },
      target: { type: 'user', id: account.id },
      details: {
        page: 'account',
        endedSessions: ended.sessionIds.length,
        endedGrants: ended.grantIds.length,
        keptThisBrowser: keepSessionUid !== undefined && !ended.sessionIds.includes(keepSessionUid),
      },
    });
    return account.credentialEpoch + 1;
  });
}
