// The last step of a password reset, in ONE transaction: the link is used up, the new password set
// (which moves the credential epoch on: sign-ins in progress, account-page proofs and every other
// link of the account are void), every session and grant of the user ends with their tokens (as
// `users sign-out-everywhere` does), the failed-login lock is cleared (as `users unlock` does: the
// password being guessed no longer exists), the "your password was changed" notice is queued, and
// the event recorded. All of it commits, or none of it.
import type { Context } from 'koa';
import { redeemLink } from '../../accounts/account-links.ts';
import { accountSubjects } from '../../accounts/login-subject.ts';
import { queuePasswordChangedNotice } from '../../accounts/password-emails.ts';
import type { EmailQueue } from '../../email/email-queue.ts';
import type { AuditTrail } from '../../security/audit/audit-event.ts';
import { requestFacts } from '../../security/audit/request-facts.ts';
import type { DerivedKeys } from '../../security/derived-keys.ts';
import { findAccountForUpdate, setAccountPassword } from '../../storage/accounts.ts';
import { markEmailVerified } from '../../storage/account-registration.ts';
import { notifyChange, type Database } from '../../storage/database.ts';
import { unlockLoginSubjects } from '../../storage/login-failures.ts';
import { describeFactors } from '../../storage/mfa.ts';
import { endEverythingOfUser } from '../../storage/user-sessions.ts';

export interface CompleteResetDeps {
  db: Database;
  audit: AuditTrail;
  emails: Pick<EmailQueue, 'enqueue'>;
  keys: Pick<DerivedKeys, 'loginSubjectKey'>;
  issuer: string;
  now: () => Date;
}

export interface ResetRequestToComplete {
  token: string;
  /** The account the link named when the form was checked. */
  accountId: string;
  passwordHash: string;
  /** The second factor proven for this link (RFC 8176 methods), empty when none was. */
  secondFactor: string[];
}

export type ResetOutcome =
  | { ok: true; interaction: string | undefined }
  /** `link`: used, expired, superseded, or its account changed; `factor_required`: a factor appeared meanwhile. */
  | { ok: false; reason: 'link' | 'factor_required' };

/** Thrown inside the transaction to roll the link's use back with everything else. */
class FactorAppeared extends Error {}

export async function completePasswordReset(deps: CompleteResetDeps, ctx: Context, request: ResetRequestToComplete): Promise<ResetOutcome> {
  const now = deps.now();
  try {
    return await deps.db.transaction(async (tx): Promise<ResetOutcome> => {
      const link = await redeemLink(tx, 'reset_password', request.token, now);
      if (link?.account.id !== request.accountId) return { ok: false, reason: 'link' };
      // locked from here to the commit, and read again: a change committed since the link was read
      // (a new password, a reset, disabling) made the link void, and nothing is written
      const account = await findAccountForUpdate(tx, link.account.id);
      if (!account || account.disabled || account.credentialEpoch !== link.credentialEpoch) return { ok: false, reason: 'link' };
      const factors = await describeFactors(tx, account.id);
      if ((factors.totp || factors.passkeys > 0) && request.secondFactor.length === 0) throw new FactorAppeared();

      await setAccountPassword(tx, account.id, request.passwordHash, false);
      // the link reached the account's mailbox, which is all a verification proves: an unverified
      // sign-up (perhaps someone else's, with this address) becomes the mailbox owner's account
      await markEmailVerified(tx, account.id);
      const ended = await endEverythingOfUser(tx, account.id);
      const lock = await unlockLoginSubjects(tx, accountSubjects(deps.keys.loginSubjectKey, account), now);
      await notifyChange(tx, 'account', account.id);
      await queuePasswordChangedNotice(tx, deps.emails, account, { issuer: deps.issuer, now });
      // last, in the same transaction: it takes the audit chain's lock until the commit
      await deps.audit.recordWithin(tx, {
        ...requestFacts(ctx),
        type: 'user.password_reset',
        outcome: 'success',
        actor: { type: 'user', id: account.id },
        target: { type: 'user', id: account.id },
        details: {
          secondFactor: request.secondFactor,
          endedSessions: ended.sessionIds.length,
          endedGrants: ended.grantIds.length,
          wasLocked: lock.wasLocked,
        },
      });
      return { ok: true, interaction: link.detail.interaction };
    });
  } catch (error) {
    if (error instanceof FactorAppeared) return { ok: false, reason: 'factor_required' };
    throw error;
  }
}
