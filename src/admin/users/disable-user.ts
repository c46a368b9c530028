// users.disable: the account can no longer sign in, and its sessions, grants and refresh tokens end.
import { setAccountDisabled } from '../../storage/accounts.ts';
import { notifyChange } from '../../storage/database.ts';
import { endEverythingOfUser } from '../../storage/user-sessions.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { adminChange, defineOperation } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { resolveAccount, userRefInput } from './user-ref.ts';
import { disabledUserAnswer, userTag, type DisabledUserView } from './user-view.ts';

export const disableUser = defineOperation({
  name: 'users.disable',
  summary: 'disable a user and end their sessions, grants and refresh tokens',
  input: userRefInput,
  output: disabledUserAnswer,
  http: {
    method: 'POST',
    path: '/users/{user}/disable',
    summary: 'Disable a user and end their sessions, grants and refresh tokens',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    etag: userTag,
    errors: [404, ...BODY_ERRORS],
  },
  cli: {
    command: 'users disable',
    summary: 'disable a user and end their sessions, grants and refresh tokens',
    target: userTarget,
    flags: userFlags,
    print: (user, output) => output.out(`Disabled ${user.email} (${user.id}); removed ${user.revoked} session(s), grant(s) and token(s)`),
  },
  async run(ctx, input): Promise<DisabledUserView> {
    return adminChange(ctx, async (tx) => {
      const account = await resolveAccount(tx, input.user);
      await setAccountDisabled(tx, account.id, true);
      // the same ending as sign-out-everywhere and delete: sessions, grants, and what was issued under them
      const ended = await endEverythingOfUser(tx, account.id);
      await notifyChange(tx, 'account', account.id);
      const result = { ...(await resolveAccount(tx, account.id)), revoked: ended.total };
      return {
        result,
        event: { type: 'user.disabled', target: { type: 'user', id: result.id }, details: { endedRecords: result.revoked } },
      };
    });
  },
});
