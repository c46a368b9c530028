// Queries for OAuth clients and the resource-server scopes each may request.
import { inTransaction, notifyChange, type Database, type Queryable } from './database.ts';
import { isStorableText } from './storable-text.ts';

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
  /** Keyed hash of the secret the current one replaced, still accepted until its expiry (rotation). */
  previousSecretHash: string | null;
  /** When the previous secret stops working; null when there is none. */
  previousSecretExpiresAt: string | null;
  firstParty: boolean;
  /** resource identifier -> scopes the client may request for it */
  resources: Record<string, string[]>;
  /** Requests per minute to the token-family endpoints; null: the server default (RATE_LIMIT_CLIENT_PER_MINUTE). */
  rateLimitPerMinute: number | null;
  /** Its users must sign in with a second factor. */
  requireMfa: boolean;
  /** Lifetime of its ID tokens in seconds; null: the server default. */
  idTokenTtl: number | null;
  /** Lifetime of its refresh tokens in seconds; null: the server default (REFRESH_TOKEN_TTL). */
  refreshTokenTtl: number | null;
  createdAt: string;
  updatedAt: string;
}

interface Row {
  client_id: string;
  name: string;
  metadata: ClientMetadata;
  secret_hash: string | null;
  previous_secret_hash: string | null;
  previous_secret_expires_at: Date | null;
  first_party: boolean;
  resources: Record<string, string[]> | null;
  rate_limit_per_minute: number | null;
  require_mfa: boolean;
  id_token_ttl: number | null;
  refresh_token_ttl: number | null;
  created_at: Date;
  updated_at: Date;
}

const SELECT = `SELECT c.client_id, c.name, c.metadata, c.secret_hash, c.previous_secret_hash, c.previous_secret_expires_at, c.first_party,
  c.rate_limit_per_minute, c.require_mfa, c.id_token_ttl, c.refresh_token_ttl, c.created_at, c.updated_at,
  (SELECT jsonb_object_agg(cr.resource, to_jsonb(cr.scopes)) FROM client_resources cr WHERE cr.client_id = c.client_id) AS resources
  FROM clients c`;

