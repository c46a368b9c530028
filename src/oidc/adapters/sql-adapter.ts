// oidc-provider storage adapter over the `oidc_models` table (PostgreSQL or PGlite), one instance
// per model name (the `kind` column). The payload is the source of truth; `grant_id`, `uid`,
// `user_code`, `expires_at` and `consumed_at` are extracted from it for lookups and housekeeping.
import { errors } from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Queryable } from '../../storage/database.ts';

export type RevokeGrant = (grantId: string) => Promise<void>;

export interface SqlAdapterOptions {
  /** Revokes a whole grant in every store; called when a consume loses the race (replay). */
  revokeGrant: RevokeGrant;
}

/** `expires_at IS NULL` means the record never expires (oidc-provider passed no expiresIn). */
const NOT_EXPIRED = '(expires_at IS NULL OR expires_at > now())';

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export class SqlAdapter implements Adapter {
  readonly #db: Queryable;
  readonly #kind: string;
  readonly #revokeGrant: RevokeGrant;

  constructor(db: Queryable, kind: string, options: SqlAdapterOptions) {
    this.#db = db;
    this.#kind = kind;
    this.#revokeGrant = options.revokeGrant;
  }

  get kind(): string {
    return this.#kind;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    // A non-positive expiresIn stores an already expired record (find* will not return it).
    const ttl = typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? expiresIn : null;
    // Saved already consumed (truthy, normally epoch seconds): consume() must then lose.
    const consumed = !payload.consumed ? null : typeof payload.consumed === 'number' ? payload.consumed : Date.now() / 1000;
    await this.#db.query(
      `INSERT INTO oidc_models (kind, id, payload, grant_id, user_code, uid, expires_at, consumed_at)
       VALUES ($1, $2, $3::jsonb, $4, $5, $6,
               now() + $7::double precision * interval '1 second', to_timestamp($8::double precision))
       ON CONFLICT (kind, id) DO UPDATE SET
         payload = EXCLUDED.payload, grant_id = EXCLUDED.grant_id, user_code = EXCLUDED.user_code,
         uid = EXCLUDED.uid, expires_at = EXCLUDED.expires_at, consumed_at = EXCLUDED.consumed_at`,
      [this.#kind, id, JSON.stringify(payload), text(payload.grantId), text(payload.userCode), text(payload.uid), ttl, consumed],
    );
  }

  find(id: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('id = $2', id);
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('uid = $2', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return this.#findWhere('user_code = $2', userCode);
  }

  async #findWhere(condition: string, value: string): Promise<AdapterPayload | undefined> {
    const { rows } = await this.#db.query<{ payload: AdapterPayload }>(
      `SELECT payload FROM oidc_models WHERE kind = $1 AND ${condition} AND ${NOT_EXPIRED} LIMIT 1`,
      [this.#kind, value],
    );
    return rows[0]?.payload;
  }

  /**
   * Compare-and-set: only the first caller flips `consumed`. Postgres re-checks `consumed_at IS NULL`
   * after waiting for a concurrent writer's row lock, so exactly one UPDATE returns a row even across
   * processes. A loser means the grant source was replayed: the whole grant is revoked.
   */
  async consume(id: string): Promise<void> {
    const won = await this.#db.query(
      `UPDATE oidc_models
          SET consumed_at = now(),
              payload = jsonb_set(payload, '{consumed}', to_jsonb(floor(extract(epoch FROM now()))::bigint))
        WHERE kind = $1 AND id = $2 AND consumed_at IS NULL
        RETURNING id`,
      [this.#kind, id],
    );
    if (won.rowCount > 0) return;

    const { rows } = await this.#db.query<{ grant_id: string | null }>(
      'SELECT grant_id FROM oidc_models WHERE kind = $1 AND id = $2',
      [this.#kind, id],
    );
    if (rows.length === 0) throw new errors.InvalidGrant('grant source not found');
    const grantId = rows[0]?.grant_id;
    if (grantId) await this.#revokeGrant(grantId);
    throw new errors.InvalidGrant('grant source already consumed');
  }

  async destroy(id: string): Promise<void> {
    await this.#db.query('DELETE FROM oidc_models WHERE kind = $1 AND id = $2', [this.#kind, id]);
  }

  /** Removes this model's records of the grant (oidc-provider calls it once per model). */
  async revokeByGrantId(grantId: string): Promise<void> {
    await this.#db.query('DELETE FROM oidc_models WHERE kind = $1 AND grant_id = $2', [this.#kind, grantId]);
  }
}

/** Deletes every SQL record of a grant, whatever its model, and the Grant itself. */
export async function revokeSqlGrant(db: Queryable, grantId: string): Promise<number> {
  const result = await db.query(
    `DELETE FROM oidc_models WHERE grant_id = $1 OR (kind = 'Grant' AND id = $1)`,
    [grantId],
  );
  return result.rowCount;
}

/** Deletes expired records; returns how many. */
export async function pruneExpiredSqlModels(db: Queryable): Promise<number> {
  const result = await db.query('DELETE FROM oidc_models WHERE expires_at <= now()');
  return result.rowCount;
}
