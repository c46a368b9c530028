// The `signing_keys` table: each key's public JWK, its private JWK encrypted by the caller
// (security/signing-keys.ts holds the keys, the crypto and the rotation), its state and dates.
import type { Queryable } from './database.ts';

export type KeyState = 'next' | 'current' | 'retired';

/** A key as listed: never its (encrypted) private part. */
export interface SigningKeyRow {
  kid: string;
  alg: string;
  state: KeyState;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
  remove_after: Date | null;
}

/** Every change to the set of keys (any process) takes this transaction-scoped advisory lock first. */
export async function lockSigningKeys(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['portcullis:signing-keys']);
}

/** The algorithm and state of every key that signs now or will next. */
export async function findUpcomingKeys(tx: Queryable): Promise<{ alg: string; state: KeyState }[]> {
  const { rows } = await tx.query<{ alg: string; state: KeyState }>(
    `SELECT alg, state FROM signing_keys WHERE state IN ('current', 'next')`,
  );
  return rows;
}

export interface NewSigningKey {
  kid: string;
  alg: string;
  state: KeyState;
  publicJwk: Record<string, unknown>;
  /** The private JWK, already encrypted. */
  encryptedPrivateJwk: string;
}

/** Stores a new key; a current one is active from now. */
export async function insertSigningKey(tx: Queryable, key: NewSigningKey): Promise<void> {
  await tx.query(
    `INSERT INTO signing_keys (kid, alg, state, public_jwk, private_jwk, activated_at)
     VALUES ($1, $2, $3, $4::jsonb, $5, CASE WHEN $3 = 'current' THEN now() END)`,
    [key.kid, key.alg, key.state, JSON.stringify(key.publicJwk), key.encryptedPrivateJwk],
  );
}

/** The oldest next key of `alg`, if any. */
export async function findNextKid(tx: Queryable, alg: string): Promise<string | undefined> {
  const { rows } = await tx.query<{ kid: string }>(
    `SELECT kid FROM signing_keys WHERE alg = $1 AND state = 'next' ORDER BY created_at LIMIT 1`,
    [alg],
  );
  return rows[0]?.kid;
}

/** Retires the current keys of `alg` at `now`, kept (published) for `keepSeconds` more. */
export async function retireCurrentKeys(tx: Queryable, alg: string, keepSeconds: number, now: Date): Promise<void> {
  await tx.query(
    `UPDATE signing_keys SET state = 'retired', retired_at = $3, remove_after = $3::timestamptz + make_interval(secs => $2)
     WHERE alg = $1 AND state = 'current'`,
    [alg, keepSeconds, now],
  );
}

export async function makeKeyCurrent(tx: Queryable, kid: string): Promise<void> {
  await tx.query(`UPDATE signing_keys SET state = 'current', activated_at = now() WHERE kid = $1`, [kid]);
}

/** The keys still kept at `now`, by algorithm and age. */
export async function listKeptSigningKeys(db: Queryable, now: Date): Promise<SigningKeyRow[]> {
  const { rows } = await db.query<SigningKeyRow>(
    `SELECT kid, alg, state, created_at, activated_at, retired_at, remove_after FROM signing_keys
     WHERE remove_after IS NULL OR remove_after > $1 ORDER BY alg, created_at`,
    [now],
  );
  return rows;
}

/** Deletes the retired keys whose time to be kept has passed at `now`. */
export async function deleteExpiredSigningKeys(db: Queryable, now: Date): Promise<void> {
  await db.query('DELETE FROM signing_keys WHERE remove_after IS NOT NULL AND remove_after <= $1', [now]);
}

/** Every key's state and encrypted private JWK. */
export async function listEncryptedPrivateKeys(db: Queryable): Promise<{ kid: string; state: KeyState; private_jwk: string }[]> {
  const { rows } = await db.query<{ kid: string; state: KeyState; private_jwk: string }>(
    `SELECT kid, state, private_jwk FROM signing_keys`,
  );
  return rows;
}
