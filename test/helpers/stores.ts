// Isolated real stores for tests: a fresh PostgreSQL database or PGlite instance per call and a
// fresh Redis key prefix, each removed again by `dispose`. Parallel runs and reruns never collide.
// An embedded database is a copy of one migrated instance per test process, which makes it cheap.
// The real PostgreSQL and Redis are required: an unreachable server fails the test, never skips it.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import pg from 'pg';
import type { Database } from '../../src/storage/database.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { PGlite } from '@electric-sql/pglite';
import { openPglite, wrapPglite, type EmbeddedDatabase } from '../../src/storage/pglite.ts';
import { openPostgres } from '../../src/storage/postgres.ts';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

export type BackendName = 'pglite' | 'postgres';

export interface TestDatabase {
  db: Database;
  /** Connection string of the isolated database (postgres only). */
  url: string | undefined;
  dispose(): Promise<void>;
}

const uniqueName = (prefix: string) => `${prefix}_${process.pid}_${randomBytes(5).toString('hex')}`;

// Starting PGlite runs initdb inside the WASM (~2 s of CPU); starting it from a dump of a data
// directory skips that (~0.4 s). So each test process migrates one instance once, lazily, and every
// embedded test database is an independent in-memory copy of its dump.
let migratedPgliteDump: Promise<Blob> | undefined;

function pgliteTemplateDump(): Promise<Blob> {
  migratedPgliteDump ??= (async () => {
    const template = await openPglite(undefined);
    try {
      await migrate(template);
      return await template.pglite.dumpDataDir('none');
    } finally {
      await template.close();
    }
  })().catch((error: unknown) => {
    migratedPgliteDump = undefined; // a failed build fails this test only; the next one tries again
    throw error;
  });
  return migratedPgliteDump;
}

/**
 * An in-memory database started from `dump` (`pglite.dumpDataDir('none')` of another instance): a
 * copy, independent of the original.
 */
async function openPgliteFromDump(dump: Blob): Promise<EmbeddedDatabase> {
  // A dump is a data directory of a running server, so starting from it is a recovery, which arms
  // Postgres's startup-progress timer; in PGlite nothing disarms it, and that pending timer would
  // keep the Node process from exiting while the copy is open. It only ever logs progress: off.
  const startParams = [...PGlite.defaultStartParams, '-c', 'log_startup_progress_interval=0'];
  return wrapPglite(await PGlite.create({ loadDataDir: dump, startParams }));
}

/** An admin connection to the server of TEST_DATABASE_URL; unreachable means the run fails. */
async function connectAdmin(): Promise<pg.Client> {
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL, connectionTimeoutMillis: 3_000 });
  try {
    await admin.connect();
  } catch (error) {
    throw new Error(`PostgreSQL is required for the integration tests (${TEST_DATABASE_URL}): ${(error as Error).message}`, {
      cause: error,
    });
  }
  return admin;
}

const databaseUrl = (name: string) => {
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return url.toString();
};

async function dropDatabase(name: string): Promise<void> {
  const admin = await connectAdmin();
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${pg.escapeIdentifier(name)} WITH (FORCE)`);
  } finally {
    await admin.end();
  }
}

/** A migrated, empty database of the given backend. */
export async function createTestDatabase(backend: BackendName): Promise<TestDatabase> {
  if (backend === 'pglite') {
    const db = await openPgliteFromDump(await pgliteTemplateDump());
    return { db, url: undefined, dispose: () => db.close() };
  }
  const name = uniqueName('portcullis_test');
  const admin = await connectAdmin();
  try {
    await admin.query(`CREATE DATABASE ${pg.escapeIdentifier(name)}`);
  } finally {
    await admin.end();
  }
  const url = databaseUrl(name);
  const db = openPostgres({ connectionString: url, max: 5, connectionTimeoutMillis: 15_000 });
  await migrate(db);
  return {
    db,
    url,
    async dispose() {
      await db.close();
      await dropDatabase(name);
    },
  };
}

export interface TestRedis {
  redis: Redis;
  url: string;
  prefix: string;
  dispose(): Promise<void>;
}

/** A Redis connection whose keys all live under a fresh prefix, deleted on dispose. */
export async function createTestRedis(): Promise<TestRedis> {
  const prefix = `${uniqueName('portcullis-test')}:`;
  const redis = new Redis(TEST_REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 3_000 });
  try {
    await redis.connect();
  } catch (error) {
    redis.disconnect();
    throw new Error(`Redis is required for the integration tests (${TEST_REDIS_URL}): ${(error as Error).message}`, { cause: error });
  }
  return {
    redis,
    url: TEST_REDIS_URL,
    prefix,
    async dispose() {
      let cursor = '0';
      do {
        const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 500);
        cursor = next;
        if (keys.length > 0) await redis.del(...keys);
      } while (cursor !== '0');
      redis.disconnect();
    },
  };
}
