// Signing keys: generated here, private parts encrypted at rest, rotated in stages.
//   next     published in the JWKS, never signs (verifiers learn it ahead of use)
//   current  signs (one per algorithm)
//   retired  still published until every token it signed has expired, never signs
import { randomUUID } from 'node:crypto';
import { exportJWK, generateKeyPair, type JWK } from 'jose';
import { inTransaction, notifyChange, type Database, type Queryable } from '../storage/database.ts';
import {
  deleteExpiredSigningKeys,
  findNextKid,
  findUpcomingKeys,
  insertSigningKey,
  listEncryptedPrivateKeys,
  listKeptSigningKeys,
  lockSigningKeys,
  makeKeyCurrent,
  retireCurrentKeys,
  type KeyState,
} from '../storage/signing-keys.ts';
import { decrypt, encrypt } from './encryption.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './signing-algorithms.ts';

export interface SigningKeySummary {
  kid: string;
  alg: string;
  state: KeyState;
  createdAt: string;
  activatedAt: string | null;
  retiredAt: string | null;
  removeAfter: string | null;
}

const STATE_ORDER: Record<KeyState, number> = { current: 0, next: 1, retired: 2 };

async function insertKey(tx: Queryable, encryptionKey: Buffer, alg: SigningAlgorithm, state: KeyState): Promise<string> {
  const rsa = alg === 'RS256' || alg === 'PS256';
  // RSA keys of 2048 bits (RFC 7518 §3.3's minimum, what verifiers expect); EdDSA keys are Ed25519
  const { privateKey, publicKey } = await generateKeyPair(alg, {
    extractable: true,
    ...(rsa ? { modulusLength: 2048 } : {}),
    ...(alg === 'EdDSA' ? { crv: 'Ed25519' } : {}),
  });
  const kid = randomUUID();
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg, use: 'sig' };
  const publicJwk = { ...(await exportJWK(publicKey)), kid, alg, use: 'sig' };
  await insertSigningKey(tx, { kid, alg, state, publicJwk, encryptedPrivateJwk: encrypt(encryptionKey, JSON.stringify(privateJwk), kid) });
  return kid;
}

/**
 * Makes sure every algorithm has a current and a next key. On first start the current key is
 * created directly (nothing was published before, so nobody can be surprised by it).
 */
export async function ensureSigningKeys(db: Database, encryptionKey: Buffer): Promise<boolean> {
  return db.transaction(async (tx) => {
    await lockSigningKeys(tx);
    const rows = await findUpcomingKeys(tx);
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
export async function rotateSigningKeys(
  db: Queryable | Database,
  encryptionKey: Buffer,
  maxTokenLifetime: number,
  now: Date = new Date(),
): Promise<SigningKeySummary[]> {
  // in the caller's transaction when `db` is one (the admin change and its audit event commit together)
  await inTransaction(db, async (tx) => {
    await lockSigningKeys(tx);
    for (const alg of SIGNING_ALGORITHMS) {
      const nextKid = await findNextKid(tx, alg);
      await retireCurrentKeys(tx, alg, maxTokenLifetime, now);
      if (nextKid) await makeKeyCurrent(tx, nextKid);
      else await insertKey(tx, encryptionKey, alg, 'current');
      await insertKey(tx, encryptionKey, alg, 'next');
    }
    await notifyChange(tx, 'keys', '*');
  });
  return listSigningKeys(db, now);
}

/** The keys still kept at `now` (the server's clock: retirement is measured on the clock tokens expire by). */
export async function listSigningKeys(db: Queryable, now: Date = new Date()): Promise<SigningKeySummary[]> {
  const rows = await listKeptSigningKeys(db, now);
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
  await deleteExpiredSigningKeys(db, now);
  const rows = await listEncryptedPrivateKeys(db);
  const keys = rows
    .sort((a, b) => STATE_ORDER[a.state] - STATE_ORDER[b.state])
    .map((row) => {
      const jwk = JSON.parse(decrypt(encryptionKey, row.private_jwk, row.kid)) as JWK;
      return row.state === 'current' ? jwk : { ...jwk, key_ops: ['verify'] };
    });
  return { keys };
}
