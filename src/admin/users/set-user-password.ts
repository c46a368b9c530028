// users.set-password: an administrator gives a user a new password (the way back for a user who lost
// theirs); with mustChange, they choose a new one at their next sign-in (the sign-in asks for it
// before it finishes: src/interactions/password-change-routes.ts). require-password-change.ts asks
// for that alone.
//
// set-password also:
//   - ends the user's sessions, grants and tokens. A password is reset because the old one was lost
//     or may be known to someone else; whatever was signed in with it (perhaps by that someone) must
//     not outlive it. The user signs in again with the new password everywhere.
//   - clears the failed-login counts and locks of their email and second factor (as `users unlock` does). The lock slows
//     down guessing of the old password, which no longer works; the user who was locked out must be
//     able to use the new one at once. Guessing the new one starts from zero, and it passed the policy.
import { accountSubjects } from '../../accounts/login-subject.ts';
import { checkPassword, serviceNamesFor } from '../../accounts/password-policy.ts';
import { hashPassword } from '../../accounts/passwords.ts';
import { findAccountById, setAccountPassword, withoutCredentials } from '../../storage/accounts.ts';
import { notifyChange } from '../../storage/database.ts';
import { unlockLoginSubjects } from '../../storage/login-failures.ts';
import { describeFactors } from '../../storage/mfa.ts';
import { endEverythingOfUser } from '../../storage/user-sessions.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { assertMayManageAccount } from '../operation/authority.ts';
import { adminChange, defineOperation, invalidInput, type OperationContext } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { setUserPasswordInput } from './user-input.ts';
import { lockAccount, resolveAccount } from './user-ref.ts';
import { passwordSetAnswer, userTag, type PasswordSetView } from './user-view.ts';

/**
 * Applies the password policy to a password an administrator sets; the refusal names the password
 * field. A user with a second factor may have the shorter minimum, as at their own sign-in.
 */
export function refuseUnsuitablePassword(
  ctx: OperationContext,
  password: string,
  user: { email: string; name?: string | null | undefined; hasSecondFactor: boolean },
): void {
  const problem = checkPassword(password, {
    settings: ctx.config.passwords,
    hasSecondFactor: user.hasSecondFactor,
    context: { email: user.email, name: user.name ?? null, serviceNames: serviceNamesFor(ctx.config.issuer) },
  });
  if (problem) throw invalidInput('password', problem.message.replace(/^password /, ''));
}

export async function hasSecondFactor(db: OperationContext['db'], accountId: string): Promise<boolean> {
  const factors = await describeFactors(db, accountId);
  return factors.totp || factors.passkeys > 0;
}

export const setUserPassword = defineOperation({
  name: 'users.set-password',
  summary:
    "set a user's password (ends their sessions and grants, clears a failed-login lock); mustChange: they choose a new one at the next sign-in",
  input: setUserPasswordInput,
  output: passwordSetAnswer,
  http: {
    method: 'POST',
    path: '/users/{user}/password',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'json',
    status: 200,
    etag: userTag,
    summary:
      "Set a user's password (the password policy applies: 400 naming password). Ends their sessions, grants and tokens, and clears a failed-login lock. mustChange: they must choose a new password at their next sign-in",
    errors: [404, ...BODY_ERRORS],
  },
  cli: {
    command: 'users set-password',
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
    // standard input or a prompt, never a flag: command lines are visible to other users
    input: async (fields, sources) => ({ ...fields, password: await sources.readPassword() }),
    print(set, output) {
      output.out(
        `Set the password of ${set.email} (${set.id}); ended ${set.endedSessions} session(s) and ${set.endedGrants} grant(s)${set.wasLocked ? '; cleared a failed-login lock' : ''}`,
      );
      if (set.passwordChangeRequired) output.out('They must choose a new password at their next sign-in.');
    },
  },
  async run(ctx, input): Promise<PasswordSetView> {
    const account = await resolveAccount(ctx.db, input.user);
    assertMayManageAccount(ctx.scopes, account, 'setting the password');
    // Checked and hashed before the transaction: the scoring and the hash take a fraction of a second
    // that no row lock (nor, embedded, the whole database) should wait for.
    refuseUnsuitablePassword(ctx, input.password, { ...account, hasSecondFactor: await hasSecondFactor(ctx.db, account.id) });
    const passwordHash = await hashPassword(input.password, ctx.config.passwords.argon2);
    return adminChange(ctx, async (tx) => {
      const locked = await lockAccount(tx, account.id);
      assertMayManageAccount(ctx.scopes, locked, 'setting the password');
      await setAccountPassword(tx, locked.id, passwordHash, input.mustChange);
      const ended = await endEverythingOfUser(tx, locked.id);
      const now = ctx.now?.() ?? new Date();
      const lock = await unlockLoginSubjects(tx, accountSubjects(ctx.keys.loginSubjectKey, locked), now);
      await notifyChange(tx, 'account', locked.id);
      const result = {
        ...withoutCredentials((await findAccountById(tx, locked.id))!),
        endedSessions: ended.sessionIds.length,
        endedGrants: ended.grantIds.length,
        wasLocked: lock.wasLocked,
      };
      // never the password, nor anything derived from it
      const details = {
        mustChange: input.mustChange,
        endedSessions: result.endedSessions,
        endedGrants: result.endedGrants,
        wasLocked: result.wasLocked,
      };
      return { result, event: { type: 'user.password_set', target: { type: 'user', id: result.id }, details } };
    });
  },
});
