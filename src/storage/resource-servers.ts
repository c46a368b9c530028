// Queries for resource servers (APIs that accept Portcullis JWT access tokens), their scopes and
// their registry entry (owner, classification, live and review dates: migration 0006).
import { inTransaction, notifyChange, type Database, type Queryable } from './database.ts';
import { LATEST_ASSESSMENT_SQL, type RiskAssessment, type StoredAssessment } from './resource-reviews.ts';

export interface ResourceScope {
  name: string;
  description: string;
}

/** What issuing a token needs to know about an API. */
export interface ResourceServer {
  identifier: string;
  name: string;
  scopes: ResourceScope[];
  /** Access-token lifetime in seconds; null means the server default. */
  tokenTtl: number | null;
  /** The JWS algorithm of its access tokens (one of signing-algorithms.ts; the column's CHECK holds the list too). */
  tokenAlg: string;
  createdAt: string;
  updatedAt: string;
}

/** migrations/0006_resource_registry.sql explains the levels. */
export const CLASSIFICATIONS = ['public', 'internal', 'confidential', 'restricted'] as const;
export type Classification = (typeof CLASSIFICATIONS)[number];

/** The registry's facts about an API; null: not known (APIs registered before the registry). */
export interface ResourceRegistryFields {
  description: string;
  owner: string | null;
  purpose: string;
  classification: Classification | null;
  /** Calendar dates, `YYYY-MM-DD`. */
  liveDate: string | null;
  nextReviewDate: string;
}

/** A resource server with its registry entry, as stored. */
export interface ResourceServerRecord extends ResourceServer, ResourceRegistryFields {
  lastReviewedAt: string | null;
  /** Clients besides a token's own that may introspect access tokens for this API (migration 0011), by id. */
  introspectingClients: string[];
  /** The latest review's risk assessment (migration 0014); null: none recorded yet. */
  riskAssessment: CurrentRiskAssessment | null;
}

export interface CurrentRiskAssessment extends RiskAssessment {
  /** When the review that recorded it was made, and by whom (the audit actor's id). */
  assessedAt: string;
  assessedBy: string;
}

export interface NewResourceServer extends Partial<ResourceRegistryFields> {
  identifier: string;
  name: string;
  scopes: ResourceScope[];
  tokenTtl: number | null;
  /** Default: ES256 (the column's default). */
  tokenAlg?: string;
  introspectingClients?: string[];
}

/** Everything an update may change, whole (the operation merges the patch into the current values). */
export interface ResourceServerSettings extends ResourceRegistryFields {
  name: string;
  tokenTtl: number | null;
  tokenAlg: string;
}

interface Row {
  identifier: string;
  name: string;
  token_ttl: number | null;
  token_alg: string;
  created_at: Date;
  updated_at: Date;
  scopes: ResourceScope[] | null;
  description: string;
  owner: string | null;
  purpose: string;
  classification: Classification | null;
  live_date: string | null;
  next_review_date: string;
  last_reviewed_at: Date | null;
  introspecting_clients: string[] | null;
  risk_assessment: StoredAssessment | null;
}

// Dates leave the database as text: drivers turn a `date` into a local-midnight Date, which shifts
// the day in any time zone west of UTC.
const SELECT = `SELECT r.identifier, r.name, r.token_ttl, r.token_alg, r.created_at, r.updated_at,
  r.description, r.owner, r.purpose, r.classification,
  to_char(r.live_date, 'YYYY-MM-DD') AS live_date, to_char(r.next_review_date, 'YYYY-MM-DD') AS next_review_date, r.last_reviewed_at,
  (SELECT coalesce(jsonb_agg(jsonb_build_object('name', s.name, 'description', s.description) ORDER BY s.name), '[]'::jsonb)
     FROM resource_scopes s WHERE s.resource = r.identifier) AS scopes,
  array(SELECT i.client_id FROM resource_introspecting_clients i WHERE i.resource = r.identifier ORDER BY i.client_id) AS introspecting_clients,
  ${LATEST_ASSESSMENT_SQL} AS risk_assessment
  FROM resource_servers r`;

const toResourceServer = (row: Row): ResourceServerRecord => ({
  identifier: row.identifier,
  name: row.name,
  scopes: row.scopes ?? [],
  tokenTtl: row.token_ttl,
  tokenAlg: row.token_alg,
  description: row.description,
  owner: row.owner,
  purpose: row.purpose,
  classification: row.classification,
  liveDate: row.live_date,
  nextReviewDate: row.next_review_date,
  lastReviewedAt: row.last_reviewed_at === null ? null : new Date(row.last_reviewed_at).toISOString(),
  introspectingClients: row.introspecting_clients ?? [],
  riskAssessment: row.risk_assessment && {
    ...row.risk_assessment,
    assessedAt: new Date(row.risk_assessment.assessedAt).toISOString(),
  },
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
});

