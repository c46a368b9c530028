// users.require-password-change: the user chooses a new password at their next sign-in (the sign-in
// asks for it before it finishes: src/interactions/password-change-routes.ts). It alone ends nothing:
// sessions already open stay (end them with `users sign-out-everywhere` to make the change due now).
import { setPasswordChangeRequired } from '../../storage/accounts.ts';
import { notifyChange } from '../../storage/database.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { adminChange, defineOperation } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { lockAccount, resolveAccount, userRefInput } from './user-ref.ts';
import { userAnswer, userTag, type UserView } from './user-view.ts';

export const requirePasswordChange = defineOperation({
  name: 'users.require-password-change',
  summary: 'make a user choose a new password at their next sign-in, before it finishes',
  input: userRefInput,
  output: userAnswer,
  http: {
    method: 'POST',
    path: '/users/{user}/require-password-change',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    etag: userTag,
    summary:
      'Make a user choose a new password at their next sign-in, after their password and second factor and before the sign-in finishes. Sessions already open stay (see sign-out-everywhere)',
    errors: [404, ...BODY_ERRORS],
  },
  cli: {
    command: 'users require-password-change',
    summary: 'make a user choose a new password at their next sign-in (sessions already open stay)',
    target: userTarget,
    flags: userFlags,
    examples: ['portcullis users require-password-change alice@example.com && portcullis users sign-out-everywhere alice@example.com'],
    print: (user, output) => output.out(`${user.email} (${user.id}) must choose a new password at their next sign-in`),
  },
  async run(ctx, input): Promise<UserView> {
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
