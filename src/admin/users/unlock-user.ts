// users.unlock: the documented way back for a user locked out by failed logins (theirs or an
// attacker's). Clears the account's failure counts and locks (its email's, and its second factor's),
// and the per-(account, IP) blocks.
import { z } from 'zod';
import { accountSubjects } from '../../accounts/login-subject.ts';
import type { Account } from '../../storage/accounts.ts';
import { unlockLoginSubjects } from '../../storage/login-failures.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer } from '../operation/answer-schemas.ts';
import { adminChange, defineOperation } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { resolveAccount, userRefInput } from './user-ref.ts';

const unlockedUserAnswer = answer(
  'UnlockedUser',
  z.object({
    id: z.string(),
    email: z.string(),
    /** Whether a lock (of the password or of the second factor) was in force when it was cleared. */
    wasLocked: z.boolean(),
    /** The failed attempts cleared, passwords and second factors together. */
    failures: z.number().int(),
  }),
);

export type UnlockResult = z.output<typeof unlockedUserAnswer>;

export const unlockUser = defineOperation({
  name: 'users.unlock',
  summary: "clear a user's failed-login count and lock",
  input: userRefInput,
  output: unlockedUserAnswer,
  http: {
    method: 'POST',
    path: '/users/{user}/unlock',
    summary: "Clear a user's failed-login count and lock",
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    errors: [404, ...BODY_ERRORS],
  },
  cli: {
    command: 'users unlock',
    summary: "clear a user's failed-login count and lock (and the blocks of the addresses that failed)",
    target: userTarget,
    flags: userFlags,
    print(unlocked, output) {
      const state = unlocked.wasLocked ? 'was locked' : 'was not locked';
      output.out(`Unlocked ${unlocked.email} (${unlocked.id}): ${state}, ${unlocked.failures} failed login(s) cleared`);
    },
  },
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
