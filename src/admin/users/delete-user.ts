// users.delete: the account and everything that lets it in, in one transaction:
//   - its sessions, grants, and every token and code issued under them or for it (oidc_models rows
//     whose payload names the account, or whose grant does). Authorization codes waiting in Redis
//     die with their grant: oidc-provider refuses a code whose Grant is gone, and the account is gone
//     too. JWT access tokens are not stored: introspection (and the admin API) refuse them because
//     their user no longer exists (access-token-verifier.ts).
//   - its authenticator app, passkeys and recovery codes (ON DELETE CASCADE from accounts);
//   - its failed-login state: the second-factor counter (keyed by the account id, never reused) is
//     deleted; the count and lock of its email are cleared with their epoch moved on, as `users
//     unlock` does, so an account later created with that address starts afresh and no per-address
//     block of the old one comes back. (The row itself holds only an HMAC of the address, and goes
//     with the usual pruning; an unknown email is counted like any other from then on.)
// The audit trail keeps the events about the account (who did what, when), with its email in this one.
import { z } from 'zod';
import { emailSubject, secondFactorSubject } from '../../accounts/login-subject.ts';
import { deleteAccount } from '../../storage/accounts.ts';
import { notifyChange } from '../../storage/database.ts';
import { deleteLoginFailures, unlockLoginSubject } from '../../storage/login-failures.ts';
import { endEverythingOfUser } from '../../storage/user-sessions.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer } from '../operation/answer-schemas.ts';
import { assertMayManageAccount } from '../operation/authority.ts';
import { CliError } from '../operation/cli-binding.ts';
import { adminChange, conflict, defineOperation } from '../operation/define.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { lockAccount, userRefInput } from './user-ref.ts';

const deletedUserAnswer = answer(
  'DeletedUser',
  z.object({
    id: z.string(),
    email: z.string(),
    deleted: z.literal(true),
    sessionIds: z.array(z.string()).describe('the sessions ended (their uids, as users/{user}/sessions listed them)'),
    grantIds: z.array(z.string()).describe('the grants ended'),
    otherRecords: z.number().int().describe('tokens and codes deleted besides the sessions and grants'),
  }),
);

export type DeletedUser = z.output<typeof deletedUserAnswer>;

export const deleteUser = defineOperation({
  name: 'users.delete',
  summary: 'delete a user with their sessions, grants, tokens and second factors',
  input: userRefInput,
  output: deletedUserAnswer,
  http: {
    method: 'DELETE',
    path: '/users/{user}',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    summary:
      'Delete a user with their sessions, grants, tokens, second factors and failed-login state, at once in every process. An administrator cannot delete their own account (409)',
    errors: [404, 409],
  },
  cli: {
    command: 'users delete',
    summary: 'delete a user with their sessions, grants, tokens and second factors (needs --yes)',
    target: userTarget,
    flags: {
      ...userFlags,
      // not an input field: the command asks for it (`input` below)
      yes: { type: 'boolean', help: 'confirm: the account cannot be restored (required, with --json too)' },
    },
    examples: ['portcullis users delete alice@example.com --yes'],
    input(fields, _sources, flags) {
      // Required with --json as well: --json says how to print, not that a script meant to delete.
      if (flags.yes !== true)
        throw new CliError(`deleting a user cannot be undone: run it again with --yes to delete "${String(fields.user)}"`);
      return fields;
    },
    print: (deleted, output) =>
      output.out(
        `Deleted ${deleted.email} (${deleted.id}) with ${deleted.sessionIds.length} session(s), ${deleted.grantIds.length} grant(s) and ${deleted.otherRecords} other token(s) and code(s)`,
      ),
  },
  async run(ctx, input): Promise<DeletedUser> {
    return adminChange(ctx, async (tx) => {
      const account = await lockAccount(tx, input.user);
      assertMayManageAccount(ctx.scopes, account, 'deleting the account');
      // The caller's own token belongs to this account: the call would end the session it runs in,
      // and an organisation's last administrator could remove themselves by a slip. Another
      // administrator (or the portcullis CLI) can.
      if (ctx.actor.id === `user:${account.id}`) {
        throw conflict('user', 'you cannot delete your own account; another administrator (or the portcullis CLI) can');
      }
      const ended = await endEverythingOfUser(tx, account.id);
      await deleteLoginFailures(tx, secondFactorSubject(ctx.keys.loginSubjectKey, account.id));
      await unlockLoginSubject(tx, emailSubject(ctx.keys.loginSubjectKey, account.email));
      await deleteAccount(tx, account.id);
      await notifyChange(tx, 'account', account.id);
      const result = {
        id: account.id,
        email: account.email,
        deleted: true as const,
        sessionIds: ended.sessionIds,
        grantIds: ended.grantIds,
        otherRecords: ended.others,
      };
      const details = { email: result.email, sessionIds: result.sessionIds, grantIds: result.grantIds, otherRecords: result.otherRecords };
      return { result, event: { type: 'user.deleted', target: { type: 'user', id: result.id }, details } };
    });
  },
});