const toClient = (row: Row): StoredClient => ({
  clientId: row.client_id,
  name: row.name,
  metadata: row.metadata,
  secretHash: row.secret_hash,
  previousSecretHash: row.previous_secret_hash,
  previousSecretExpiresAt: row.previous_secret_expires_at === null ? null : new Date(row.previous_secret_expires_at).toISOString(),
  firstParty: row.first_party,
  resources: row.resources ?? {},
  rateLimitPerMinute: row.rate_limit_per_minute,
  requireMfa: row.require_mfa,
  idTokenTtl: row.id_token_ttl,
  refreshTokenTtl: row.refresh_token_ttl,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/** The settings an admin may change after registration (everything but the id and the secrets). */
export interface ClientSettings {
  name: string;
  metadata: ClientMetadata;
  firstParty: boolean;
  requireMfa: boolean;
  resources: Record<string, string[]>;
  rateLimitPerMinute: number | null;
  idTokenTtl: number | null;
  refreshTokenTtl: number | null;
}

export type NewClient = Pick<StoredClient, 'clientId' | 'name' | 'metadata' | 'secretHash' | 'firstParty' | 'resources'> &
  Partial<Pick<StoredClient, 'rateLimitPerMinute' | 'requireMfa' | 'idTokenTtl' | 'refreshTokenTtl'>>;

async function insertClientResources(tx: Queryable, clientId: string, resources: Record<string, string[]>): Promise<void> {
  for (const [resource, scopes] of Object.entries(resources)) {
    await tx.query('INSERT INTO client_resources (client_id, resource, scopes) VALUES ($1, $2, $3)', [clientId, resource, scopes]);
  }
}

/** Registers the client (in the caller's transaction when `db` is one). */
export async function insertClient(db: Queryable | Database, input: NewClient): Promise<StoredClient> {
  await inTransaction(db, async (tx) => {
    await tx.query(
      `INSERT INTO clients (client_id, name, metadata, secret_hash, first_party, rate_limit_per_minute, require_mfa, id_token_ttl, refresh_token_ttl)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6, $7, $8, $9)`,
      [
        input.clientId,
        input.name,
        JSON.stringify(input.metadata),
        input.secretHash,
        input.firstParty,
        input.rateLimitPerMinute ?? null,
        input.requireMfa ?? false,
        input.idTokenTtl ?? null,
        input.refreshTokenTtl ?? null,
      ],
    );
    await insertClientResources(tx, input.clientId, input.resources);
    await notifyChange(tx, 'client', input.clientId);
  });
  return (await findClient(db, input.clientId))!;
}

export async function findClient(db: Queryable, clientId: string): Promise<StoredClient | undefined> {
  if (!isStorableText(clientId)) return undefined; // no client has such an id (read from a header or an unverified JWT)
  const { rows } = await db.query<Row>(`${SELECT} WHERE c.client_id = $1`, [clientId]);
  return rows[0] && toClient(rows[0]);
}

/** Which of `clientIds` name no registered client. */
export async function unknownClientIds(db: Queryable, clientIds: readonly string[]): Promise<string[]> {
  if (clientIds.length === 0) return [];
  const { rows } = await db.query<{ id: string }>(
    'SELECT id FROM unnest($1::text[]) AS id WHERE NOT EXISTS (SELECT 1 FROM clients c WHERE c.client_id = id) ORDER BY id',
    [clientIds],
  );
  return rows.map((row) => row.id);
}

/**
 * The client, its row locked until the transaction ends: an update reads, checks (If-Match) and
 * writes without another change slipping in between.
 */
export async function findClientForUpdate(tx: Queryable, clientId: string): Promise<StoredClient | undefined> {
  const { rows } = await tx.query('SELECT 1 FROM clients WHERE client_id = $1 FOR UPDATE', [clientId]);
  return rows.length === 0 ? undefined : findClient(tx, clientId);
}

/** Replaces the client's settings (within the caller's transaction, the row locked) and announces the change. */
export async function updateClientSettings(
  tx: Queryable,
  clientId: string,
  settings: ClientSettings,
  options: { resourcesChanged: boolean },
): Promise<void> {
  await tx.query(
    `UPDATE clients SET name = $2, metadata = $3::jsonb, first_party = $4, require_mfa = $5, rate_limit_per_minute = $6,
       id_token_ttl = $7, refresh_token_ttl = $8, updated_at = now()
     WHERE client_id = $1`,
    [
      clientId,
      settings.name,
      JSON.stringify(settings.metadata),
      settings.firstParty,
      settings.requireMfa,
      settings.rateLimitPerMinute,
      settings.idTokenTtl,
      settings.refreshTokenTtl,
    ],
  );
  if (options.resourcesChanged) {
    await tx.query('DELETE FROM client_resources WHERE client_id = $1', [clientId]);
    await insertClientResources(tx, clientId, settings.resources);
  }
  await notifyChange(tx, 'client', clientId);
}

/**
 * Makes `secretHash` the client's secret. The one it replaces stays valid until `previousExpiresAt`
 * (null: it ends now); an older previous secret still active is dropped, so a client never holds
 * more than two.
 */
export async function rotateClientSecret(
  tx: Queryable,
  clientId: string,
  secretHash: string,
  previousExpiresAt: Date | null,
): Promise<void> {
  await tx.query(
    `UPDATE clients SET
       previous_secret_hash = CASE WHEN $3::timestamptz IS NULL THEN NULL ELSE secret_hash END,
       previous_secret_expires_at = $3::timestamptz,
       secret_hash = $2, updated_at = now()
     WHERE client_id = $1`,
    [clientId, secretHash, previousExpiresAt],
  );
  await notifyChange(tx, 'client', clientId);
}

/** Ends the previous secret now. */
export async function clearPreviousClientSecret(tx: Queryable, clientId: string): Promise<void> {
  await tx.query(
    'UPDATE clients SET previous_secret_hash = NULL, previous_secret_expires_at = NULL, updated_at = now() WHERE client_id = $1',
    [clientId],
  );
  await notifyChange(tx, 'client', clientId);
}

/** Up to `limit` clients in (name, client_id) order, after the given position. */
export async function listClients(
  db: Queryable,
  page: { after?: readonly [name: string, clientId: string] | undefined; limit: number },
): Promise<StoredClient[]> {
  const { rows } = page.after
    ? await db.query<Row>(`${SELECT} WHERE (c.name, c.client_id) > ($1, $2) ORDER BY c.name, c.client_id LIMIT $3`, [
        page.after[0],
        page.after[1],
        page.limit,
      ])
    : await db.query<Row>(`${SELECT} ORDER BY c.name, c.client_id LIMIT $1`, [page.limit]);
  return rows.map(toClient);
}

/** Deletes the client and every token, grant and code it holds (in the caller's transaction when `db` is one). */
export async function deleteClient(db: Queryable | Database, clientId: string): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const { rowCount } = await tx.query('DELETE FROM clients WHERE client_id = $1', [clientId]);
    if (rowCount === 0) return false;
    await tx.query(`DELETE FROM oidc_models WHERE payload->>'clientId' = $1`, [clientId]);
    await notifyChange(tx, 'client', clientId);
    return true;
  });
}
