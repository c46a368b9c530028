// JWT access tokens revoked before their expiry (RFC 7009 revocation of our own RFC 9068 tokens,
// which are not stored anywhere else): their `jti`, kept until the token would have expired anyway.
import type { Queryable } from './database.ts';

/** Marks `jti` revoked until `expiresAt` (epoch seconds); revoking it again changes nothing. */
export async function revokeAccessToken(db: Queryable, jti: string, expiresAt: number): Promise<void> {
  await db.query('INSERT INTO revoked_access_tokens (jti, expires_at) VALUES ($1, to_timestamp($2)) ON CONFLICT (jti) DO NOTHING', [
    jti,
    expiresAt,
  ]);
}

export async function isAccessTokenRevoked(db: Queryable, jti: string): Promise<boolean> {
  const revoked = await db.query('SELECT 1 FROM revoked_access_tokens WHERE jti = $1', [jti]);
  // rows, not rowCount: the embedded database reports a SELECT's rowCount as 0 (affectedRows)
  return revoked.rows.length > 0;
}

/** Forgets the marks of tokens that have expired by now (they are refused for their expiry). */
export async function pruneRevokedAccessTokens(db: Queryable): Promise<void> {
  await db.query('DELETE FROM revoked_access_tokens WHERE expires_at <= now()');
}
