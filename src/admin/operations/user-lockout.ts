// `users unlock`: the documented way back for a user locked out by failed logins (theirs or an
// attacker's). Clears the account's failure count and lock, and the per-(account, IP) blocks.
import { loginSubject } from '../../accounts/lockout.ts';
import type { Account } from '../../storage/accounts.ts';
import { unlockLoginSubject } from '../../storage/login-failures.ts';
import { adminChange, defineOperation } from './define.ts';
import { resolveAccount, userRefInput } from './users.ts';

export interface UnlockResult {
  id: string;
  email: string;
  /** Whether a lock was in force when it was cleared. */
  wasLocked: boolean;
  failures: number;
}

export const unlockUser = defineOperation({
  name: 'users.unlock',
  summary: "clear a user's failed-login count and lock",
  input: userRefInput,
  async run(ctx, input): Promise<UnlockResult> {
    return adminChange(ctx, async (tx) => {
      const account: Account = await resolveAccount(tx, input.user);
      const before = await unlockLoginSubject(tx, loginSubject(ctx.keys.loginSubjectKey, account.email));
      const wasLocked = before?.lockedUntil !== undefined && before.lockedUntil > new Date();
      const failures = before?.failures ?? 0;
      return { result: { id: account.id, email: account.email, wasLocked, failures }, event: { type: 'account.unlocked', target: { type: 'user', id: account.id }, details: { wasLocked, failures } } };
    });
  },
});

export const userLockoutOperations = [unlockUser];
