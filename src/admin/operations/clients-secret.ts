// clients.rotate-secret | clients.revoke-previous-secret. A rotation issues a new secret (returned
// once) and keeps the one it replaces working for a while, so a deployment can switch over without
// downtime; revoking the previous secret ends that grace early (a leak, or the switch is done).
//
// Never more than two active secrets: rotating again while a previous secret is still active drops
// that older one. A second rotation is what an admin does when the newest secret itself leaked or
// was lost, so it must not be blocked; the secret in use by the deployments (the current one) keeps
// working as the new previous secret. The drop is recorded in the audit event.
import { z } from 'zod';
import { generateClientSecret, hashClientSecret } from '../../security/client-secrets.ts';
import {
  clearPreviousClientSecret,
  findClient,
  findClientForUpdate,
  rotateClientSecret,
  type StoredClient,
} from '../../storage/clients.ts';
import type { Queryable } from '../../storage/database.ts';
import { clientIdField } from '../client-input.ts';
import { toClientView, type ClientView } from './clients-view.ts';
import { adminScopesOf, assertHolds } from '../operation/authority.ts';
import { adminChange, conflict, defineLegacyOperation, notFound, type OperationContext } from '../operation/define.ts';

/** How long the replaced secret keeps working by default: a day to roll the new one out. */
export const DEFAULT_PREVIOUS_SECRET_TTL = 86_400;
export const MAX_PREVIOUS_SECRET_TTL = 30 * 86_400;

const rotateInput = z.strictObject({
  clientId: clientIdField,
  /** Seconds the replaced secret keeps working; 0 ends it at once. */
  previousSecretTtl: z
    .number({ error: `must be a whole number of seconds between 0 and ${MAX_PREVIOUS_SECRET_TTL}` })
    .int(`must be a whole number of seconds between 0 and ${MAX_PREVIOUS_SECRET_TTL}`)
    .min(0, 'must be at least 0 (0 ends the previous secret at once)')
    .max(MAX_PREVIOUS_SECRET_TTL, `must be at most ${MAX_PREVIOUS_SECRET_TTL} seconds (30 days)`)
    .default(DEFAULT_PREVIOUS_SECRET_TTL),
});

/**
 * The client, locked for the change; refused when it has no secret (public and private_key_jwt
 * clients), and when it holds admin scopes the caller does not (whoever knows its secret has them).
 */
async function lockClientWithSecret(ctx: OperationContext, tx: Queryable, clientId: string, action: string): Promise<StoredClient> {
  const client = await findClientForUpdate(tx, clientId);
  if (!client) throw notFound('clientId', `no client "${clientId}"`);
  assertHolds(ctx.scopes, adminScopesOf(client.resources), 'changing the secret of a client that holds admin scopes');
  if (client.secretHash === null) {
    throw conflict(
      'clientId',
      `client "${clientId}" authenticates with ${client.metadata.token_endpoint_auth_method}: it has no secret ${action}`,
    );
  }
  return client;
}

/** The server's clock: the one the provider checks the previous secret's expiry against. */
const clock = (ctx: OperationContext) => (ctx.now ?? (() => new Date()))();
const isActive = (ctx: OperationContext, expiresAt: string | null) => expiresAt !== null && Date.parse(expiresAt) > clock(ctx).getTime();

export const rotateClientSecretOperation = defineLegacyOperation({
  name: 'clients.rotate-secret',
  summary: 'issue a new client secret (returned once); the old one keeps working for previousSecretTtl seconds',
  input: rotateInput,
  async run(ctx, input): Promise<ClientView & { clientSecret: string }> {
    const clientSecret = generateClientSecret();
    const view = await adminChange(ctx, async (tx) => {
      const current = await lockClientWithSecret(ctx, tx, input.clientId, 'to rotate');
      const previousExpiresAt = input.previousSecretTtl === 0 ? null : new Date(clock(ctx).getTime() + input.previousSecretTtl * 1000);
      await rotateClientSecret(tx, input.clientId, hashClientSecret(ctx.keys.clientSecretKey, clientSecret), previousExpiresAt);
      const result = toClientView((await findClient(tx, input.clientId))!);
      const droppedOlder = current.previousSecretHash !== null && isActive(ctx, current.previousSecretExpiresAt);
      return {
        result,
        event: {
          type: 'client.secret_rotated',
          target: { type: 'client', id: input.clientId },
          details: { previousExpiresAt: result.previousSecretExpiresAt, droppedOlder },
        },
      };
    });
    return { ...view, clientSecret };
  },
});

export const revokePreviousClientSecret = defineLegacyOperation({
  name: 'clients.revoke-previous-secret',
  summary: 'end the previous client secret now (the one the last rotation replaced)',
  input: z.strictObject({ clientId: clientIdField }),
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

export const clientSecretOperations = [rotateClientSecretOperation, revokePreviousClientSecret];
