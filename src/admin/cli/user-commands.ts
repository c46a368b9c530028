// `portcullis users ...`
import type { Account } from '../../storage/accounts.ts';
import { keyValues, orDash, table, yesNo, type Output } from '../cli-output.ts';
import type { UnlockResult } from '../operations/user-lockout.ts';
import type { MfaResetResult } from '../operations/user-mfa.ts';
import { date, defined, none, text, allPages, type CommandSpec, type FlagSpec, type FlagValues } from './command-spec.ts';

function printAccount(account: Account, output: Output): void {
  for (const line of keyValues([
    ['id', account.id],
    ['email', account.email],
    ['name', orDash(account.name)],
    ['status', account.disabled ? 'disabled' : 'active'],
    ['email verified', yesNo(account.emailVerified)],
    ['second factor', account.isAdmin ? 'required (administrator)' : account.mfaRequired ? 'required' : 'per MFA_POLICY'],
    ['created', date(account.createdAt)],
  ])) {
    output.out(line);
  }
}


const userTarget = { placeholder: 'id-or-email', field: 'user', flag: 'user' };
const userFlags: Record<string, FlagSpec> = {
  user: { type: 'string', value: 'id-or-email', help: 'the user (instead of the positional argument)', field: 'user' },
  email: { type: 'string', value: 'email', help: 'the user, by email', field: 'user' },
  id: { type: 'string', value: 'id', help: 'the user, by id', field: 'user' },
};
const userRef = (values: FlagValues, target: string | undefined) => ({ user: target ?? text(values.user) ?? text(values.email) ?? text(values.id) });

export const USER_COMMANDS: readonly CommandSpec[] = [
  {
    command: 'users create',
    operation: 'users.create',
    summary: 'create a user; the password comes from --password or standard input',
    flags: {
      email: { type: 'string', value: 'email', help: 'email address (required)', field: 'email' },
      name: { type: 'string', value: 'name', help: 'display name', field: 'name' },
      password: { type: 'string', value: 'password', help: 'the password (prefer standard input: command lines are visible to other users)' },
      'require-mfa': { type: 'boolean', help: 'must sign in with a second factor (enrols one at the first login)', field: 'mfaRequired' },
      admin: { type: 'boolean', help: 'an administrator (always signs in with a second factor)', field: 'isAdmin' },
    },
    examples: ['printf "%s" "$PASSWORD" | portcullis users create --email you@example.com --name "You"'],
    async input(values, _target, sources) {
      const password = text(values.password) ?? (await sources.readPassword());
      return defined({ email: text(values.email), name: text(values.name), password, mfaRequired: values['require-mfa'] === true, isAdmin: values.admin === true });
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
      if (accounts.length === 0) return none(output, 'users');
      const rows = accounts.map((account) => [account.id, account.email, orDash(account.name), account.disabled ? 'disabled' : 'active', date(account.createdAt)]);
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
      output.out(`Removed the second factors of ${reset.email} (${reset.id}): ${reset.removed.totp} authenticator app(s), ${reset.removed.passkeys} passkey(s), ${reset.removed.recoveryCodes} recovery code(s)`);
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
];
