// Queries for OAuth clients and the resource-server scopes each may request.
import { notifyChange, type Database, type Queryable } from './database.ts';

/** RFC 7591 metadata as oidc-provider understands it (without the secret). */
export type ClientMetadata = Record<string, unknown> & {
  client_name: string;
  grant_types: string[];
  redirect_uris: string[];
  token_endpoint_auth_method: string;
};

export interface StoredClient {
  clientId: string;
  name: string;
  metadata: ClientMetadata;
  /** Keyed hash of the secret; null for public and private_key_jwt clients. */
  secretHash: string | null;
  firstParty: boolean;
  /** resource identifier -> scopes the client may request for it */
  resources: Record<string, string[]>;
  /** Requests per minute to the token-family endpoints; null: the server default (RATE_LIMIT_CLIENT_PER_MINUTE). */
  rateLimitPerMinute: number | null;
  /** Its users must sign in with a second factor. */
  requireMfa: boolean;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  client_id: string;
  name: string;
  metadata: ClientMetadata;
  secret_hash: string | null;
  first_party: boolean;
  resources: Record<string, string[]> | null;
  rate_limit_per_minute: number | null;
  require_mfa: boolean;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `SELECT c.client_id, c.name, c.metadata, c.secret_hash, c.first_party, c.rate_limit_per_minute, c.require_mfa, c.created_at, c.updated_at,
  (SELECT jsonb_object_agg(cr.resource, to_jsonb(cr.scopes)) FROM client_resources cr WHERE cr.client_id = c.client_id) AS resources
  FROM clients c`;

const toClient = (row: Row): StoredClient => ({
  clientId: row.client_id,
  name: row.name,
  metadata: row.metadata,
  secretHash: row.secret_hash,
  firstParty: row.first_party,
  resources: row.resources ?? {},
  rateLimitPerMinute: row.rate_limit_per_minute,
  requireMfa: row.require_mfa,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

export type NewClient = Omit<StoredClient, 'createdAt' | 'updatedAt' | 'rateLimitPerMinute' | 'requireMfa'> & { rateLimitPerMinute?: number | null; requireMfa?: boolean };

export async function insertClient(db: Database, input: NewClient): Promise<StoredClient> {
  await db.transaction(async (tx) => {
    await tx.query('INSERT INTO clients (client_id, name, metadata, secret_hash, first_party, rate_limit_per_minute, require_mfa) VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7)', [
      input.clientId,
      input.name,
      JSON.stringify(input.metadata),
      input.secretHash,
      input.firstParty,
      input.rateLimitPerMinute ?? null,
      input.requireMfa ?? false,
    ]);
    for (const [resource, scopes] of Object.entries(input.resources)) {
      await tx.query('INSERT INTO client_resources (client_id, resource, scopes) VALUES ($1, $2, $3)', [input.clientId, resource, scopes]);
    }
    await notifyChange(tx, 'client', input.clientId);
  });
  return (await findClient(db, input.clientId))!;
}

export async function findClient(db: Queryable, clientId: string): Promise<StoredClient | undefined> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE c.client_id = $1`, [clientId]);
  return rows[0] && toClient(rows[0]);
}

/** Up to `limit` clients in (name, client_id) order, after the given position. */
export async function listClients(db: Queryable, page: { after?: readonly [name: string, clientId: string] | undefined; limit: number }): Promise<StoredClient[]> {
  const { rows } = page.after
    ? await db.query<Row>(`${SELECT} WHERE (c.name, c.client_id) > ($1, $2) ORDER BY c.name, c.client_id LIMIT $3`, [page.after[0], page.after[1], page.limit])
    : await db.query<Row>(`${SELECT} ORDER BY c.name, c.client_id LIMIT $1`, [page.limit]);
  return rows.map(toClient);
}

/** Deletes the client and every token, grant and code it holds. */
export async function deleteClient(db: Database, clientId: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const { rowCount } = await tx.query('DELETE FROM clients WHERE client_id = $1', [clientId]);
    if (rowCount === 0) return false;
    await tx.query(`DELETE FROM oidc_models WHERE payload->>'clientId' = $1`, [clientId]);
    await notifyChange(tx, 'client', clientId);
    return true;
  });
}
