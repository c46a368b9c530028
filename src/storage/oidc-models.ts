// The `oidc_models` table: oidc-provider's records (sessions, grants, tokens, codes…) kept in SQL,
// one row per (kind, id), the kind being the model name. The payload is the source of truth;
// `grant_id`, `uid`, `user_code`, `expires_at` and `consumed_at` are copies for lookups and
// housekeeping. oidc/adapters/sql-adapter.ts speaks oidc-provider's adapter interface over it.
import { accountJsonById, toAccount, type AccountRow, type AccountWithCredentials } from './accounts.ts';
import type { Queryable } from './database.ts';

/** `expires_at IS NULL` means the record never expires (oidc-provider passed no expiresIn). */
const NOT_EXPIRED = '(expires_at IS NULL OR expires_at > now())';

export interface OidcModelRecord {
  payload: unknown;
  grantId: string | null;
  userCode: string | null;
  uid: string | null;
  /** Seconds from now; null: never expires, non-positive: already expired. */
  expiresIn: number | null;
  /** Epoch seconds it was consumed at, or null. */
  consumedAt: number | null;
}

const UPSERT_COLUMNS = '(kind, id, payload, grant_id, user_code, uid, expires_at, consumed_at)';
const UPSERT_VALUES = `$1, $2, $3::jsonb, $4, $5, $6,
  now() + $7::double precision * interval '1 second', to_timestamp($8::double precision)`;
const ON_CONFLICT_REPLACE = `ON CONFLICT (kind, id) DO UPDATE SET
  payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, user_code = EXCLUDED.user_code,
  uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at, consumed_at = EXCLUDED.consumed_at`;

const upsertParams = (kind: string, id: string, record: OidcModelRecord) => [
  kind,
  id,
  JSON.stringify(record.payload),
  record.grantId,
  record.userCode,
  record.uid,
  record.expiresIn,
  record.consumedAt,
];

/** Writes the record, replacing any of the same kind and id. */
export async function upsertOidcModel(db: Queryable, kind: string, id: string, record: OidcModelRecord): Promise<void> {
  await db.query(
    `INSERT INTO oidc_models ${UPSERT_COLUMNS} VALUES (${UPSERT_VALUES}) ${ON_CONFLICT_REPLACE}`,
    upsertParams(kind, id, record),
  );
}

/** The lookups oidc-provider makes: by id, by interaction uid, by device user code. */
const LOOKUPS = {
  id: `SELECT payload FROM oidc_models WHERE kind = $1 AND id = $2 AND ${NOT_EXPIRED} LIMIT 1`,
  uid: `SELECT payload FROM oidc_models WHERE kind = $1 AND uid = $2 AND ${NOT_EXPIRED} LIMIT 1`,
  userCode: `SELECT payload FROM oidc_models WHERE kind = $1 AND user_code = $2 AND ${NOT_EXPIRED} LIMIT 1`,
} as const;

/** The payload of the unexpired record of `kind` whose `by` is `value`. */
export async function findOidcModel<Payload>(
  db: Queryable,
  kind: string,
  by: keyof typeof LOOKUPS,
  value: string,
): Promise<Payload | undefined> {
  const { rows } = await db.query<{ payload: Payload }>(LOOKUPS[by], [kind, value]);
  return rows[0]?.payload;
}

/** A record with what a token request reads next: its Grant and its account, as of the same statement. */
export interface OidcModelWithRelated<Payload> {
  payload: Payload;
  /** the unexpired Grant of the record's grantId (undefined: none, or the record names none) */
  grant: Payload | undefined;
  /** the account of the record's accountId (undefined: none, or the record names none) */
  account: AccountWithCredentials | undefined;
}

/**
 * `findOidcModel` by id, and in the same statement the unexpired Grant the record names and the
 * account it names: a grant source (refresh token, code) is always followed by both lookups, so
 * this is one round trip instead of three. For a Grant, `grant` is undefined and the account is
 * the Grant's own.
 */
