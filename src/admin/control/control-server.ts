// The control socket of an embedded server: a Unix socket in DATA_DIR (mode 0600 inside the 0700
// directory, so only the owner can use it) on which the CLI asks the process that holds the PGlite
// files to run an admin operation. PGlite may be opened by one process only, so while the server
// runs this is the CLI's only way in; the change's NOTIFY then reaches the server's caches at once.
//
//   POST /operations/<name>   body: JSON input (at most 64 KiB)
//   -> 200 { ok: true, result }  |  4xx { ok: false, error: { code, message } }  |  500 generic
import { chmodSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Config } from '../../config.ts';
import { AppError } from '../../http/app-error.ts';
import { readBoundedText } from '../../http/read-body.ts';
import type { Logger } from '../../observability/logger.ts';
import { deriveKeys } from '../../security/derived-keys.ts';
import type { Database } from '../../storage/database.ts';
import { controlSocketPath } from '../../storage/data-dir.ts';
import { OPERATIONS, runOperation, type OperationContext } from '../registry.ts';
import { EVERY_ADMIN_SCOPE } from '../operation/authority.ts';
import { cliActor } from '../operation/define.ts';
import type { AuditTrail } from '../../security/audit/audit-event.ts';

export const CONTROL_BODY_LIMIT = 64 * 1024;
/** Unix socket paths are limited to 104 (macOS) or 108 (Linux) bytes, including the terminator. */
const MAX_SOCKET_PATH_BYTES = 103;

export interface ControlServer {
  readonly socketPath: string;
  close(): Promise<void>;
}

export interface ControlServerDeps {
  config: Config;
  db: Database;
  logger: Logger;
  audit: AuditTrail;
}

async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') throw new AppError('unsupported_media_type', 'the body must be application/json', 415);
  const text = await readBoundedText(req, CONTROL_BODY_LIMIT);
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new AppError('invalid_request', 'the body is not valid JSON', 400);
  }
}

function send(res: ServerResponse, status: number, body: unknown): void {
  const json = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(json),
    'cache-control': 'no-store',
  });
  res.end(json);
}

export async function startControlServer({ config, db, logger, audit }: ControlServerDeps): Promise<ControlServer> {
  if (!config.secretKey) throw new Error('SECRET_KEY must be resolved before the control server starts');
  const keys = deriveKeys(config.secretKey);
  const socketPath = controlSocketPath(config.dataDir);
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`the control socket path ${socketPath} is too long for a Unix socket: use a shorter DATA_DIR`);
  }
  const log = logger.child({ component: 'control' });

  // eslint-disable-next-line @typescript-eslint/no-misused-promises -- the handler answers every failure itself (the catch below)
  const server = createServer(async (req, res) => {
    const match = /^\/operations\/([a-z]+\.[a-z]+)$/.exec(req.url ?? '');
    const name = match?.[1];
    try {
      if (!name || !OPERATIONS.has(name))
        throw new AppError('unknown_operation', `unknown operation ${JSON.stringify(req.url ?? '')}`, 404);
      if (req.method !== 'POST') throw new AppError('method_not_allowed', 'use POST', 405);
      const input = await readJsonBody(req);
      const started = performance.now();
      // The socket is reachable by its owner only (the operator, who also holds the database and
      // SECRET_KEY), so the CLI's word for who runs it is trusted, and it holds every admin scope.
      const actorHeader = req.headers['x-portcullis-actor'];
      const ctx: OperationContext = {
        db,
        config,
        keys,
        audit,
        actor: cliActor(typeof actorHeader === 'string' ? actorHeader : undefined),
        scopes: EVERY_ADMIN_SCOPE,
      };
      const result = await runOperation(ctx, name, input);
      // reads (audit tail --follow polls every second) at debug; changes at info
      const level = /\.(list|show|export|verify)$/.test(name) ? 'debug' : 'info';
      log[level]({ operation: name, ms: Math.round(performance.now() - started) }, 'admin operation');
      send(res, 200, { ok: true, result });
    } catch (error) {
      if (error instanceof AppError && error.expose) {
        log.info({ operation: name, code: error.code }, 'admin operation refused');
        if (error.status === 413 || error.status === 415) res.setHeader('connection', 'close');
        send(res, error.status, { ok: false, error: { code: error.code, message: error.message } });
      } else {
        log.error({ err: error, operation: name }, 'admin operation failed');
        send(res, 500, { ok: false, error: { code: 'server_error', message: 'the server could not run the operation (see its log)' } });
      }
    }
  });
  server.requestTimeout = 60_000;
  server.headersTimeout = 10_000;

  // This process holds the data directory's lock, so a socket file left behind is stale.
  rmSync(socketPath, { force: true });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(socketPath, () => {
      server.off('error', reject);
      resolve();
    });
  });
  chmodSync(socketPath, 0o600);
  log.debug({ socketPath }, 'control socket listening');

  return {
    socketPath,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await closed;
      rmSync(socketPath, { force: true });
    },
  };
}
