// Remembers JWTs that may be accepted only once (DPoP proofs, client assertions), across every
// process: in Redis when the deployment has one (short-lived data lives there), else in the
// database (migrations/0011). Each check is one atomic write (SET NX / INSERT ... ON CONFLICT DO
// NOTHING), so of two copies arriving at two processes at once exactly one wins. A store outage
// rejects (the caller fails closed), never answers "first use".
import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Queryable } from './database.ts';

export interface JwtReplayStore {
  /**
   * Records `jti` within `scope` (the key or issuer it is unique for) until `expiresAt`; true the
   * first time, false for every later use.
   */
  firstUse(scope: string, jti: string, expiresAt: Date): Promise<boolean>;
}

export interface JwtReplayDeps {
  db: Queryable;
  redis?: Redis | undefined;
  redisPrefix: string;
  now: () => Date;
}

/** Bounded, opaque and free of separators whatever the scope and jti hold. */
const replayId = (scope: string, jti: string) => createHash('sha256').update(scope).update('\0').update(jti).digest('base64url');

export function createJwtReplayStore(deps: JwtReplayDeps): JwtReplayStore {
  const { db, redis } = deps;
  return {
    async firstUse(scope, jti, expiresAt) {
      const id = replayId(scope, jti);
      if (redis) {
        const ttlMs = Math.max(1000, expiresAt.getTime() - deps.now().getTime());
        return (await redis.set(`${deps.redisPrefix}jti:${id}`, '1', 'PX', ttlMs, 'NX')) === 'OK';
      }
      const { rows } = await db.query(
        'INSERT INTO seen_jwt_ids (id, expires_at) VALUES ($1, $2) ON CONFLICT (id) DO NOTHING RETURNING id',
        [id, expiresAt],
      );
      return rows.length === 1;
    },
  };
}

/** Removes rows whose JWTs can no longer be accepted anyway (storage/prune.ts). */
export async function pruneSeenJwtIds(db: Queryable): Promise<void> {
  await db.query('DELETE FROM seen_jwt_ids WHERE expires_at <= now()');
}
