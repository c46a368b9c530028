// users.create: a user account with a password (admin-bootstrap.ts creates the first administrator with it).
import { hashPassword } from '../../accounts/passwords.ts';
import { findAccountByEmail, insertAccount } from '../../storage/accounts.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { assertHolds, EVERY_ADMIN_SCOPE } from '../operation/authority.ts';
import { adminChange, conflict, defineOperation, sqlState } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { refuseUnsuitablePassword } from './set-user-password.ts';
import { userCreateInput } from './user-input.ts';
import { printUser, userAnswer, userLocation, userTag, type UserView } from './user-view.ts';

export const createUser = defineOperation({
  name: 'users.create',
  summary: 'create a user account with a password',
  input: userCreateInput,
  output: userAnswer,
  http: {
    method: 'POST',
    path: '/users',
    summary: 'Create a user with a password',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'json',
    status: 201,
    location: userLocation,
    etag: userTag,
    errors: [...BODY_ERRORS, 409],
  },
  cli: {
    command: 'users create',
    summary: 'create a user; the password comes from --password or standard input',
    flags: {
      email: { type: 'string', value: 'email', help: 'email address (required)', field: 'email' },
      name: { type: 'string', value: 'name', help: 'display name', field: 'name' },
      password: {
        type: 'string',
        value: 'password',
        help: 'the password (prefer standard input: command lines are visible to other users)',
        // fills no field by itself (`input` below): a refusal names `password`, wherever it came from
      },
      'require-mfa': { type: 'boolean', help: 'must sign in with a second factor (enrols one at the first login)', field: 'mfaRequired' },
      admin: { type: 'boolean', help: 'an administrator (always signs in with a second factor)', field: 'isAdmin' },
    },
    examples: ['printf "%s" "$PASSWORD" | portcullis users create --email you@example.com --name "You"'],
    async input(fields, sources, flags) {
      const password = typeof flags.password === 'string' ? flags.password : await sources.readPassword();
      return { ...fields, password };
    },
    print(user, output) {
      output.out('Created user');
      printUser(user, output);
    },
  },
  async run(ctx, input): Promise<UserView> {
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
