// Signing keys: generated here, private parts encrypted at rest, rotated in stages.
//   next     published in the JWKS, never signs (verifiers learn it ahead of use)
//   current  signs (one per algorithm)
//   retired  still published until every token it signed has expired, never signs
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { inTransaction, notifyChange, type Database, type Queryable } from '../storage/database.ts';
import { decrypt, encrypt } from './encryption.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './signing-algorithms.ts';
export type KeyState = 'next' | 'current' | 'retired';

export interface SigningKeySummary {
  kid: string;
  alg: string;
  state: KeyState;
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
  removeAfter: string | null;
}

/** Listing never reads the (encrypted) private parts. */
interface KeyRow {
  kid: string;
  alg: string;
  state: KeyState;
  created_at: Date;
  activated_at: Date | null;
  retired_at: Date | null;
  remove_after: Date | null;
}

const STATE_ORDER: Record<KeyState, number> = { current: 0, next: 1, retired: 2 };

async function insertKey(tx: Queryable, encryptionKey: Buffer, alg: SigningAlgorithm, state: KeyState): Promise<string> {
  const rsa = alg === 'RS256' || alg === 'PS256';
  // RSA keys of 2048 bits (RFC 7518 §3.3's minimum, what verifiers expect); EdDSA keys are Ed25519
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true, ...(rsa ? { modulusLength: 2048 } : {}), ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}) });
  const kid = randomUUID();
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  await tx.query(
    `INSERT INTO signing_keys (kid, alg, state, public_jwk, private_jwk, activated_at)
     VALUES ($1, $2, $3, $4::jsonb, $5, CASE WHEN $3 = 'current' THEN now() END)`,
    [kid, alg, state, JSON.stringify(publicJwk), encrypt(encryptionKey, JSON.stringify(privateJwk), kid)],
  );
  return kid;
}

/**
 * Makes sure every algorithm has a current and a next key. On first start the current key is
 * created directly (nothing was published before, so nobody can be surprised by it).
 */
export async function ensureSigningKeys(db: Database, encryptionKey: Buffer): Promise<boolean> {
  return db.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['portcullis:signing-keys']);
    const { rows } = await tx.query<{ alg: string; state: KeyState }>(
      `SELECT alg, state FROM signing_keys WHERE state IN ('current', 'next')`,
    );
    let created = false;
    for (const alg of SIGNING_ALGORITHMS) {
      for (const state of ['current', 'next'] as const) {
        if (!rows.some((row) => row.alg === alg && row.state === state)) {
          await insertKey(tx, encryptionKey, alg, state);
          created = true;
        }
      }
    }
    if (created) await notifyChange(tx, 'keys', '*');
    return created;
  });
}

/**
 * Staged rotation, per algorithm: current -> retired (kept until `maxTokenLifetime` seconds after
 * `now`, the server's clock), next (already published) -> current, and a fresh next key is published.
 */
export async function rotateSigningKeys(db: Queryable | Database, encryptionKey: Buffer, maxTokenLifetime: number, now: Date = new Date()): Promise<SigningKeySummary[]> {
  // in the caller's transaction when `db` is one (the admin change and its audit event commit together)
  await inTransaction(db, async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', ['portcullis:signing-keys']);
    for (const alg of SIGNING_ALGORITHMS) {
      const next = await tx.query<{ kid: string }>(`SELECT kid FROM signing_keys WHERE alg = $1 AND state = 'next' ORDER BY created_at LIMIT 1`, [alg]);
      await tx.query(
        `UPDATE signing_keys SET state = 'retired', retired_at = $3, remove_after = $3::timestamptz + make_interval(secs => $2)
         WHERE alg = $1 AND state = 'current'`,
        [alg, maxTokenLifetime, now],
      );
      const nextKid = next.rows[0]?.kid;
      if (nextKid) await tx.query(`UPDATE signing_keys SET state = 'current', activated_at = now() WHERE kid = $1`, [nextKid]);
      else await insertKey(tx, encryptionKey, alg, 'current');
      await insertKey(tx, encryptionKey, alg, 'next');
    }
    await notifyChange(tx, 'keys', '*');
  });
  return listSigningKeys(db, now);
}

/** The keys still kept at `now` (the server's clock: retirement is measured on the clock tokens expire by). */
export async function listSigningKeys(db: Queryable, now: Date = new Date()): Promise<SigningKeySummary[]> {
  const { rows } = await db.query<KeyRow>(
    `SELECT kid, alg, state, created_at, activated_at, retired_at, remove_after FROM signing_keys
     WHERE remove_after IS NULL OR remove_after > $1 ORDER BY alg, created_at`,
    [now],
  );
  const iso = (date: Date | null) => (date ? new Date(date).toISOString() : null);
  return rows
    .sort((a, b) => a.alg.localeCompare(b.alg) || STATE_ORDER[a.state] - STATE_ORDER[b.state])
    .map((row) => ({
      kid: row.kid,
      alg: row.alg,
      state: row.state,
      createdAt: new Date(row.created_at).toISOString(),
      activatedAt: iso(row.activated_at),
      retiredAt: iso(row.retired_at),
      removeAfter: iso(row.remove_after),
    }));
}

/**
 * The private JWKS for oidc-provider: current keys first (they sign), then next and retired keys
 * marked verify-only so they are published but can never be selected for signing.
 */
export async function loadPrivateJwks(db: Database, encryptionKey: Buffer, now: Date = new Date()): Promise<{ keys: JWK[] }> {
  await db.query('DELETE FROM signing_keys WHERE remove_after IS NOT NULL AND remove_after <= $1', [now]);
  const { rows } = await db.query<{ kid: string; state: KeyState; private_jwk: string }>(`SELECT kid, state, private_jwk FROM signing_keys`);
  const keys = rows
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state])
    .map((row) => {
      const jwk = JSON.parse(decrypt(encryptionKey, row.private_jwk, row.kid)) as JWK;
      return row.state === 'current' ? jwk : { ...jwk, key_ops: ['verify'] };
    });
  return { keys };
}
