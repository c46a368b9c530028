// Where a CLI command runs.
//   DATABASE_URL set: in the CLI's own process, on PostgreSQL (any number of processes may share it;
//     running servers learn of changes through NOTIFY).
//   embedded (no DATABASE_URL): PGlite's files may be opened by one process only. When a server holds
//     DATA_DIR, it runs the operation for us through its control socket; otherwise the CLI takes the
//     data directory's lock and opens the files itself, then closes them and releases the lock.
//
// The database drivers and the operations are imported only on the direct paths: a command that a
// running server executes starts quickly.
import { userInfo } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { withSecretKey, type Config } from '../../config.ts';
import type { Database } from '../../storage/database.ts';
import { acquireDataDirLock, controlSocketPath, loadOrCreateSecretKey, pgliteDir } from '../../storage/data-dir.ts';
import { callControlServer, type ControlCall } from '../control/control-client.ts';
import { EVERY_ADMIN_SCOPE } from '../operation/authority.ts';
import { sqlState } from '../operation/define.ts';
import { CliError } from '../operation/cli-binding.ts';

export { CliError } from '../operation/cli-binding.ts';

export interface RunOptions {
  /** How long to wait for a server that holds DATA_DIR but does not answer yet (it is starting). */
  busyWaitMs?: number;
}

const PROBE_OPERATION = 'keys.list';

/** Runs the operation `name` (or the CLI's own `migrate`) where the configuration says. */
export async function runCommand(config: Config, name: string, input: unknown, options: RunOptions = {}): Promise<unknown> {
  if (config.databaseUrl) return runOnPostgres(config, config.databaseUrl, name, input);
  return runEmbedded(config, name, input, options);
}

async function runOnPostgres(config: Config, databaseUrl: string, name: string, input: unknown): Promise<unknown> {
  if (name !== 'migrate' && !config.secretKey) {
    throw new CliError(
      'SECRET_KEY is required with DATABASE_URL: set the same SECRET_KEY as the server (it encrypts the signing keys and keys the client-secret hashes)',
    );
  }
  const [{ openPostgres }, { migrate }] = await Promise.all([import('../../storage/postgres.ts'), import('../../storage/migrate.ts')]);
  const db = openPostgres({ connectionString: databaseUrl, max: 2 });
  try {
    if (name === 'migrate') return { applied: await migrate(db) };
    return await runDirect(db, withSecretKey(config, config.secretKey!), name, input);
  } catch (error) {
    if (sqlState(error) === '42P01')
      throw new CliError('the database has no Portcullis schema yet: run `portcullis migrate` (or start the server) first');
    throw error;
  } finally {
    await db.close();
  }
}

async function runEmbedded(config: Config, name: string, input: unknown, options: RunOptions): Promise<unknown> {
  const socketPath = controlSocketPath(config.dataDir);
  const deadline = Date.now() + (options.busyWaitMs ?? 10_000);
  for (;;) {
    // 1. A server holds DATA_DIR and answers: it runs the operation in its process.
    const call: ControlCall = await callControlServer(
      socketPath,
      name === 'migrate' ? PROBE_OPERATION : name,
      name === 'migrate' ? {} : input,
    );
    if (call.reached) return name === 'migrate' ? { applied: [], serverRunning: true } : call.result;
    // 2. Nobody holds it: open the files ourselves, under the lock.
    const lock = acquireDataDirLock(config.dataDir);
    if (lock.acquired) {
      process.once('exit', lock.release);
      let db: Database | undefined;
      try {
        const secretKey = config.secretKey ?? loadOrCreateSecretKey(config.dataDir).secretKey;
        const [{ openPglite }, { migrate }] = await Promise.all([import('../../storage/pglite.ts'), import('../../storage/migrate.ts')]);
        db = await openPglite(pgliteDir(config.dataDir));
        const applied = await migrate(db);
        if (name === 'migrate') return { applied };
        return await runDirect(db, withSecretKey(config, secretKey), name, input);
      } finally {
        await db?.close();
        lock.release();
        process.off('exit', lock.release);
      }
    }
    // 3. A live process holds the lock but does not answer yet: a server starting, or another command.
    if (Date.now() >= deadline) {
      throw new CliError(
        `DATA_DIR ${config.dataDir} is held by process ${lock.holderPid}, which does not answer on its control socket: ` +
          'the server is starting (or another portcullis command is running); retry in a moment',
      );
    }
    await sleep(100);
  }
}

async function runDirect(db: Database, config: Config, name: string, input: unknown): Promise<unknown> {
  const [{ deriveKeys }, { ensureSigningKeys }, { runOperation }, { createAuditTrail }, { cliActor }] = await Promise.all([
    import('../../security/derived-keys.ts'),
    import('../../security/signing-keys.ts'),
    import('../registry.ts'),
    import('../../security/audit/audit-writer.ts'),
    import('../operation/define.ts'),
  ]);
  const keys = deriveKeys(config.secretKey!);
  if (name.startsWith('keys.')) await ensureSigningKeys(db, keys.encryptionKey);
  const audit = createAuditTrail({ db, key: keys.auditKey, logger: stderrLogger });
  try {
    return await runOperation({ db, keys, config, audit, actor: cliActor(userInfo().username), scopes: EVERY_ADMIN_SCOPE }, name, input);
  } finally {
    await audit.close();
  }
}

/** The audit writer's rare complaints (the store failing) go to standard error. */
const stderrLogger = {
  info: () => {},
  warn: (_fields: object, message: string) => console.error(`warning: ${message}`),
  error: (_fields: object, message: string) => console.error(`error: ${message}`),
};
