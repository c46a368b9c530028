// clients.delete: a client goes, with its grants and tokens.
import { z } from 'zod';
import { deleteClient as deleteStoredClient, findClientForUpdate } from '../../storage/clients.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer } from '../operation/answer-schemas.ts';
import { adminScopesOf, assertHolds } from '../operation/authority.ts';
import { adminChange, defineOperation, notFound } from '../operation/define.ts';
import { clientIdFlag, clientIdTarget } from './client-flags.ts';
import { clientIdInput } from './client-input.ts';

const deletedClient = answer('DeletedClient', z.object({ clientId: z.string(), deleted: z.literal(true) }));

export const deleteClient = defineOperation({
  name: 'clients.delete',
  summary: 'delete a client with its grants and tokens',
  input: clientIdInput,
  output: deletedClient,
  http: {
    method: 'DELETE',
    path: '/clients/{clientId}',
    summary: 'Delete a client with its grants and tokens',
    scopes: [ADMIN_SCOPES.write],
    body: 'none',
    status: 200,
    errors: [404],
  },
  cli: {
    command: 'clients delete',
    summary: 'delete a client with its grants and tokens',
    target: clientIdTarget,
    flags: { 'client-id': clientIdFlag },
    print: (result, output) => output.out(`Deleted client ${result.clientId}`),
  },
  async run(ctx, input): Promise<z.output<typeof deletedClient>> {
    return adminChange(ctx, async (tx) => {
      const client = await findClientForUpdate(tx, input.clientId);
      if (!client) throw notFound('clientId', `no client "${input.clientId}"`);
      assertHolds(ctx.scopes, adminScopesOf(client.resources), 'deleting a client that holds admin scopes');
      await deleteStoredClient(tx, input.clientId);
      return {
        result: { clientId: input.clientId, deleted: true as const },
        event: { type: 'client.deleted', target: { type: 'client', id: input.clientId } },
      };
    });
  },
});
