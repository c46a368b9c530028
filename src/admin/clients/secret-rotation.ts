// What clients.rotate-secret and clients.revoke-previous-secret share. A rotation issues a new
// secret (returned once) and keeps the one it replaces working for a while, so a deployment can
// switch over without downtime; revoking the previous secret ends that grace early (a leak, or the
// switch is done).
//
// Never more than two active secrets: rotating again while a previous secret is still active drops
// that older one. A second rotation is what an admin does when the newest secret itself leaked or
// was lost, so it must not be blocked; the secret in use by the deployments (the current one) keeps
// working as the new previous secret. The drop is recorded in the audit event.
import { findClientForUpdate, type StoredClient } from '../../storage/clients.ts';
import type { Queryable } from '../../storage/database.ts';
import { adminScopesOf, assertHolds } from '../operation/authority.ts';
import { conflict, notFound, type OperationContext } from '../operation/define.ts';

/** How long the replaced secret keeps working by default: a day to roll the new one out. */
export const DEFAULT_PREVIOUS_SECRET_TTL = 86_400;
export const MAX_PREVIOUS_SECRET_TTL = 30 * 86_400;

/**
 * The client, locked for the change; refused when it has no secret (public and private_key_jwt
 * clients), and when it holds admin scopes the caller does not (whoever knows its secret has them).
 */
export async function lockClientWithSecret(ctx: OperationContext, tx: Queryable, clientId: string, action: string): Promise<StoredClient> {
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
export const clock = (ctx: OperationContext) => (ctx.now ?? (() => new Date()))();
export const isActive = (ctx: OperationContext, expiresAt: string | null) =>
  expiresAt !== null && Date.parse(expiresAt) > clock(ctx).getTime();
