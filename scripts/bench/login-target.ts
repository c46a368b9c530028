// Benchmark target (child process) of login-throughput.ts, one of two kinds (BENCH_LOGIN_TARGET):
//   portcullis  a whole Portcullis server on PostgreSQL + Redis — an isolated, freshly migrated
//               database and a fresh Redis key prefix, both removed on stop — with one user (the
//               test fixtures' password, argon2id at the default parameters) and one
//               authorization-code client; the login rate limits raised out of the benchmark's way.
//   argon2      nothing but argon2id verifies of BENCH_PASSWORD_HASH with BENCH_PASSWORD (the
//               Portcullis user's own hash and password), via verifyPassword, run on request
//               (`verify`: `count` verifies, `concurrency` at a time) — the floor a login cannot go
//               below.
// Both are child processes so that they have the same libuv threadpool (where argon2 runs) and
// neither shares an event loop with the load generator. The `stop` and `cpu` messages of
// target-ipc.ts apply to both; BENCH_LOG_LEVEL sets Portcullis' log level (default silent).
import { BACKENDS, startTestServer } from '../../test/helpers/server.ts';
import { createTestClient } from '../../test/helpers/fixtures.ts';
import { verifyPassword } from '../../src/accounts/passwords.ts';
import { createBenchUsers } from './bench-users.ts';
import { inParallel } from './bench-load.ts';
import { stopOnRequest } from './target-ipc.ts';

export interface LoginTargetInfo {
  name: string;
  /** Portcullis only */
  issuer?: string;
  clientId?: string;
  /** the users who log in, in turn (one password, each with its own hash) */
  emails?: string[];
  password: string;
  /** the stored argon2id hash of `password` */
  passwordHash: string;
}

export type LoginTargetMessage =
  { type: 'ready'; target: LoginTargetInfo } | { type: 'verified'; ok: number; failed: number; latenciesMs: number[] };
export interface LoginParentMessage {
  type: 'verify';
  count: number;
  concurrency: number;
}

/** Rate limits and failure ceilings the benchmark must never meet (each at most its config maximum). */
const BENCH_LOGIN_ENV: Record<string, string> = {
  RATE_LIMIT_IP_PER_MINUTE: '1000000',
  RATE_LIMIT_FORM_PER_MINUTE: '100000', // the maximum src/config.ts accepts
  LOGIN_IP_FAILURES_PER_HOUR: '100000',
  LOGIN_PAIR_FAILURES_PER_HOUR: '1000',
};

const ready = (target: LoginTargetInfo) => process.send!({ type: 'ready', target } satisfies LoginTargetMessage);

async function portcullisTarget(): Promise<void> {
  const backend = BACKENDS.find((candidate) => candidate.database === 'postgres' && candidate.redis);
  if (!backend) throw new Error('no PostgreSQL + Redis backend in test/helpers/server.ts');
  const server = await startTestServer(backend, { env: BENCH_LOGIN_ENV, logLevel: process.env.BENCH_LOG_LEVEL ?? 'silent' });
  stopOnRequest(() => server.close());
  try {
    const users = await createBenchUsers(server.db);
    const client = await createTestClient(server);
    ready({ name: 'Portcullis login (PostgreSQL + Redis)', issuer: server.url, clientId: client.clientId, ...users });
  } catch (error) {
    await server.close();
    throw error;
  }
}

async function argon2Target(): Promise<void> {
  const passwordHash = process.env.BENCH_PASSWORD_HASH;
  const password = process.env.BENCH_PASSWORD;
  if (!passwordHash || password === undefined) throw new Error('BENCH_PASSWORD_HASH and BENCH_PASSWORD are required');
  if (!(await verifyPassword(passwordHash, password))) throw new Error('the password does not verify against the hash');
  stopOnRequest(async () => {});
  process.on('message', (message: LoginParentMessage) => {
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the parent process is not type-checked against this
    if (message.type !== 'verify') return;
    const latenciesMs: number[] = [];
    let ok = 0;
    let failed = 0;
    const verify = async () => {
      const started = performance.now();
      if (await verifyPassword(passwordHash, password)) ok++;
      else failed++;
      latenciesMs.push(performance.now() - started);
    };
    void inParallel(message.count, message.concurrency, verify).then(() =>
      process.send!({ type: 'verified', ok, failed, latenciesMs } satisfies LoginTargetMessage),
    );
  });
  const parameters = /^\$argon2id\$v=\d+\$(m=\d+,t=\d+,p=\d+)\$/.exec(passwordHash)?.[1] ?? 'unknown parameters';
  ready({ name: `argon2id verify (${parameters})`, password, passwordHash });
}

if (!process.send) throw new Error('login benchmark targets are started by scripts/bench/login-throughput.ts');
const kind = process.env.BENCH_LOGIN_TARGET;
if (kind === 'portcullis') await portcullisTarget();
else if (kind === 'argon2') await argon2Target();
else throw new Error(`BENCH_LOGIN_TARGET must be portcullis or argon2 (got ${String(kind)})`);
