// users.revoke-grant: revoke one of a user's grants with every code and token issued under it.
import { z } from 'zod';
import { deleteGrantRecords } from '../../storage/oidc-models.ts';
import { lockUserGrant } from '../../storage/user-sessions.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer } from '../operation/answer-schemas.ts';
import { adminChange, defineOperation, notFound } from '../operation/define.ts';
import { resolveAccount } from '../users/user-ref.ts';
import { userFlags, userTarget } from '../users/user-flags.ts';
import { grantRefInput } from './session-input.ts';

const grantRevoked = answer(
  'UserGrantRevoked',
  z.object({
    userId: z.string(),
    email: z.string(),
    grantId: z.string(),
    /** null when the grant named no client. */
    clientId: z.string().nullable(),
    endedRecords: z.number().int().describe('the grant and the codes and tokens issued under it'),
  }),
);

export const revokeGrant = defineOperation({
  name: 'users.revoke-grant',
  summary: "revoke one of a user's grants with every code and token issued under it",
  input: grantRefInput,
  output: grantRevoked,
  http: {
    method: 'DELETE',
    path: '/users/{user}/grants/{grantId}',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    errors: [404],
    summary: 'Revoke a grant with every code and token issued under it (refresh tokens are refused, access tokens introspect inactive)',
  },
  cli: {
    command: 'users revoke-grant',
    summary: "revoke one of a user's grants with every code and token issued under it",
    target: userTarget,
    flags: {
      ...userFlags,
      grant: { type: 'string', value: 'grant-id', help: 'the grant, as `users grants` lists it (required)', field: 'grantId' },
    },
    examples: ['portcullis users revoke-grant alice@example.com --grant Vb2mX0c9YbS4d1hQe6tLr'],
    print(revoked, output) {
      output.out(
        `Revoked grant ${revoked.grantId} of ${revoked.email} (${revoked.userId}) to client ${revoked.clientId ?? '-'}; removed ${revoked.endedRecords} record(s) (the grant, its codes and tokens)`,
      );
    },
  },
  async run(ctx, input): Promise<z.output<typeof grantRevoked>> {
    return adminChange(ctx, async (tx) => {
      const account = await resolveAccount(tx, input.user);
      const grant = await lockUserGrant(tx, account.id, input.grantId);
      if (!grant) throw notFound('grantId', `${account.email} has no grant "${input.grantId}"`);
      const endedRecords = await deleteGrantRecords(tx, grant.id);
      const clientId = grant.payload.clientId ?? null;
      return {
        result: { userId: account.id, email: account.email, grantId: grant.id, clientId, endedRecords },
        event: {
          type: 'user.grant_revoked',
          target: { type: 'user', id: account.id },
          details: { grantId: grant.id, clientId, endedRecords },
        },
      };
    });
  },
});
