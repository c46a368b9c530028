// A whole Portcullis server in this process, on a free port, over isolated real stores.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseConfig, type Config } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createPortcullis, type Portcullis } from '../../src/portcullis.ts';
import type { Database } from '../../src/storage/database.ts';
import type { Stores } from '../../src/storage/stores.ts';
import type { AuditTrail } from '../../src/security/audit/audit-event.ts';
import { openPostgres } from '../../src/storage/postgres.ts';
import { connectRedis } from '../../src/storage/stores.ts';
import { createTestDatabase, createTestRedis, type BackendName } from './stores.ts';

export interface BackendSetup {
  name: string;
  database: BackendName;
  redis: boolean;
}

/** The deployments every flow is tested on: embedded, and PostgreSQL + Redis. */
export const BACKENDS: BackendSetup[] = [
  { name: 'pglite', database: 'pglite', redis: false },
  { name: 'postgres+redis', database: 'postgres', redis: true },
];

export interface TestServer {
  url: string;
  config: Config;
  db: Database;
  stores: Stores;
  portcullis: Portcullis;
  /**
   * Another server process-equivalent on the same stores (postgres only). With `sharedIssuer` it
   * has the primary's ISSUER, like every process behind one load balancer (its `url` is still its own).
   */
  startSibling(options?: { sharedIssuer?: boolean }): Promise<TestServer>;
  close(): Promise<void>;
}

const listen = (server: Server) =>
  new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });

/** Rate limits no ordinary test reaches (the rate-limit and lockout tests set their own). */
export const GENEROUS_RATE_LIMITS: Record<string, string> = {
  RATE_LIMIT_IP_PER_MINUTE: '1000000',
  RATE_LIMIT_CLIENT_PER_MINUTE: '1000000',
  RATE_LIMIT_FORM_PER_MINUTE: '100000',
};

/** An audit trail that records nothing: the baseline of the audit-overhead benchmark. */
const NO_AUDIT: AuditTrail = {
  record: () => {},
  recordDurable: async () => {},
  recordWithin: async () => {},
  flush: async () => {},
  close: async () => {},
};

async function serve(
  stores: Stores,
  env: Record<string, string>,
  logLevel: string,
  auditOff = false,
  now?: () => Date,
  publicHost = '127.0.0.1',
  issuer?: string,
  deliverEmails = false,
): Promise<Omit<TestServer, 'startSibling'>> {
  const http = createServer();
  const port = await listen(http);
  const url = `http://${publicHost}:${port}`;
  const parsed = parseConfig({ ...env, ISSUER: issuer ?? url, LOG_LEVEL: logLevel });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const config = parsed.config;
  const portcullis = await createPortcullis({
    config,
    stores,
    logger: createLogger(logLevel),
    ...(auditOff ? { audit: NO_AUDIT } : {}),
    ...(now ? { now } : {}),
    deliverEmails,
  });
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- Koa's callback handles its own errors (app.onerror)
  http.on('request', portcullis.app.callback());
  return {
    url,
    config,
    db: stores.db,
    stores,
    portcullis,
    async close() {
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections();
      });
      await portcullis.close();
    },
  };
}

export async function startTestServer(
  backend: BackendSetup,
  options: {
    env?: Record<string, string>;
    logLevel?: string;
    auditOff?: boolean;
    /** the server's clock (lock expiries) */ now?: () => Date;
    /** the issuer's host name (passkeys need `localhost`: browsers refuse an IP as relying party) */ publicHost?: string;
    /**
     * Run the outbox worker (on by itself when env has SMTP_URL, e.g. a startMailCatcher's url). Off,
     * emails stay queued for test/helpers/outbox.ts to read; on, they are sent and their payload emptied.
     */
    deliverEmails?: boolean;
  } = {},
): Promise<TestServer> {
  const database = await createTestDatabase(backend.database);
  const redis = backend.redis ? await createTestRedis() : undefined;
  const env = {
    SECRET_KEY: randomBytes(32).toString('base64url'),
    // every test talks from 127.0.0.1: per-IP ceilings are raised so only the tests about them meet them
    ...GENEROUS_RATE_LIMITS,
    ...(database.url ? { DATABASE_URL: database.url } : {}),
    ...(redis ? { REDIS_URL: redis.url } : {}),
    ...options.env,
  };
  const logLevel = options.logLevel ?? 'silent';
  const stores: Stores = { db: database.db, redis: redis?.redis, redisPrefix: redis?.prefix ?? 'portcullis:', close: async () => {} };
  const deliverEmails = options.deliverEmails ?? Boolean(options.env?.SMTP_URL);
  const primary = await serve(stores, env, logLevel, options.auditOff, options.now, options.publicHost, undefined, deliverEmails);
  const siblings: (() => Promise<void>)[] = [];

  return {
    ...primary,
    async startSibling(siblingOptions = {}) {
      if (!database.url) throw new Error('siblings need a shared PostgreSQL database');
      const siblingDb = openPostgres({ connectionString: database.url });
      const siblingRedis = redis ? connectRedis(redis.url) : undefined;
      const siblingStores: Stores = {
        db: siblingDb,
        redis: siblingRedis,
        redisPrefix: stores.redisPrefix,
        close: async () => {
          siblingRedis?.disconnect();
          await siblingDb.close();
        },
      };
      const sibling = await serve(
        siblingStores,
        env,
        logLevel,
        false,
        options.now,
        undefined,
        siblingOptions.sharedIssuer ? primary.url : undefined,
        deliverEmails,
      );
      const close = async () => {
        await sibling.close();
        await siblingStores.close();
      };
      siblings.push(close);
      return { ...sibling, startSibling: () => Promise.reject(new Error('start siblings from the primary')), close };
    },
    async close() {
      for (const close of siblings) await close();
      await primary.close();
      await redis?.dispose();
      await database.dispose();
    },
  };
}
