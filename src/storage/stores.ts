// Opens the stores a configuration names: PostgreSQL or embedded PGlite for durable data, and
// Redis for short-lived data when REDIS_URL is set.
import { createRequire } from 'node:module';
import type { Redis } from 'ioredis';
import type { Config } from '../config.ts';
import type { Database } from './database.ts';
import { pgliteDir } from './data-dir.ts';
import { openPglite } from './pglite.ts';
import type { SeedResult } from './pglite-template.ts';
import { openPostgres } from './postgres.ts';

export interface Stores {
  db: Database;
  redis: Redis | undefined;
  /** Root namespace of every Portcullis key in Redis (each feature adds its own segment). */
  redisPrefix: string;
  /** Embedded only: how the data directory came to be (for the start-up log). */
  seeded?: SeedResult;
  close(): Promise<void>;
}

export function connectRedis(url: string): Redis {
  // Loaded on first use, not with this module: the embedded deployment (no REDIS_URL) never needs
  // ioredis, and loading it costs start time and memory. A synchronous require (ioredis is CommonJS)
  // keeps connectRedis synchronous for its callers.
  const { Redis } = createRequire(import.meta.url)('ioredis') as typeof import('ioredis');
  const redis = new Redis(url, {
    // Fail fast instead of queueing: a request waiting on a dead Redis must answer 503 quickly.
    maxRetriesPerRequest: 1,
    enableOfflineQueue: false,
    connectTimeout: 3_000,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  redis.on('error', () => {}); // reconnection is automatic; readiness reports the outage
  return redis;
}

export async function openStores(config: Config, options: { onListenerLost?: () => void } = {}): Promise<Stores> {
  const embedded = config.databaseUrl ? undefined : await openPglite(pgliteDir(config.dataDir));
  const db =
    embedded ??
    openPostgres({ connectionString: config.databaseUrl!, ...(options.onListenerLost ? { onListenerLost: options.onListenerLost } : {}) });
  const redis = config.redisUrl ? connectRedis(config.redisUrl) : undefined;
  // Give Redis a moment to connect, but never wait forever: while it is down, requests that need it
  // answer 503 and /readyz says so; ioredis keeps reconnecting and service resumes without a restart.
  if (redis && redis.status !== 'ready') {
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 5_000);
      timer.unref();
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
  return {
    db,
    redis,
    redisPrefix: 'portcullis:',
    seeded: embedded?.seeded,
    async close() {
      redis?.disconnect();
      await db.close();
    },
  };
}
