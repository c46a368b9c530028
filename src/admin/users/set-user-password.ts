// users.set-password | require-password-change: an administrator gives a user a new password (the
// way back for a user who lost theirs), or makes them choose a new one at their next sign-in (the
// sign-in asks for it before it finishes: src/interactions/password-change-routes.ts).
//
// set-password also:
//   - ends the user's sessions, grants and tokens. A password is reset because the old one was lost
//     or may be known to someone else; whatever was signed in with it (perhaps by that someone) must
//     not outlive it. The user signs in again with the new password everywhere.
//   - clears the failed-login counts and locks of their email and second factor (as `users unlock` does). The lock slows
//     down guessing of the old password, which no longer works; the user who was locked out must be
//     able to use the new one at once. Guessing the new one starts from zero, and it passed the policy.
// require-password-change alone ends nothing: sessions already open stay (end them with
// `users sign-out-everywhere` to make the change due now).
import { z } from 'zod';
import { accountSubjects } from '../../accounts/login-subject.ts';
import { checkPassword, serviceNamesFor } from '../../accounts/password-policy.ts';
import { hashPassword } from '../../accounts/passwords.ts';
import {
  findAccountById,
  setAccountPassword,
  setPasswordChangeRequired,
  withoutCredentials,
  type Account,
} from '../../storage/accounts.ts';
import { notifyChange } from '../../storage/database.ts';
import { unlockLoginSubjects } from '../../storage/login-failures.ts';
import { describeFactors } from '../../storage/mfa.ts';
import { endEverythingOfUser } from '../../storage/user-sessions.ts';
import { assertMayManageAccount } from '../operation/authority.ts';
import { adminChange, defineLegacyOperation, invalidInput, type OperationContext } from '../operation/define.ts';
import { lockAccount, resolveAccount, userField, userRefInput } from './user-ref.ts';

/**
 * Applies the password policy to a password an administrator sets; the refusal names the password
 * field. A user with a second factor may have the shorter minimum, as at their own sign-in.
 */
export function refuseUnsuitablePassword(
  ctx: OperationContext,
  password: string,
  user: { email: string; name?: string | null | undefined; hasSecondFactor: boolean },
): void {
  const problem = checkPassword(password, {
    settings: ctx.config.passwords,
    hasSecondFactor: user.hasSecondFactor,
    context: { email: user.email, name: user.name ?? null, serviceNames: serviceNamesFor(ctx.config.issuer) },
  });
  if (problem) throw invalidInput('password', problem.message.replace(/^password /, ''));
}

export async function hasSecondFactor(db: OperationContext['db'], accountId: string): Promise<boolean> {
  const factors = await describeFactors(db, accountId);
  return factors.totp || factors.passkeys > 0;
}

export interface PasswordSet extends Account {
  /** What ended with the old password: sessions and grants, and the tokens and codes under them. */
  endedSessions: number;
  endedGrants: number;
  /** Whether a failed-login lock was in force (it is cleared). */
  wasLocked: boolean;
}

export const setUserPassword = defineLegacyOperation({
  name: 'users.set-password',
  summary:
    "set a user's password (ends their sessions and grants, clears a failed-login lock); mustChange: they choose a new one at the next sign-in",
  input: z.strictObject({
    user: userField,
    password: z.string(),
    /** The user must replace this password at their next sign-in (a temporary password). */
    mustChange: z.boolean().default(false),
  }),
  async run(ctx, input): Promise<PasswordSet> {
    const account = await resolveAccount(ctx.db, input.user);
    assertMayManageAccount(ctx.scopes, account, 'setting the password');
    // Checked and hashed before the transaction: the scoring and the hash take a fraction of a second
    // that no row lock (nor, embedded, the whole database) should wait for.
    refuseUnsuitablePassword(ctx, input.password, { ...account, hasSecondFactor: await hasSecondFactor(ctx.db, account.id) });
    const passwordHash = await hashPassword(input.password, ctx.config.passwords.argon2);
    return adminChange(ctx, async (tx) => {
      const locked = await lockAccount(tx, account.id);
      assertMayManageAccount(ctx.scopes, locked, 'setting the password');
      await setAccountPassword(tx, locked.id, passwordHash, input.mustChange);
      const ended = await endEverythingOfUser(tx, locked.id);
      const now = ctx.now?.() ?? new Date();
      const lock = await unlockLoginSubjects(tx, accountSubjects(ctx.keys.loginSubjectKey, locked), now);
      await notifyChange(tx, 'account', locked.id);
      const result = {
        ...withoutCredentials((await findAccountById(tx, locked.id))!),
        endedSessions: ended.sessionIds.length,
        endedGrants: ended.grantIds.length,
        wasLocked: lock.wasLocked,
      };
      // never the password, nor anything derived from it
      const details = {
        mustChange: input.mustChange,
        endedSessions: result.endedSessions,
        endedGrants: result.endedGrants,
        wasLocked: result.wasLocked,
      };
      return { result, event: { type: 'user.password_set', target: { type: 'user', id: result.id }, details } };
    });
  },
});

export const requirePasswordChange = defineLegacyOperation({
  name: 'users.require-password-change',
  summary: 'make a user choose a new password at their next sign-in, before it finishes',
  input: userRefInput,
  async run(ctx, input): Promise<Account> {
    return adminChange(ctx, async (tx) => {
      const locked = await lockAccount(tx, input.user);
      // already required: nothing written, no event, the same ETag
      if (locked.passwordChangeRequired) return { result: locked };
      await setPasswordChangeRequired(tx, locked.id, true);
      await notifyChange(tx, 'account', locked.id);
      return {
        result: await resolveAccount(tx, locked.id),
        event: { type: 'user.password_change_required', target: { type: 'user', id: locked.id } },
      };
    });
  },
});

export const userPasswordOperations = [setUserPassword, requirePasswordChange];
