// users.enable: a disabled user may sign in again.
import { setAccountDisabled } from '../../storage/accounts.ts';
import { notifyChange } from '../../storage/database.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { adminChange, defineOperation } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { resolveAccount, userRefInput } from './user-ref.ts';
import { userAnswer, userTag, type UserView } from './user-view.ts';

export const enableUser = defineOperation({
  name: 'users.enable',
  summary: 'enable a disabled user',
  input: userRefInput,
  output: userAnswer,
  http: {
    method: 'POST',
    path: '/users/{user}/enable',
    summary: 'Enable a disabled user',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    etag: userTag,
    errors: [404, ...BODY_ERRORS],
  },
  cli: {
    command: 'users enable',
    summary: 'enable a disabled user',
    target: userTarget,
    flags: userFlags,
    print: (user, output) => output.out(`Enabled ${user.email} (${user.id})`),
  },
  async run(ctx, input): Promise<UserView> {
    return adminChange(ctx, async (tx) => {
      const found = await resolveAccount(tx, input.user);
      await setAccountDisabled(tx, found.id, false);
      await notifyChange(tx, 'account', found.id);
      return { result: await resolveAccount(tx, found.id), event: { type: 'user.enabled', target: { type: 'user', id: found.id } } };
    });
  },
});
