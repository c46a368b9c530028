// `users unlock`: the documented way back for a user locked out by failed logins (theirs or an
// attacker's). Clears the account's failure counts and locks (its email's, and its second factor's),
// and the per-(account, IP) blocks.
import { accountSubjects } from '../../accounts/login-subject.ts';
import type { Account } from '../../storage/accounts.ts';
import { unlockLoginSubjects } from '../../storage/login-failures.ts';
import { adminChange, defineLegacyOperation } from '../operation/define.ts';
import { resolveAccount, userRefInput } from './create-user.ts';

export interface UnlockResult {
  id: string;
  email: string;
  /** Whether a lock (of the password or of the second factor) was in force when it was cleared. */
  wasLocked: boolean;
  /** The failed attempts cleared, passwords and second factors together. */
  failures: number;
}

export const unlockUser = defineLegacyOperation({
  name: 'users.unlock',
  summary: "clear a user's failed-login count and lock",
  input: userRefInput,
  async run(ctx, input): Promise<UnlockResult> {
    return adminChange(ctx, async (tx) => {
      const account: Account = await resolveAccount(tx, input.user);
      const { wasLocked, failures } = await unlockLoginSubjects(
        tx,
        accountSubjects(ctx.keys.loginSubjectKey, account),
        ctx.now?.() ?? new Date(),
      );
      return {
        result: { id: account.id, email: account.email, wasLocked, failures },
        event: { type: 'account.unlocked', target: { type: 'user', id: account.id }, details: { wasLocked, failures } },
      };
    });
  },
});

export const userLockoutOperations = [unlockUser];
