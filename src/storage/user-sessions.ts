// A user's oidc-provider sessions and grants, read and ended straight in `oidc_models` (where the
// SQL adapter keeps them: src/oidc/adapters/sql-adapter.ts). Nothing caches these records: the
// provider reads them on every request, so a row deleted here is gone for every process at once.
//
// The payloads are oidc-provider's own (lib/models/session.js, grant.js); only what the admin views
// need is typed. A session's row id is the value of its cookie, so it is never selected here: a
// session is addressed by its `uid`, the provider's own non-secret handle (see user-sessions.ts).
import type { Queryable } from './database.ts';

/** `expires_at IS NULL` means the record never expires (as in the SQL adapter). */
const NOT_EXPIRED = '(expires_at IS NULL OR expires_at > now())';

/** One client the browser signed in to through the session (Session.authorizations). */
export interface SessionAuthorization {
  grantId?: string;
  /** oidc-provider keeps this grant when the browser signs out (offline_access was granted). */
  persistsLogout?: boolean;
}

export interface SessionPayload {
  accountId?: string;
  loginTs?: number;
  acr?: string;
  amr?: string[];
  authorizations?: Record<string, SessionAuthorization>;
}

export interface StoredSession {
  uid: string;
  payload: SessionPayload;
  expiresAt: string | null;
}

export interface GrantPayload {
  accountId?: string;
  clientId?: string;
  iat?: number;
  openid?: { scope?: string };
  resources?: Record<string, string>;
  rejected?: { openid?: { scope?: string }; resources?: Record<string, string> };
}

export interface StoredGrant {
  id: string;
  payload: GrantPayload;
  /** The client's name; null if the client is gone (its grants go with it, so only in a race). */
  clientName: string | null;
  expiresAt: string | null;
}

const iso = (value: Date | string | null): string | null => (value === null ? null : new Date(value).toISOString());

/** Keyset position in a listing: the sort number (seconds) and the id of the last row shown. */
export type ListingPosition = readonly [seconds: string, id: string];

/** The user's unexpired sessions, most recent sign-in first. */
export async function listUserSessions(
  db: Queryable,
  accountId: string,
  page: { after: ListingPosition | undefined; limit: number },
): Promise<StoredSession[]> {
  const values: unknown[] = [accountId];
  let resume = '';
  if (page.after) {
    values.push(page.after[0], page.after[1]);
    resume = `WHERE (login_ts, uid) < ($2::bigint, $3)`;
  }
  values.push(page.limit);
  const { rows } = await db.query<{ uid: string; payload: SessionPayload; expires_at: Date | string | null }>(
    `SELECT uid, payload, expires_at FROM (
       SELECT uid, payload, expires_at, floor(coalesce((payload->>'loginTs')::numeric, 0))::bigint AS login_ts
         FROM oidc_models
        WHERE kind = 'Session' AND payload->>'accountId' = $1 AND uid IS NOT NULL AND ${NOT_EXPIRED}
     ) AS sessions ${resume}
     ORDER BY login_ts DESC, uid DESC LIMIT $${values.length}`,
    values,
  );
  return rows.map((row) => ({ uid: row.uid, payload: row.payload, expiresAt: iso(row.expires_at) }));
}

/**
 * The user's unexpired session with this uid, locked for the rest of the transaction; undefined if
 * there is none, or if it belongs to anyone else (the caller cannot tell which: no oracle).
 */
export async function lockUserSession(tx: Queryable, accountId: string, uid: string): Promise<StoredSession | undefined> {
  const { rows } = await tx.query<{ uid: string; payload: SessionPayload; expires_at: Date | string | null }>(
    `SELECT uid, payload, expires_at FROM oidc_models
      WHERE kind = 'Session' AND uid = $1 AND payload->>'accountId' = $2 AND ${NOT_EXPIRED}
      FOR UPDATE`,
    [uid, accountId],
  );
  const row = rows[0];
  return row && { uid: row.uid, payload: row.payload, expiresAt: iso(row.expires_at) };
}

export async function deleteSessionByUid(tx: Queryable, uid: string): Promise<void> {
  await tx.query(`DELETE FROM oidc_models WHERE kind = 'Session' AND uid = $1`, [uid]);
}

/** Which of these grant ids are grants of the user (`live`: unexpired ones only). */
export async function grantIdsOf(
  db: Queryable,
  accountId: string,
  grantIds: readonly string[],
  options: { live: boolean },
): Promise<Set<string>> {
  if (grantIds.length === 0) return new Set();
  const { rows } = await db.query<{ id: string }>(
    `SELECT id FROM oidc_models WHERE kind = 'Grant' AND id = ANY($1::text[]) AND payload->>'accountId' = $2${options.live ? ` AND ${NOT_EXPIRED}` : ''}`,
    [[...grantIds], accountId],
  );
  return new Set(rows.map((row) => row.id));
}