export async function findOidcModelWithRelated<Payload>(
  db: Queryable,
  kind: string,
  id: string,
): Promise<OidcModelWithRelated<Payload> | undefined> {
  const { rows } = await db.query<{ payload: Payload; grant: Payload | null; account: AccountRow | null }>(
    `SELECT m.payload,
            (SELECT g.payload FROM oidc_models g
              WHERE g.kind = 'Grant' AND g.id = m.grant_id AND (g.expires_at IS NULL OR g.expires_at > now())) AS grant,
            ${accountJsonById("m.payload->>'accountId'")} AS account
       FROM oidc_models m
      WHERE m.kind = $1 AND m.id = $2 AND (m.expires_at IS NULL OR m.expires_at > now())`,
    [kind, id],
  );
  const row = rows[0];
  if (!row) return undefined;
  return { payload: row.payload, grant: row.grant ?? undefined, account: row.account ? toAccount(row.account) : undefined };
}

/** Marks the record consumed unless it is already: the row a compare-and-set updates (kind $1, id $2). */
const CONSUME = (idParam: string) => `UPDATE oidc_models
    SET consumed_at = now(),
        payload = jsonb_set(payload, '{consumed}', to_jsonb(floor(extract(epoch FROM now()))::bigint))
  WHERE kind = $1 AND id = ${idParam} AND consumed_at IS NULL
  RETURNING id`;

/**
 * Compare-and-set: only the first caller flips `consumed`; true for that one. Postgres re-checks
 * `consumed_at IS NULL` after waiting for a concurrent writer's row lock, so exactly one UPDATE
 * returns a row even across processes.
 */
export async function consumeOidcModel(db: Queryable, kind: string, id: string): Promise<boolean> {
  const won = await db.query(CONSUME('$2'), [kind, id]);
  return won.rowCount > 0;
}

/**
 * A rotation in one statement: the compare-and-set of consumeOidcModel on `consumedId` and, only
 * when it wins, the write of the record that replaces it (as upsertOidcModel). Both or neither:
 * false means it was consumed already (or is gone), and nothing was written.
 */
export async function consumeAndUpsertOidcModel(
  db: Queryable,
  kind: string,
  consumedId: string,
  id: string,
  record: OidcModelRecord,
): Promise<boolean> {
  const result = await db.query(
    `WITH won AS (${CONSUME('$9')})
     INSERT INTO oidc_models ${UPSERT_COLUMNS} SELECT ${UPSERT_VALUES} FROM won ${ON_CONFLICT_REPLACE}`,
    [...upsertParams(kind, id, record), consumedId],
  );
  return result.rowCount > 0;
}

/** The grant a record (expired or not) belongs to: undefined when there is no such record. */
export async function findOidcModelGrant(db: Queryable, kind: string, id: string): Promise<{ grantId: string | null } | undefined> {
  const { rows } = await db.query<{ grant_id: string | null }>('SELECT grant_id FROM oidc_models WHERE kind = $1 AND id = $2', [kind, id]);
  return rows[0] ? { grantId: rows[0].grant_id } : undefined;
}

export async function deleteOidcModel(db: Queryable, kind: string, id: string): Promise<void> {
  await db.query('DELETE FROM oidc_models WHERE kind = $1 AND id = $2', [kind, id]);
}

/** Deletes the records of `kind` issued under the grant. */
export async function deleteOidcModelsOfGrant(db: Queryable, kind: string, grantId: string): Promise<void> {
  await db.query('DELETE FROM oidc_models WHERE kind = $1 AND grant_id = $2', [kind, grantId]);
}

/** Deletes every record of a grant, whatever its kind, and the Grant itself; returns how many. */
export async function deleteGrantRecords(db: Queryable, grantId: string): Promise<number> {
  const result = await db.query(`DELETE FROM oidc_models WHERE grant_id = $1 OR (kind = 'Grant' AND id = $1)`, [grantId]);
  return result.rowCount;
}

/** Deletes expired records; returns how many. */
export async function pruneExpiredOidcModels(db: Queryable): Promise<number> {
  const result = await db.query('DELETE FROM oidc_models WHERE expires_at <= now()');
  return result.rowCount;
}
