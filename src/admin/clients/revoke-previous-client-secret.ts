// clients.revoke-previous-secret: the secret the last rotation replaced stops working now (a leak,
// or the switch-over is done), instead of at the end of its grace (secret-rotation.ts).
import { clearPreviousClientSecret, findClient } from '../../storage/clients.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { adminChange, defineOperation, notFound } from '../operation/define.ts';
import { clientIdFlag, clientIdTarget } from './client-flags.ts';
import { clientIdInput } from './client-input.ts';
import { clientAnswer, clientTag, toClientView, type ClientView } from './client-view.ts';
import { isActive, lockClientWithSecret } from './secret-rotation.ts';

export const revokePreviousClientSecret = defineOperation({
  name: 'clients.revoke-previous-secret',
  summary: 'end the previous client secret now (the one the last rotation replaced)',
  input: clientIdInput,
  output: clientAnswer,
  http: {
    method: 'DELETE',
    path: '/clients/{clientId}/secret/previous',
    scopes: [ADMIN_SCOPES.write],
    body: 'none',
    status: 200,
    etag: clientTag,
    summary: 'End the previous client secret (the one the last rotation replaced) now; 404 when there is none',
    errors: [404, 409],
  },
  cli: {
    command: 'clients revoke-previous-secret',
    summary: 'end the previous client secret now (the one the last rotation replaced)',
    target: clientIdTarget,
    flags: { 'client-id': clientIdFlag },
    print: (client, output) => output.out(`Ended the previous secret of client "${client.name}"; only the current secret works now`),
  },
  async run(ctx, input): Promise<ClientView> {
    return adminChange(ctx, async (tx) => {
      const current = await lockClientWithSecret(ctx, tx, input.clientId, 'and so no previous secret');
      if (current.previousSecretHash === null) {
        throw notFound(
          'clientId',
          `client "${input.clientId}" has no previous secret (never rotated, rotated with a previousSecretTtl of 0, or already revoked)`,
        );
      }
      await clearPreviousClientSecret(tx, input.clientId);
      const wasActive = isActive(ctx, current.previousSecretExpiresAt);
      return {
        result: toClientView((await findClient(tx, input.clientId))!),
        event: { type: 'client.previous_secret_revoked', target: { type: 'client', id: input.clientId }, details: { wasActive } },
      };
    });
  },
});
