// clients.create | list | show | delete; update and the secret's rotation are in clients-*.ts.
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { generateClientSecret, hashClientSecret } from '../../security/client-secrets.ts';
import { deleteClient, findClient, findClientForUpdate, insertClient, listClients, type StoredClient } from '../../storage/clients.ts';
import { listResourceServers } from '../../storage/resource-servers.ts';
import { clientCreateInput, clientIdField, planClient } from '../client-input.ts';
import { clientSecretOperations } from './clients-secret.ts';
import { updateClientOperation } from './clients-update.ts';
import { toClientView, type ClientView, type ClientViewWithSecret } from './clients-view.ts';
import { adminScopesOf, assertHolds } from '../operation/authority.ts';
import { adminChange, conflict, defineLegacyOperation, notFound, sqlState } from '../operation/define.ts';
import { decodeCursor, pageInput, toPage, type Page } from '../operation/pagination.ts';

export { toClientView, type ClientView, type ClientViewWithSecret } from './clients-view.ts';

const clientIdInput = z.strictObject({ clientId: clientIdField });

/**
 * 128 random bits, base64url, starting with a letter or digit: an id that starts with `-` would
 * read as a flag on the command line (`portcullis clients show -x…`).
 */
export function newClientId(): string {
  for (;;) {
    const clientId = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(clientId)) return clientId;
  }
}

export const createClient = defineLegacyOperation({
  name: 'clients.create',
  summary: 'register a client; a generated secret is returned once',
  input: clientCreateInput,
  async run(ctx, input): Promise<ClientViewWithSecret> {
    const plan = planClient(input, await listResourceServers(ctx.db), { maxRefreshTokenTtl: ctx.config.refreshTokenTtl });
    assertHolds(ctx.scopes, adminScopesOf(plan.resources), 'registering a client with permissions on the admin API');
    const clientId = newClientId();
    const clientSecret = plan.issueSecret ? generateClientSecret() : undefined;
    let stored: StoredClient;
    try {
      stored = await adminChange(ctx, async (tx) => {
        const result = await insertClient(tx, {
          clientId,
          name: input.name,
          metadata: plan.metadata,
          secretHash: clientSecret === undefined ? null : hashClientSecret(ctx.keys.clientSecretKey, clientSecret),
          firstParty: input.firstParty,
          requireMfa: input.requireMfa,
          resources: plan.resources,
          rateLimitPerMinute: plan.rateLimitPerMinute,
          idTokenTtl: plan.idTokenTtl,
          refreshTokenTtl: plan.refreshTokenTtl,
        });
        const details = {
          name: input.name,
          grantTypes: plan.metadata.grant_types,
          authMethod: plan.metadata.token_endpoint_auth_method,
          firstParty: input.firstParty,
          requireMfa: input.requireMfa,
          resources: plan.resources,
          ...(input.requireDpop ? { requireDpop: true } : {}),
          ...(input.pkce === 'optional' ? { pkce: 'optional' } : {}),
          ...(plan.rateLimitPerMinute === null ? {} : { rateLimitPerMinute: plan.rateLimitPerMinute }),
          idTokenAlg: input.idTokenAlg,
          ...(plan.idTokenTtl === null ? {} : { idTokenTtl: plan.idTokenTtl }),
          ...(plan.refreshTokenTtl === null ? {} : { refreshTokenTtl: plan.refreshTokenTtl }),
        };
        return { result, event: { type: 'client.created', target: { type: 'client', id: clientId }, details } };
      });
    } catch (error) {
      // A resource server deleted between the check and the insert.
      if (sqlState(error) === '23503') throw conflict('resources', 'a named resource server was deleted meanwhile; retry');
      throw error;
    }
    return { ...toClientView(stored), ...(clientSecret === undefined ? {} : { clientSecret }) };
  },
});

export const listClientsOperation = defineLegacyOperation({
  name: 'clients.list',
  summary: 'list the registered clients, by name, a page at a time',
  input: z.strictObject(pageInput),
  async run(ctx, input): Promise<Page<ClientView>> {
    const after = decodeCursor(input.cursor, 2) as [string, string] | undefined;
    const rows = await listClients(ctx.db, { after, limit: input.limit + 1 });
    return toPage(rows, input.limit, (client) => [client.name, client.clientId], toClientView);
  },
});

export const showClient = defineLegacyOperation({
  name: 'clients.show',
  summary: 'show one client (never its secret)',
  input: clientIdInput,
  async run(ctx, input): Promise<ClientView> {
    const client = await findClient(ctx.db, input.clientId);
    if (!client) throw notFound('clientId', `no client "${input.clientId}"`);
    return toClientView(client);
  },
});

export const deleteClientOperation = defineLegacyOperation({
  name: 'clients.delete',
  summary: 'delete a client with its grants and tokens',
  input: clientIdInput,
  async run(ctx, input): Promise<{ clientId: string; deleted: true }> {
    return adminChange(ctx, async (tx) => {
      const client = await findClientForUpdate(tx, input.clientId);
      if (!client) throw notFound('clientId', `no client "${input.clientId}"`);
      assertHolds(ctx.scopes, adminScopesOf(client.resources), 'deleting a client that holds admin scopes');
      await deleteClient(tx, input.clientId);
      return {
        result: { clientId: input.clientId, deleted: true as const },
        event: { type: 'client.deleted', target: { type: 'client', id: input.clientId } },
      };
    });
  },
});

export const clientOperations = [
  createClient,
  listClientsOperation,
  showClient,
  updateClientOperation,
  ...clientSecretOperations,
  deleteClientOperation,
];
