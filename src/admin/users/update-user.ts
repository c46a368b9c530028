// users.update: PATCH of what an administrator may change about an account: its email (unique in any
// case), name, whether the email is verified, whether the user must use a second factor, and whether
// they are an administrator. One transaction: lock the row, check If-Match, write, announce the change
// (every process drops what it cached of the account), answer the new view.
import { canonicalEmail } from '../../storage/canonical-email.ts';
import { bumpCredentialEpoch, findAccountByEmail, updateAccount, type Account, type AccountChanges } from '../../storage/accounts.ts';
import { notifyChange } from '../../storage/database.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { assertMayManageAccount } from '../operation/authority.ts';
import { yesOrNo } from '../operation/cli-binding.ts';
import { adminChange, conflict, defineOperation, sqlState } from '../operation/define.ts';
import { assertIfMatch } from '../operation/entity-tags.ts';
import { IF_MATCH, UPDATE_ERRORS } from '../operation/http-binding.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { userUpdateInput, type UserUpdateInput } from './user-input.ts';
import { lockAccount, resolveAccount, userView } from './user-ref.ts';
import { printUser, userAnswer, userTag, type UserView } from './user-view.ts';

/** Fields an admin changes; `user.updated` names those that changed. */
const UPDATABLE = ['email', 'name', 'emailVerified', 'mfaRequired', 'isAdmin'] as const satisfies readonly (keyof AccountChanges)[];

/**
 * Pure: what to write for `patch` over `current`, only the fields whose value differs. A new email
 * address is not verified (nobody has proven this one reaches the user) unless the patch says it
 * is; another spelling of the same address (its case) is the same address and keeps its verification.
 */
export function planUserUpdate(current: Account, patch: UserUpdateInput): AccountChanges {
  const wanted: AccountChanges = {
    ...(patch.email !== undefined ? { email: patch.email } : {}),
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty name is no name
    ...(patch.name !== undefined ? { name: patch.name || null } : {}),
    ...(patch.emailVerified !== undefined ? { emailVerified: patch.emailVerified } : {}),
    ...(patch.mfaRequired !== undefined ? { mfaRequired: patch.mfaRequired } : {}),
    ...(patch.isAdmin !== undefined ? { isAdmin: patch.isAdmin } : {}),
  };
  const newAddress = wanted.email !== undefined && canonicalEmail(wanted.email) !== canonicalEmail(current.email);
  if (newAddress && wanted.emailVerified === undefined) wanted.emailVerified = false;
  return Object.fromEntries(
    UPDATABLE.filter((field) => wanted[field] !== undefined && wanted[field] !== current[field]).map((field) => [field, wanted[field]]),
  );
}

export const updateUser = defineOperation({
  name: 'users.update',
  summary:
    "change a user's email (which voids the links mailed to the old address and any sign-in in progress), name, email verification, second-factor requirement or administrator role; with ifMatch, only if unchanged since read",
  input: userUpdateInput,
  output: userAnswer,
  http: {
    method: 'PATCH',
    path: '/users/{user}',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'json',
    headers: [IF_MATCH],
    status: 200,
    etag: userTag,
    summary:
      'Change any subset of email (unique in any case: 409), name (null removes it), emailVerified, mfaRequired and isAdmin. A new email is unverified unless emailVerified is given. An administrator cannot remove their own administrator role (409)',
    errors: [...UPDATE_ERRORS, 409],
  },
  cli: {
    command: 'users update',
    summary: 'change a user: only what is given (email, name, email verified, second factor, administrator)',
    target: userTarget,
    flags: {
      // --email is the new address here: the user is named by the argument, --user or --id
      user: userFlags.user,
      id: userFlags.id,
      email: {
        type: 'string',
        value: 'email',
        help: 'new email address (unique in any case); unverified unless --email-verified is given',
        field: 'email',
      },
      name: { type: 'string', value: 'name', help: 'display name; "" removes it', field: 'name' },
      'email-verified': {
        type: 'string',
        value: 'yes|no',
        help: 'whether the email address is verified',
        field: 'emailVerified',
        parse: yesOrNo,
      },
      'require-mfa': { type: 'string', value: 'yes|no', help: 'must sign in with a second factor', field: 'mfaRequired', parse: yesOrNo },
      admin: {
        type: 'string',
        value: 'yes|no',
        help: 'an administrator (always signs in with a second factor)',
        field: 'isAdmin',
        parse: yesOrNo,
      },
      'if-match': {
        type: 'string',
        value: 'etag',
        help: 'change only if the user is unchanged since this ETag was read (users show, or the admin API)',
        field: 'ifMatch',
      },
    },
    examples: [
      'portcullis users update alice@example.com --email alice@corp.example --name "Alice Liddell"',
      'portcullis users update alice@corp.example --require-mfa yes --admin no --if-match \'"Zx8…"\'',
    ],
    print(user, output) {
      output.out('Updated user');
      printUser(user, output);
    },
  },
  async run(ctx, input): Promise<UserView> {
    const duplicate = (email: string) => conflict('email', `an account with the email "${email}" already exists`);
    try {
      return await adminChange(ctx, async (tx) => {
        const before = await lockAccount(tx, input.user);
        assertIfMatch(input.ifMatch, userView(before));
        const changes = planUserUpdate(before, input);
        // Nothing differs: nothing written, no event, the same ETag.
        if (Object.keys(changes).length === 0) return { result: before };
        // making an administrator, or changing one, needs every admin scope
        assertMayManageAccount(ctx.scopes, { isAdmin: before.isAdmin || changes.isAdmin === true }, 'changing the account');
        if (changes.email !== undefined) {
          const holder = await findAccountByEmail(tx, changes.email);
          if (holder && holder.id !== before.id) throw duplicate(changes.email);
        }
        // An administrator's own token is the one making the call: taking away their own role would
        // lock them out of the API mid-change. Another administrator (or the CLI) can do it.
        if (changes.isAdmin === false && ctx.actor.id === `user:${before.id}`) {
          throw conflict('isAdmin', 'you cannot remove your own administrator role; another administrator (or the portcullis CLI) can');
        }
        await updateAccount(tx, before.id, changes);
        // a new address voids what was mailed to the old one (a reset link above all), as the account
        // page's own email change does: the old mailbox may be the very reason for the change
        if (changes.email !== undefined && canonicalEmail(changes.email) !== canonicalEmail(before.email)) {
          await bumpCredentialEpoch(tx, before.id);
        }
        await notifyChange(tx, 'account', before.id);
        const account = await resolveAccount(tx, before.id);
        // the field names; of the values only the addresses (who the account answers to), never anything secret
        const details = {
          changed: Object.keys(changes),
          ...(changes.email !== undefined ? { previousEmail: before.email, email: account.email } : {}),
        };
        return { result: account, event: { type: 'user.updated', target: { type: 'user', id: account.id }, details } };
      });
    } catch (error) {
      // two admins giving the same new address at once: the unique index decides
      if (sqlState(error) === '23505' && input.email !== undefined) throw duplicate(input.email);
      throw error;
    }
  },
});
