// `portcullis users ...`
import type { Account } from '../../storage/accounts.ts';
import { keyValues, orDash, table, yesNo, type Output } from '../operation/cli-output.ts';
import { CliError } from '../operation/cli-binding.ts';
import { entityTag } from '../operation/entity-tags.ts';
import type { DeletedUser } from './delete-user.ts';
import type { UnlockResult } from './unlock-user.ts';
import type { MfaResetResult } from './reset-user-mfa.ts';
import type { PasswordSet } from './set-user-password.ts';
import { userView } from './user-ref.ts';
import {
  allPages,
  date,
  defined,
  none,
  text,
  yesOrNo,
  type CommandSpec,
  type FlagSpec,
  type FlagValues,
} from '../operation/cli-binding.ts';

function printAccount(account: Account, output: Output): void {
  for (const line of keyValues([
    ['id', account.id],
    ['email', account.email],
    ['name', orDash(account.name)],
    ['status', account.disabled ? 'disabled' : 'active'],
    ['email verified', yesNo(account.emailVerified)],
    ['second factor', account.isAdmin ? 'required (administrator)' : account.mfaRequired ? 'required' : 'per MFA_POLICY'],
    ['new password', account.passwordChangeRequired ? 'must be chosen at the next sign-in' : 'not required'],
    ['created', date(account.createdAt)],
    ['updated', date(account.updatedAt)],
    // what `users update --if-match` takes (the same as the admin API's ETag)
    ['etag', entityTag(userView(account))],
  ])) {
    output.out(line);
  }
}

export const userTarget = { placeholder: 'id-or-email', field: 'user', flag: 'user' };
export const userFlags: Record<string, FlagSpec> = {
  user: { type: 'string', value: 'id-or-email', help: 'the user (instead of the positional argument)', field: 'user' },
  email: { type: 'string', value: 'email', help: 'the user, by email', field: 'user' },
  id: { type: 'string', value: 'id', help: 'the user, by id', field: 'user' },
};
/** The user a command acts on: the positional argument, or --user / --email / --id. */
export const userRef = (values: FlagValues, target: string | undefined) => ({
  user: target ?? text(values.user) ?? text(values.email) ?? text(values.id),
});

