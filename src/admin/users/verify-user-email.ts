// users.verify-email: an administrator vouches for a user's email address (they checked it some other
// way). A self-registered account waiting for its verification link can sign in from then on.
import { findRegistrationState, markEmailVerified } from '../../storage/account-registration.ts';
import { notifyChange } from '../../storage/database.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { adminChange, defineOperation } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { lockAccount, resolveAccount, userRefInput } from './user-ref.ts';
import { userAnswer, userTag, type UserView } from './user-view.ts';

export const verifyUserEmail = defineOperation({
  name: 'users.verify-email',
  summary: "mark a user's email address verified (a self-registered account may then sign in)",
  input: userRefInput,
  output: userAnswer,
  http: {
    method: 'POST',
    path: '/users/{user}/verify-email',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    etag: userTag,
    summary: "Mark a user's email address verified. A self-registered account waiting for its verification link may sign in from then on",
    errors: [404, ...BODY_ERRORS],
  },
  cli: {
    command: 'users verify-email',
    summary: "mark a user's email address verified (a self-registered account may then sign in)",
    target: userTarget,
    flags: userFlags,
    examples: ['portcullis users verify-email alice@example.com'],
    print: (user, output) => output.out(`${user.email} (${user.id}) is verified`),
  },
  async run(ctx, input): Promise<UserView> {
    return adminChange(ctx, async (tx) => {
      const locked = await lockAccount(tx, input.user);
      const state = await findRegistrationState(tx, locked.id);
      // already verified and waiting for nothing: nothing written, no event, the same ETag
      if (locked.emailVerified && !state?.awaitingVerification) return { result: locked };
      await markEmailVerified(tx, locked.id);
      await notifyChange(tx, 'account', locked.id);
      return {
        result: await resolveAccount(tx, locked.id),
        event: { type: 'user.email_verified', target: { type: 'user', id: locked.id }, details: { email: locked.email, by: 'admin' } },
      };
    });
  },
});
