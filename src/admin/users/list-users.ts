// users.list: the accounts by email, a page at a time; `query` searches email and name, `status` filters.
import { z } from 'zod';
import { searchAccounts } from '../../storage/accounts.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { allPages, date, none } from '../operation/cli-binding.ts';
import { orDash, table } from '../operation/cli-output.ts';
import { LISTING } from '../operation/http-binding.ts';
import { defineOperation } from '../operation/define.ts';
import { decodeCursor, toPage } from '../operation/pagination.ts';
import { userListInput } from './user-input.ts';
import { userPage, type UserView } from './user-view.ts';

export const listUsers = defineOperation({
  name: 'users.list',
  summary: 'list or search user accounts, by email, a page at a time',
  input: userListInput,
  output: userPage,
  http: {
    ...LISTING,
    path: '/users',
    summary: 'List the users; query searches email and name, status filters, a page at a time (limit, cursor)',
    scopes: [ADMIN_SCOPES.read, ADMIN_SCOPES.users],
    errors: [],
  },
  cli: {
    command: 'users list',
    summary: 'list users, or search them by email or name',
    flags: {
      query: { type: 'string', value: 'text', help: 'only users whose email or name contains this (any case)', field: 'query' },
      status: { type: 'string', value: 'status', help: 'active | disabled', field: 'status' },
    },
    examples: ['portcullis users list --query @example.com --status active'],
    run: allPages((items, output) => {
      const users = items as UserView[];
      if (users.length === 0) {
        none(output, 'users');
        return;
      }
      const rows = users.map((user) => [
        user.id,
        user.email,
        orDash(user.name),
        user.disabled ? 'disabled' : 'active',
        date(user.createdAt),
      ]);
      for (const line of table(['id', 'email', 'name', 'status', 'created'], rows)) output.out(line);
    }),
  },
  async run(ctx, input): Promise<z.output<typeof userPage>> {
    const after = decodeCursor(input.cursor, 2) as [string, string] | undefined;
    const rows = await searchAccounts(ctx.db, { query: input.query, status: input.status, after, limit: input.limit + 1 });
    return toPage(
      rows,
      input.limit,
      (account) => [account.email.toLowerCase(), account.id],
      (account) => account,
    );
  },
});