/** Registers the API; without a next review date, it is due a year after registration. In the caller's transaction when `db` is one. */
export async function insertResourceServer(db: Queryable | Database, input: NewResourceServer): Promise<ResourceServerRecord> {
  await inTransaction(db, async (tx) => {
    await tx.query(
      `INSERT INTO resource_servers (identifier, name, token_ttl, description, owner, purpose, classification, live_date, next_review_date, token_alg)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8::date, coalesce($9::date, current_date + 365), coalesce($10, 'ES256'))`,
      [
        input.identifier,
        input.name,
        input.tokenTtl,
        input.description ?? '',
        input.owner ?? null,
        input.purpose ?? '',
        input.classification ?? null,
        input.liveDate ?? null,
        input.nextReviewDate ?? null,
        input.tokenAlg ?? null,
      ],
    );
    for (const scope of input.scopes) {
      await tx.query('INSERT INTO resource_scopes (resource, name, description) VALUES ($1, $2, $3)', [
        input.identifier,
        scope.name,
        scope.description,
      ]);
    }
    await replaceIntrospectingClients(tx, input.identifier, input.introspectingClients ?? []);
    await notifyChange(tx, 'resource', input.identifier);
  });
  return (await findResourceServer(db, input.identifier))!;
}

export async function findResourceServer(db: Queryable, identifier: string): Promise<ResourceServerRecord | undefined> {
  const { rows } = await db.query<Row>(`${SELECT} WHERE r.identifier = $1`, [identifier]);
  return rows[0] && toResourceServer(rows[0]);
}

/** Locks the resource server's row until the transaction ends and reads it; undefined if there is none. */
export async function findResourceServerForUpdate(tx: Queryable, identifier: string): Promise<ResourceServerRecord | undefined> {
  const { rowCount } = await tx.query('SELECT 1 FROM resource_servers WHERE identifier = $1 FOR UPDATE', [identifier]);
  return rowCount > 0 ? findResourceServer(tx, identifier) : undefined;
}

/** Which APIs a page holds: all, or only those whose review is (not) overdue on `today`. */
export interface ResourceServerPage {
  after?: string | undefined;
  limit: number;
  overdue?: { is: boolean; today: string } | undefined;
}

/** Up to `limit` resource servers in identifier order, after the given one. */
export async function pageResourceServers(db: Queryable, page: ResourceServerPage): Promise<ResourceServerRecord[]> {
  const conditions: string[] = [];
  const params: unknown[] = [];
  if (page.after !== undefined) {
    params.push(page.after);
    conditions.push(`r.identifier > $${params.length}`);
  }
  if (page.overdue !== undefined) {
    params.push(page.overdue.today);
    conditions.push(`r.next_review_date ${page.overdue.is ? '<' : '>='} $${params.length}::date`);
  }
  params.push(page.limit);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const { rows } = await db.query<Row>(`${SELECT} ${where} ORDER BY r.identifier LIMIT $${params.length}`, params);
  return rows.map(toResourceServer);
}

export async function listResourceServers(db: Queryable): Promise<ResourceServerRecord[]> {
  const { rows } = await db.query<Row>(`${SELECT} ORDER BY r.identifier`);
  return rows.map(toResourceServer);
}

/**
 * Every resource server with its scopes, read after share-locking the rows (call in a transaction):
 * a client change that copies scopes from them then waits for a concurrent scope removal to commit,
 * and reads the scopes it left, so a removed scope is never written back into a client.
 */
export async function listResourceServersLocked(tx: Queryable): Promise<ResourceServerRecord[]> {
  await tx.query('SELECT identifier FROM resource_servers ORDER BY identifier FOR SHARE');
  // A new statement: under READ COMMITTED it sees what the waited-for transactions committed.
  return listResourceServers(tx);
}

/** Writes the settings (call inside the transaction that locked the row). */
export async function updateResourceServerSettings(tx: Queryable, identifier: string, settings: ResourceServerSettings): Promise<void> {
  await tx.query(
    `UPDATE resource_servers SET name = $2, token_ttl = $3, description = $4, owner = $5, purpose = $6, classification = $7,
       live_date = $8::date, next_review_date = $9::date, token_alg = $10, updated_at = now()
     WHERE identifier = $1`,
    [
      identifier,
      settings.name,
      settings.tokenTtl,
      settings.description,
      settings.owner,
      settings.purpose,
      settings.classification,
      settings.liveDate,
      settings.nextReviewDate,
      settings.tokenAlg,
    ],
  );
  await notifyChange(tx, 'resource', identifier);
}

