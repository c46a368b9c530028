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
import { emailSubject, secondFactorSubject } from '../../accounts/login-subject.ts';
import { deleteAccount } from '../../storage/accounts.ts';
import { notifyChange } from '../../storage/database.ts';
import { deleteLoginFailures, unlockLoginSubject } from '../../storage/login-failures.ts';
import { endEverythingOfUser } from '../../storage/user-sessions.ts';
import { assertMayManageAccount } from '../operation/authority.ts';
import { adminChange, conflict, defineLegacyOperation } from '../operation/define.ts';
import { lockAccount, userRefInput } from './user-ref.ts';

export interface DeletedUser {
  id: string;
  email: string;
  deleted: true;
  /** The sessions (uids) and grants that ended with the account. */
  sessionIds: string[];
  grantIds: string[];
  /** Tokens and codes held in SQL deleted besides the sessions and grants. */
  otherRecords: number;
}

export const deleteUser = defineLegacyOperation({
  name: 'users.delete',
  summary: 'delete a user with their sessions, grants, tokens and second factors',
  input: userRefInput,
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