const GRANT_COLUMNS = `g.id, g.payload, g.expires_at, c.name AS client_name`;
interface GrantRow {
  id: string;
  payload: GrantPayload;
  expires_at: Date | string | null;
  client_name: string | null;
}
const toStoredGrant = (row: GrantRow): StoredGrant => ({
  id: row.id,
  payload: row.payload,
  clientName: row.client_name,
  expiresAt: iso(row.expires_at),
});

/** The user's unexpired grants, newest first. */
export async function listUserGrants(
  db: Queryable,
  accountId: string,
  page: { after: ListingPosition | undefined; limit: number },
): Promise<StoredGrant[]> {
  const values: unknown[] = [accountId];
  let resume = '';
  if (page.after) {
    values.push(page.after[0], page.after[1]);
    resume = `WHERE (g.created, g.id) < ($2::bigint, $3)`;
  }
  values.push(page.limit);
  const { rows } = await db.query<GrantRow>(
    `SELECT ${GRANT_COLUMNS} FROM (
       SELECT id, payload, expires_at, floor(coalesce((payload->>'iat')::numeric, 0))::bigint AS created
         FROM oidc_models
        WHERE kind = 'Grant' AND payload->>'accountId' = $1 AND ${NOT_EXPIRED}
     ) AS g LEFT JOIN clients c ON c.client_id = g.payload->>'clientId' ${resume}
     ORDER BY g.created DESC, g.id DESC LIMIT $${values.length}`,
    values,
  );
  return rows.map(toStoredGrant);
}

/** The user's unexpired grant with this id, locked for the rest of the transaction; undefined as for sessions. */
export async function lockUserGrant(tx: Queryable, accountId: string, grantId: string): Promise<StoredGrant | undefined> {
  const { rows } = await tx.query<GrantRow>(
    `SELECT ${GRANT_COLUMNS} FROM oidc_models g LEFT JOIN clients c ON c.client_id = g.payload->>'clientId'
      WHERE g.kind = 'Grant' AND g.id = $1 AND g.payload->>'accountId' = $2 AND (g.expires_at IS NULL OR g.expires_at > now())
      FOR UPDATE OF g`,
    [grantId, accountId],
  );
  return rows[0] && toStoredGrant(rows[0]);
}

/** Client names by id (clients that are gone are left out). */
export async function clientNames(db: Queryable, clientIds: readonly string[]): Promise<Map<string, string>> {
  if (clientIds.length === 0) return new Map();
  const { rows } = await db.query<{ client_id: string; name: string }>(
    'SELECT client_id, name FROM clients WHERE client_id = ANY($1::text[])',
    [[...clientIds]],
  );
  return new Map(rows.map((row) => [row.client_id, row.name]));
}

export interface EndedRecords {
  /** The uids of the sessions ended. */
  sessionIds: string[];
  grantIds: string[];
  /** How many tokens and codes (access, refresh, authorization codes ...) held in SQL were deleted. */
  others: number;
  /** Every record deleted, whatever its kind. */
  total: number;
}

/**
 * Deletes every session and grant of the user, and every record issued under those grants or for
 * the user (tokens, codes), in one statement: the grant ids are read from the same snapshot.
 */
export function endEverythingOfUser(tx: Queryable, accountId: string): Promise<EndedRecords> {
  return endEverythingOfUserButSession(tx, accountId, undefined);
}

/**
 * The uid of the user's unexpired session whose row id is `sessionId` (the value of a browser's
 * session cookie): which of the listed sessions is the browser's own. Undefined for anyone else's.
 */
export async function uidOfUserSession(db: Queryable, accountId: string, sessionId: string): Promise<string | undefined> {
  const { rows } = await db.query<{ uid: string }>(
    `SELECT uid FROM oidc_models WHERE kind = 'Session' AND id = $1 AND payload->>'accountId' = $2 AND uid IS NOT NULL AND ${NOT_EXPIRED}`,
    [sessionId, accountId],
  );
  return rows[0]?.uid;
}

/**
 * endEverythingOfUser, except the one session `keepUid` (the browser the user acts from): every
 * other session, every grant, and every token and code, in one statement. The kept session's
 * grants end too, so no application keeps a refresh token from before.
 */
export async function endEverythingOfUserButSession(tx: Queryable, accountId: string, keepUid: string | undefined): Promise<EndedRecords> {
  const { rows } = await tx.query<{ kind: string; handle: string | null }>(
    `DELETE FROM oidc_models
      WHERE (payload->>'accountId' = $1
         OR grant_id IN (SELECT id FROM oidc_models WHERE kind = 'Grant' AND payload->>'accountId' = $1))
        AND NOT (kind = 'Session' AND coalesce(uid = $2::text, false))
      RETURNING kind, CASE kind WHEN 'Grant' THEN id WHEN 'Session' THEN uid END AS handle`,
    [accountId, keepUid ?? null],
  );
  const handles = (kind: string) =>
    rows
      .filter((row) => row.kind === kind && row.handle !== null)
      .map((row) => row.handle!)
      .sort();
  const others = rows.filter((row) => row.kind !== 'Session' && row.kind !== 'Grant').length;
  return { sessionIds: handles('Session'), grantIds: handles('Grant'), others, total: rows.length };
}