/** Replaces the scopes the API defines with `scopes` (descriptions included). */
export async function replaceResourceScopes(tx: Queryable, identifier: string, scopes: readonly ResourceScope[]): Promise<void> {
  await tx.query('DELETE FROM resource_scopes WHERE resource = $1 AND NOT (name = ANY($2::text[]))', [
    identifier,
    scopes.map((scope) => scope.name),
  ]);
  for (const scope of scopes) {
    await tx.query(
      `INSERT INTO resource_scopes (resource, name, description) VALUES ($1, $2, $3)
       ON CONFLICT (resource, name) DO UPDATE SET description = excluded.description`,
      [identifier, scope.name, scope.description],
    );
  }
  await notifyChange(tx, 'resource', identifier);
}

/**
 * Replaces the clients the API names as its introspecting clients (inside the transaction that
 * writes the API; the caller announces the change). A client that does not exist fails the foreign
 * key (SQLSTATE 23503).
 */
export async function replaceIntrospectingClients(tx: Queryable, identifier: string, clientIds: readonly string[]): Promise<void> {
  await tx.query('DELETE FROM resource_introspecting_clients WHERE resource = $1 AND NOT (client_id = ANY($2::text[]))', [
    identifier,
    clientIds,
  ]);
  await tx.query(
    'INSERT INTO resource_introspecting_clients (resource, client_id) SELECT $1, c FROM unnest($2::text[]) AS c ON CONFLICT DO NOTHING',
    [identifier, clientIds],
  );
}

/** A client that lost scopes on an API, and which. */
export interface RevokedClientScopes {
  clientId: string;
  scopes: string[];
}

/**
 * Takes the scopes `removed` (no longer defined by the API) out of every client's permissions on it
 * and announces each client changed, so every process stops granting them at once. Without this a
 * scope of the same name defined again later would silently come back to those clients. A client
 * keeps its permission on the API itself (with the scopes it has left).
 */
export async function revokeScopesFromClients(
  tx: Queryable,
  identifier: string,
  removed: readonly string[],
): Promise<RevokedClientScopes[]> {
  if (removed.length === 0) return [];
  const { rows } = await tx.query<{ client_id: string; revoked: string[] }>(
    `SELECT client_id, array(SELECT s FROM unnest(scopes) AS s WHERE s = ANY($2::text[]) ORDER BY s) AS revoked
       FROM client_resources WHERE resource = $1 AND scopes && $2::text[] ORDER BY client_id FOR UPDATE`,
    [identifier, removed],
  );
  if (rows.length === 0) return [];
  await tx.query(
    `UPDATE client_resources
        SET scopes = array(SELECT s FROM unnest(scopes) WITH ORDINALITY AS kept(s, position) WHERE NOT (s = ANY($2::text[])) ORDER BY position)
      WHERE resource = $1 AND scopes && $2::text[]`,
    [identifier, removed],
  );
  for (const row of rows) await notifyChange(tx, 'client', row.client_id);
  return rows.map((row) => ({ clientId: row.client_id, scopes: row.revoked }));
}

/** Records a review at `reviewedAt` and the date of the next one (inside the locking transaction). */
export async function recordResourceReview(
  tx: Queryable,
  identifier: string,
  review: { reviewedAt: Date; nextReviewDate: string },
): Promise<void> {
  await tx.query(
    'UPDATE resource_servers SET last_reviewed_at = $2, next_review_date = $3::date, updated_at = now() WHERE identifier = $1',
    [identifier, review.reviewedAt, review.nextReviewDate],
  );
  await notifyChange(tx, 'resource', identifier);
}

/** Deletes the resource server; clients lose their permissions on it (cascade). In the caller's transaction when `db` is one. */
export async function deleteResourceServer(db: Queryable | Database, identifier: string): Promise<boolean> {
  return inTransaction(db, async (tx) => {
    const { rows: clients } = await tx.query<{ client_id: string }>('SELECT client_id FROM client_resources WHERE resource = $1', [
      identifier,
    ]);
    const { rowCount } = await tx.query('DELETE FROM resource_servers WHERE identifier = $1', [identifier]);
    if (rowCount > 0) {
      await notifyChange(tx, 'resource', identifier);
      for (const { client_id } of clients) await notifyChange(tx, 'client', client_id);
    }
    return rowCount > 0;
  });
}

/** Every scope name some resource server defines: the API scopes a request can name at all. */
export async function listApiScopeNames(db: Queryable): Promise<string[]> {
  const { rows } = await db.query<{ name: string }>('SELECT DISTINCT name FROM resource_scopes');
  return rows.map((row) => row.name);
}
