// users.revoke-session: end one of a user's sessions, without disabling them.
//
// What ends with a session follows oidc-provider's own sign-out (end_session, logout=yes): the
// grants of the clients signed in through it end too, with their codes and tokens, except those the
// user gave offline access (`persistsLogout`: their refresh tokens are meant to outlive the browser
// session). Those are reported as kept; revoke-grant or sign-out-everywhere ends them.
import { z } from 'zod';
import { deleteGrantRecords } from '../../storage/oidc-models.ts';
import { deleteSessionByUid, grantIdsOf, lockUserSession } from '../../storage/user-sessions.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer } from '../operation/answer-schemas.ts';
import { adminChange, defineOperation, notFound } from '../operation/define.ts';
import { resolveAccount } from '../users/user-ref.ts';
import { userFlags, userTarget } from '../users/user-flags.ts';
import { sessionRefInput } from './session-input.ts';

const sessionRevoked = answer(
  'UserSessionRevoked',
  z.object({
    userId: z.string(),
    email: z.string(),
    sessionId: z.string(),
    revokedGrantIds: z.array(z.string()).describe('grants ended with the session, with their codes and tokens'),
    keptGrantIds: z
      .array(z.string())
      .describe('grants with offline access, kept (revoke them one by one, or sign the user out everywhere)'),
  }),
);

export const revokeSession = defineOperation({
  name: 'users.revoke-session',
  summary: "end one of a user's sessions, and the grants made through it that lack offline access",
  input: sessionRefInput,
  output: sessionRevoked,
  http: {
    method: 'DELETE',
    path: '/users/{user}/sessions/{sessionId}',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    errors: [404],
    summary: 'End a session; the grants made through it end too, except those with offline access (as at sign-out)',
  },
  cli: {
    command: 'users revoke-session',
    summary: 'end one session of a user (and the grants made through it without offline access)',
    target: userTarget,
    flags: {
      ...userFlags,
      session: { type: 'string', value: 'session-id', help: 'the session, as `users sessions` lists it (required)', field: 'sessionId' },
    },
    examples: ['portcullis users revoke-session alice@example.com --session 6vY1yq8h0k0Wq3ZtP7c2x'],
    print(revoked, output) {
      output.out(
        `Ended session ${revoked.sessionId} of ${revoked.email} (${revoked.userId}); revoked ${revoked.revokedGrantIds.length} grant(s) made through it`,
      );
      if (revoked.keptGrantIds.length > 0) {
        output.out(
          `Kept ${revoked.keptGrantIds.length} grant(s) with offline access: ${revoked.keptGrantIds.join(', ')} (end them with "portcullis users revoke-grant")`,
        );
      }
    },
  },
  async run(ctx, input): Promise<z.output<typeof sessionRevoked>> {
    return adminChange(ctx, async (tx) => {
      const account = await resolveAccount(tx, input.user);
      // Found only among this user's sessions: another user's session id is a 404, as is a wrong one.
      const session = await lockUserSession(tx, account.id, input.sessionId);
      if (!session) throw notFound('sessionId', `${account.email} has no session "${input.sessionId}"`);
      const authorizations = Object.values(session.payload.authorizations ?? {});
      const ending = authorizations
        .filter((authorization) => authorization.grantId && !authorization.persistsLogout)
        .map((authorization) => authorization.grantId!);
      const keeping = authorizations
        .filter((authorization) => authorization.grantId && authorization.persistsLogout)
        .map((authorization) => authorization.grantId!);
      // Only the user's own grants are touched, whatever the session record says.
      const revoked = [...(await grantIdsOf(tx, account.id, ending, { live: false }))].sort();
      for (const grantId of revoked) await deleteGrantRecords(tx, grantId);
      await deleteSessionByUid(tx, session.uid);
      const kept = [...(await grantIdsOf(tx, account.id, keeping, { live: true }))].sort();
      return {
        result: { userId: account.id, email: account.email, sessionId: input.sessionId, revokedGrantIds: revoked, keptGrantIds: kept },
        event: {
          type: 'user.session_revoked',
          target: { type: 'user', id: account.id },
          details: { sessionId: input.sessionId, revokedGrantIds: revoked, keptGrantIds: kept },
        },
      };
    });
  },
});
