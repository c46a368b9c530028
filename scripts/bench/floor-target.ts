// Benchmark target (child process) of login-throughput.ts (`--baseline floor`, where Portcullis is
// compared with it, or `--login-target floor`, where it is compared with argon2id): the least work a
// password login must do with Portcullis' guarantees, and nothing else, so that the benchmark can
// tell what the host allows from what Portcullis adds. On node:http with no framework, provider,
// cookie signature, rate limit or page: per login it reads the interaction from Redis, counts the
// attempt in PostgreSQL before the hash (the same statement as Portcullis: durable, exact lockout),
// verifies the argon2id hash, clears the count, queues an audit event (the same batched, chained
// writer), stores the interaction's result in Redis and answers 303. Same stores and setup as the
// Portcullis target (test helpers: an isolated database and Redis prefix, dropped on stop), the
// same users and password hashes (bench-users.ts).
//
//   GET  /auth                       a new interaction in Redis; 303 to /interaction/:uid with its cookie
//   GET  /interaction/:uid           a page holding the login form's action
//   POST /interaction/:uid/login     the login (form: email, password); 303 to /auth/:uid
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { once } from 'node:events';
import { randomBytes, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { createTestDatabase, createTestRedis } from '../../test/helpers/stores.ts';
import { emailSubject } from '../../src/accounts/login-subject.ts';
import { verifyPassword } from '../../src/accounts/passwords.ts';
import { parseConfig, type LockoutSettings } from '../../src/config.ts';
import { deriveKeys } from '../../src/security/derived-keys.ts';
import { createAuditTrail } from '../../src/security/audit/audit-writer.ts';
import type { Database } from '../../src/storage/database.ts';
import { clearLoginFailures, reserveLoginAttempt } from '../../src/storage/login-failures.ts';
import type { Redis } from 'ioredis';
import type { LoginTargetInfo, LoginTargetMessage } from './login-target.ts';
import { stopOnRequest } from './target-ipc.ts';
import { createBenchUsers } from './bench-users.ts';

const INTERACTION_TTL_SECONDS = 600;

interface FloorDeps {
  db: Database;
  redis: Redis;
  prefix: string;
  subjectKey: KeyObject;
  audit: ReturnType<typeof createAuditTrail>;
  lockout: LockoutSettings;
}

const readBody = async (req: IncomingMessage) => {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
};

const cookieUid = (req: IncomingMessage) => /(?:^|;\s*)interaction=([\w-]+)/.exec(req.headers.cookie ?? '')?.[1];

async function login(deps: FloorDeps, req: IncomingMessage, res: ServerResponse, uid: string): Promise<void> {
  const key = `${deps.prefix}interaction:${uid}`;
  const stored = await deps.redis.get(key);
  if (!stored || cookieUid(req) !== uid) return void res.writeHead(400).end('no such interaction');
  const interaction = JSON.parse(stored) as Record<string, unknown>;
  const form = new URLSearchParams(await readBody(req));
  const email = form.get('email') ?? '';
  const password = form.get('password') ?? '';
  const subject = emailSubject(deps.subjectKey, email);
  const reservation = await reserveLoginAttempt(deps.db, { subjectKey: subject, email }, new Date(), deps.lockout);
  const account = reservation.admitted ? reservation.account : undefined;
  if (!account?.passwordHash || !(await verifyPassword(account.passwordHash, password)))
    return void res.writeHead(401).end('wrong email or password');
  await clearLoginFailures(deps.db, subject);
  deps.audit.record({
    type: 'login.succeeded',
    outcome: 'success',
    actor: { type: 'user', id: account.id },
    ip: req.socket.remoteAddress,
    details: { amr: ['pwd'] },
  });
  await deps.redis.set(
    key,
    JSON.stringify({ ...interaction, result: { login: { accountId: account.id, amr: ['pwd'] } } }),
    'EX',
    INTERACTION_TTL_SECONDS,
  );
  res.writeHead(303, { location: `/auth/${uid}`, 'content-length': '0' }).end();
}

async function route(deps: FloorDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://floor').pathname;
  const page = /^\/interaction\/([\w-]+)(\/login)?$/.exec(path);
  if (req.method === 'POST' && page?.[2]) return login(deps, req, res, page[1]!);
  if (req.method === 'GET' && page && !page[2]) {
    return void res
      .writeHead(200, { 'content-type': 'text/html' })
      .end(`<form method="post" action="/interaction/${page[1]}/login"></form>`);
  }
  if (req.method === 'GET' && path === '/auth') {
    const uid = randomBytes(16).toString('base64url');
    await deps.redis.set(
      `${deps.prefix}interaction:${uid}`,
      JSON.stringify({ uid, params: { client_id: 'floor' } }),
      'EX',
      INTERACTION_TTL_SECONDS,
    );
    return void res.writeHead(303, { location: `/interaction/${uid}`, 'set-cookie': `interaction=${uid}; Path=/; HttpOnly` }).end();
  }
  res.writeHead(404).end();
}

if (!process.send) throw new Error('the floor target is started by scripts/bench/login-throughput.ts');
const database = await createTestDatabase('postgres');
const redis = await createTestRedis();
const keys = deriveKeys(randomBytes(32).toString('base64url'));
const audit = createAuditTrail({ db: database.db, key: keys.auditKey, logger: { info: () => {}, warn: () => {}, error: () => {} } });
const defaults = parseConfig({});
if (!defaults.ok) throw new Error(`the default configuration is refused: ${defaults.problems.join('; ')}`);
const deps: FloorDeps = {
  db: database.db,
  redis: redis.redis,
  prefix: redis.prefix,
  subjectKey: keys.loginSubjectKey,
  audit,
  lockout: defaults.config.lockout,
};
const server = createServer((req, res) => {
  route(deps, req, res).catch((error: unknown) => {
    console.error('floor target:', error);
    if (!res.headersSent) res.writeHead(500);
    res.end();
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
stopOnRequest(async () => {
  server.close();
  server.closeAllConnections();
  await audit.close();
  await redis.dispose();
  await database.dispose();
});
const users = await createBenchUsers(database.db);
const { port } = server.address() as AddressInfo;
const target: LoginTargetInfo = {
  name: 'floor: the least a login must do (node:http, Redis, the lockout statements, argon2id, audit)',
  issuer: `http://127.0.0.1:${port}`,
  clientId: 'floor',
  ...users,
};
process.send({ type: 'ready', target } satisfies LoginTargetMessage);
