// users.create | list | show | disable | enable; the other user operations live beside this file
// (user-update.ts, user-password.ts, user-delete.ts, user-lockout.ts, user-mfa.ts) and are listed here.
import { z } from 'zod';
import { hashPassword } from '../../accounts/passwords.ts';
import { findAccountByEmail, insertAccount, searchAccounts, setAccountDisabled, type Account } from '../../storage/accounts.ts';
import { endEverythingOfUser } from '../../storage/user-sessions.ts';
import { notifyChange } from '../../storage/database.ts';
import { assertHolds, EVERY_ADMIN_SCOPE } from '../operation/authority.ts';
import { adminChange, conflict, defineLegacyOperation, sqlState } from '../operation/define.ts';
import { decodeCursor, pageInput, toPage, type Page } from '../operation/pagination.ts';
import { deleteUser } from './delete-user.ts';
import { refuseUnsuitablePassword, userPasswordOperations } from './set-user-password.ts';
import { emailField, resolveAccount, userRefInput } from './user-ref.ts';
import { updateUser } from './update-user.ts';

// where the other user operations (and user-sessions.ts) import them from
export { resolveAccount, userRefInput } from './user-ref.ts';

const userCreateInput = z.strictObject({
  email: emailField,
  name: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  password: z.string(),
  /** Must sign in with a second factor (enrols one at the first login). */
  mfaRequired: z.boolean().default(false),
  /** An administrator: always signs in with a second factor. */
  isAdmin: z.boolean().default(false),
});

export const createUser = defineLegacyOperation({
  name: 'users.create',
  summary: 'create a user account with a password',
  input: userCreateInput,
  async run(ctx, input): Promise<Account> {
    if (input.isAdmin) assertHolds(ctx.scopes, EVERY_ADMIN_SCOPE, 'creating an administrator');
    refuseUnsuitablePassword(ctx, input.password, { ...input, hasSecondFactor: false }); // a new account has no second factor yet
    const duplicate = () => conflict('email', `an account with the email "${input.email}" already exists`);
    if (await findAccountByEmail(ctx.db, input.email)) throw duplicate();
    const passwordHash = await hashPassword(input.password, ctx.config.passwords.argon2);
    try {
      return await adminChange(ctx, async (tx) => {
        const account = await insertAccount(tx, {
          email: input.email,
          // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty name is no name
          name: input.name || null,
          passwordHash,
          mfaRequired: input.mfaRequired,
          isAdmin: input.isAdmin,
        });
        return {
          result: account,
          event: {
            type: 'user.created',
            target: { type: 'user', id: account.id },
            details: { email: account.email, mfaRequired: account.mfaRequired, isAdmin: account.isAdmin },
          },
        };
      });
    } catch (error) {
      if (sqlState(error) === '23505') throw duplicate();
      throw error;
    }
  },
});

export const listUsers = defineLegacyOperation({
  name: 'users.list',
  summary: 'list or search user accounts, by email, a page at a time',
  input: z.strictObject({
    query: z.string().trim().min(1, 'must not be empty').max(254, 'must be at most 254 characters').optional(),
    status: z.enum(['active', 'disabled'], { error: 'must be "active" or "disabled"' }).optional(),
    ...pageInput,
  }),
  async run(ctx, input): Promise<Page<Account>> {
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

export const showUser = defineLegacyOperation({
  name: 'users.show',
  summary: 'show one user account (by id or email)',
  input: userRefInput,
  run: (ctx, input): Promise<Account> => resolveAccount(ctx.db, input.user),
});

export const disableUser = defineLegacyOperation({
  name: 'users.disable',
  summary: 'disable a user and end their sessions, grants and refresh tokens',
  input: userRefInput,
  async run(ctx, input): Promise<Account & { revoked: number }> {
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

export const enableUser = defineLegacyOperation({
  name: 'users.enable',
  summary: 'enable a disabled user',
  input: userRefInput,
  async run(ctx, input): Promise<Account> {
    return adminChange(ctx, async (tx) => {
      const found = await resolveAccount(tx, input.user);
      await setAccountDisabled(tx, found.id, false);
      await notifyChange(tx, 'account', found.id);
      return { result: await resolveAccount(tx, found.id), event: { type: 'user.enabled', target: { type: 'user', id: found.id } } };
    });
  },
});

export const userOperations = [createUser, listUsers, showUser, updateUser, ...userPasswordOperations, disableUser, enableUser, deleteUser];
