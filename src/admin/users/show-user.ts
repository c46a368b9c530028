// users.show: one user account, by id or email.
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { defineOperation } from '../operation/define.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { resolveAccount, userRefInput } from './user-ref.ts';
import { printUser, userAnswer, userTag, type UserView } from './user-view.ts';

export const showUser = defineOperation({
  name: 'users.show',
  summary: 'show one user account (by id or email)',
  input: userRefInput,
  output: userAnswer,
  http: {
    method: 'GET',
    path: '/users/{user}',
    summary: 'Show a user, by id or email',
    scopes: [ADMIN_SCOPES.read, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    etag: userTag,
    errors: [404],
  },
  cli: {
    command: 'users show',
    summary: 'show a user (by id or email)',
    target: userTarget,
    flags: userFlags,
    print: printUser,
  },
  run: (ctx, input): Promise<UserView> => resolveAccount(ctx.db, input.user),
});
