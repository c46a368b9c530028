// The server process (started by src/main.ts): the one place that reads process.env: configuration,
// stores, the HTTP server, clean shutdown.
import { createServer, type Server } from 'node:http';
import { parseConfig, withSecretKey, type Config } from './config.ts';
import { createLogger } from './observability/logger.ts';
import { createPortcullis } from './portcullis.ts';
import { acquireDataDirLock, loadOrCreateSecretKey } from './storage/data-dir.ts';
import { migrate } from './storage/migrate.ts';
import { pruneExpired } from './storage/prune.ts';
import { openStores } from './storage/stores.ts';
import { startControlServer } from './admin/control/control-server.ts';
import { startMetricsServer } from './observability/metrics-endpoint.ts';
import { AuditChainBrokenError, pruneAuditEvents } from './security/audit/audit-queries.ts';

const PRUNE_INTERVAL_MS = 60_000;

export async function main(): Promise<void> {
  const parsed = parseConfig(process.env);
  if (!parsed.ok) {
    for (const problem of parsed.problems) console.error(`configuration error: ${problem}`);
    process.exit(1);
  }
  let config: Config = parsed.config;
  const logger = createLogger(config.logLevel);
  const embedded = !config.databaseUrl;

  let releaseLock = () => {};
  if (embedded) {
    // A CLI command may hold the directory for a moment: wait briefly before giving up.
    let lock = acquireDataDirLock(config.dataDir);
    for (let attempt = 0; !lock.acquired && attempt < 50; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      lock = acquireDataDirLock(config.dataDir);
    }
    if (!lock.acquired) {
      console.error(`configuration error: DATA_DIR ${config.dataDir} is in use by another Portcullis process (pid ${lock.holderPid})`);
      process.exit(1);
    }
    releaseLock = lock.release;
    process.on('exit', releaseLock);
  }
  if (!config.secretKey) {
    const { secretKey, created } = loadOrCreateSecretKey(config.dataDir);
    config = withSecretKey(config, secretKey);
    logger.warn(
      { dataDir: config.dataDir, created },
      'SECRET_KEY is not set: using the generated secret kept in DATA_DIR/secret.key (set SECRET_KEY in production)',
    );
  }

  const stores = await openStores(config);
  if (stores.seeded?.from === 'template')
    logger.info({ template: stores.seeded.template }, 'new database created from the PGlite template');
  if (stores.seeded?.from === 'initdb')
    logger.info({ reason: stores.seeded.reason }, 'new database: running initdb (no usable PGlite template)');
  const applied = await migrate(stores.db);
  if (applied.length > 0) logger.info({ applied }, 'migrations applied');
  const portcullis = await createPortcullis({ config, stores, logger, deliverEmails: true });
  const control = embedded ? await startControlServer({ config, db: stores.db, logger, audit: portcullis.audit }) : undefined;

  const metricsServer =
    config.metricsPort === undefined ? undefined : await startMetricsServer(portcullis.metrics.registry, config.host, config.metricsPort);
  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- Koa's callback handles its own errors (app.onerror)
  const server: Server = createServer(portcullis.app.callback());
  server.keepAliveTimeout = 5_000;
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(config.port, config.host, resolve);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  logger.info(
    { issuer: config.issuer, port, storage: embedded ? `embedded (${config.dataDir})` : 'postgresql', redis: Boolean(config.redisUrl) },
    'Portcullis is listening',
  );
  if (config.banner) printNextSteps(config, port);

  const prune = setInterval(() => {
    pruneExpired(stores.db).catch((error: unknown) => logger.warn({ err: error }, 'pruning expired records failed'));
  }, PRUNE_INTERVAL_MS);
  prune.unref();
  // Audit retention: hourly, events older than AUDIT_RETENTION_DAYS go (the rest stays verifiable).
  const pruneAudit = setInterval(() => {
    if (config.auditRetentionDays === 0) return;
    const olderThan = new Date(Date.now() - config.auditRetentionDays * 86_400_000);
    pruneAuditEvents(stores.db, portcullis.keys.auditKey, olderThan).catch((error: unknown) => {
      // a chain that no longer verifies is an incident, not a hiccup
      if (error instanceof AuditChainBrokenError) logger.error({ err: error }, 'audit chain broken: retention pruning refused');
      else logger.warn({ err: error }, 'pruning audit events failed');
    });
  }, 3_600_000);
  pruneAudit.unref();

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    clearInterval(prune);
    clearInterval(pruneAudit);
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    server.closeIdleConnections();
    const force = setTimeout(() => server.closeAllConnections(), 10_000);
    force.unref();
    await closed;
    await control?.close();
    metricsServer?.close();
    await portcullis.close();
    await stores.close();
    releaseLock();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
  process.on('SIGINT', () => void shutdown('SIGINT'));
}

function printNextSteps(config: Config, port: number): void {
  const base = config.issuer;
  console.log(`
Portcullis is running: ${base}  (listening on ${config.host}:${port})
  discovery  ${base}/.well-known/openid-configuration
  jwks       ${base}/jwks

Next steps (in another terminal, same directory):
  npx portcullis resources create --identifier https://api.example.com --name "Example API" --scope read --scope write
  npx portcullis clients create --name "My app" --grant-type authorization_code --grant-type refresh_token \\
      --redirect-uri http://localhost:8080/callback --resource https://api.example.com --scope read
  npx portcullis users create --email you@example.com --name "You"      (reads the password from standard input)
`);
}