export const USER_COMMANDS: readonly CommandSpec[] = [
  {
    command: 'users create',
    operation: 'users.create',
    summary: 'create a user; the password comes from --password or standard input',
    flags: {
      email: { type: 'string', value: 'email', help: 'email address (required)', field: 'email' },
      name: { type: 'string', value: 'name', help: 'display name', field: 'name' },
      password: {
        type: 'string',
        value: 'password',
        help: 'the password (prefer standard input: command lines are visible to other users)',
      },
      'require-mfa': { type: 'boolean', help: 'must sign in with a second factor (enrols one at the first login)', field: 'mfaRequired' },
      admin: { type: 'boolean', help: 'an administrator (always signs in with a second factor)', field: 'isAdmin' },
    },
    examples: ['printf "%s" "$PASSWORD" | portcullis users create --email you@example.com --name "You"'],
    async input(values, _target, sources) {
      const password = text(values.password) ?? (await sources.readPassword());
      return defined({
        email: text(values.email),
        name: text(values.name),
        password,
        mfaRequired: values['require-mfa'] === true,
        isAdmin: values.admin === true,
      });
    },
    print(result, output) {
      output.out('Created user');
      printAccount(result as Account, output);
    },
  },
  {
    command: 'users list',
    operation: 'users.list',
    summary: 'list users, or search them by email or name',
    flags: {
      query: { type: 'string', value: 'text', help: 'only users whose email or name contains this (any case)', field: 'query' },
      status: { type: 'string', value: 'status', help: 'active | disabled', field: 'status' },
    },
    examples: ['portcullis users list --query @example.com --status active'],
    input: (values) => defined({ query: text(values.query), status: text(values.status) }),
    print: () => {},
    run: allPages((items, output) => {
      const accounts = items as Account[];
      if (accounts.length === 0) {
        none(output, 'users');
        return;
      }
      const rows = accounts.map((account) => [
        account.id,
        account.email,
        orDash(account.name),
        account.disabled ? 'disabled' : 'active',
        date(account.createdAt),
      ]);
      for (const line of table(['id', 'email', 'name', 'status', 'created'], rows)) output.out(line);
    }),
  },
  {
    command: 'users show',
    operation: 'users.show',
    summary: 'show a user (by id or email)',
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print: (result, output) => printAccount(result as Account, output),
  },
  {
    command: 'users update',
    operation: 'users.update',
    summary: 'change a user: only what is given (email, name, email verified, second factor, administrator)',
    target: userTarget,
    flags: {
      // --email is the new address here: the user is named by the argument, --user or --id
      user: userFlags.user!,
      id: userFlags.id!,
      email: {
        type: 'string',
        value: 'email',
        help: 'new email address (unique in any case); unverified unless --email-verified is given',
        field: 'email',
      },
      name: { type: 'string', value: 'name', help: 'display name; "" removes it', field: 'name' },
      'email-verified': { type: 'string', value: 'yes|no', help: 'whether the email address is verified', field: 'emailVerified' },
      'require-mfa': { type: 'string', value: 'yes|no', help: 'must sign in with a second factor', field: 'mfaRequired' },
      admin: { type: 'string', value: 'yes|no', help: 'an administrator (always signs in with a second factor)', field: 'isAdmin' },
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
    input: (values, target) =>
      defined({
        user: target ?? text(values.user) ?? text(values.id),
        ifMatch: text(values['if-match']),
        email: text(values.email),
        name: text(values.name),
        emailVerified: yesOrNo(values['email-verified']),
        mfaRequired: yesOrNo(values['require-mfa']),
        isAdmin: yesOrNo(values.admin),
      }),
    print(result, output) {
      output.out('Updated user');
      printAccount(result as Account, output);
    },
  },
  {
    command: 'users set-password',
    operation: 'users.set-password',
    summary: "set a user's password from standard input; ends their sessions and grants, clears a failed-login lock",
    target: userTarget,
    flags: {
      ...userFlags,
      'must-change': {
        type: 'boolean',
        help: 'a temporary password: they must choose a new one at their next sign-in',
        field: 'mustChange',
      },
    },
    examples: ['printf "%s" "$PASSWORD" | portcullis users set-password alice@example.com --must-change'],
    async input(values, target, sources) {
      // standard input or a prompt, never a flag: command lines are visible to other users
      return defined({ ...userRef(values, target), password: await sources.readPassword(), mustChange: values['must-change'] === true });
    },
    print(result, output) {
      const set = result as PasswordSet;
      output.out(
        `Set the password of ${set.email} (${set.id}); ended ${set.endedSessions} session(s) and ${set.endedGrants} grant(s)${set.wasLocked ? '; cleared a failed-login lock' : ''}`,
      );
      if (set.passwordChangeRequired) output.out('They must choose a new password at their next sign-in.');
    },
  },
  {
    command: 'users require-password-change',
    operation: 'users.require-password-change',
    summary: 'make a user choose a new password at their next sign-in (sessions already open stay)',
    target: userTarget,
    flags: userFlags,
    examples: ['portcullis users require-password-change alice@example.com && portcullis users sign-out-everywhere alice@example.com'],
    input: userRef,
    print: (result, output) =>
      output.out(`${(result as Account).email} (${(result as Account).id}) must choose a new password at their next sign-in`),
  },
  {
    command: 'users disable',
    operation: 'users.disable',
    summary: 'disable a user and end their sessions, grants and refresh tokens',
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print(result, output) {
      const account = result as Account & { revoked: number };
      output.out(`Disabled ${account.email} (${account.id}); removed ${account.revoked} session(s), grant(s) and token(s)`);
    },
  },
  {
    command: 'users enable',
    operation: 'users.enable',
    summary: 'enable a disabled user',
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print: (result, output) => output.out(`Enabled ${(result as Account).email} (${(result as Account).id})`),
  },
  {
    command: 'users reset-mfa',
    operation: 'users.reset-mfa',
    summary: "remove a user's second factors (authenticator app, passkeys, recovery codes)",
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print(result, output) {
      const reset = result as MfaResetResult;
      output.out(
        `Removed the second factors of ${reset.email} (${reset.id}): ${reset.removed.totp} authenticator app(s), ${reset.removed.passkeys} passkey(s), ${reset.removed.recoveryCodes} recovery code(s)`,
      );
      if (reset.mustEnrol) output.out('They must set up a new second factor at their next sign-in.');
    },
  },
  {
    command: 'users unlock',
    operation: 'users.unlock',
    summary: "clear a user's failed-login count and lock (and the blocks of the addresses that failed)",
    target: userTarget,
    flags: userFlags,
    input: userRef,
    print(result, output) {
      const unlocked = result as UnlockResult;
      const state = unlocked.wasLocked ? 'was locked' : 'was not locked';
      output.out(`Unlocked ${unlocked.email} (${unlocked.id}): ${state}, ${unlocked.failures} failed login(s) cleared`);
    },
  },
  {
    command: 'users delete',
    operation: 'users.delete',
    summary: 'delete a user with their sessions, grants, tokens and second factors (needs --yes)',
    target: userTarget,
    flags: {
      ...userFlags,
      yes: { type: 'boolean', help: 'confirm: the account cannot be restored (required, with --json too)' },
    },
    examples: ['portcullis users delete alice@example.com --yes'],
    input(values, target) {
      const ref = userRef(values, target);
      // Required with --json as well: --json says how to print, not that a script meant to delete.
      if (values.yes !== true) throw new CliError(`deleting a user cannot be undone: run it again with --yes to delete "${ref.user}"`);
      return ref;
    },
    print(result, output) {
      const deleted = result as DeletedUser;
      output.out(
        `Deleted ${deleted.email} (${deleted.id}) with ${deleted.sessionIds.length} session(s), ${deleted.grantIds.length} grant(s) and ${deleted.otherRecords} other token(s) and code(s)`,
      );
    },
  },
];
