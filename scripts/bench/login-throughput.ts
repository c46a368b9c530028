// Login throughput of Portcullis against the pure argon2id verify rate at the same parameters,
// measured side by side in one run. A login must cost little beyond its password hash: target
// login / argon2 >= 0.90.
//
//   node scripts/bench/login-throughput.ts [--requests N] [--concurrency C] [--warmup W]
//                                          [--rounds R] [--log-level L] [--profile [--profile-dir DIR]]
//   npm run bench:login -- [same flags]
//
//   --requests N      measured logins, and as many measured verifies, per target (default 800),
//                     split over the rounds
//   --concurrency C   logins (verifies) in flight at once, over C keep-alive connections (default 4:
//                     the argon2 work is CPU-bound, and this host has 2 cores)
//   --warmup W        unmeasured logins (verifies) per target before the first round (default 80)
//   --rounds R        measured rounds per target, run A B | B A | A B ... so drift cancels (default 4)
//   --log-level L     Portcullis log level (default silent; `info` logs each request to /dev/null)
//   --profile         also record a V8 CPU profile of the Portcullis process' main thread during the
//                     measured rounds (argon2 runs on the threadpool, outside it), print where the
//                     JavaScript time of a login went, and keep the .cpuprofile file (the profiler
//                     slows the login target: read throughput from a run without it)
//
// Targets, each a child process of its own (scripts/bench/login-target.ts), so both run with the
// same libuv threadpool size (UV_THREADPOOL_SIZE, inherited; argon2 runs there) and neither shares
// an event loop with the load generator, which runs here:
//   A  Portcullis on PostgreSQL + Redis: an isolated, migrated database and Redis prefix made by the
//      test helpers (DATABASE_URL / REDIS_URL or TEST_* as in test/helpers/stores.ts, default
//      127.0.0.1), one user (createUser: the fixtures' password, argon2id at the default
//      parameters) and one authorization-code client; the rate limits and login failure ceilings
//      raised out of the way (RATE_LIMIT_IP_PER_MINUTE, RATE_LIMIT_FORM_PER_MINUTE,
//      LOGIN_IP_FAILURES_PER_HOUR, LOGIN_PAIR_FAILURES_PER_HOUR).
//      Before any timing, W + N interactions are prepared here (GET /auth with PKCE, then the login
//      page at /interaction/:uid, keeping each interaction's cookies); then each is used for exactly
//      one POST /interaction/:uid/login with the right password. The 303 to /auth/:uid (resume) is
//      the success signal and is not followed; any other answer fails the run.
//   B  argon2id verify (verifyPassword of src/accounts/passwords.ts) of the Portcullis user's own
//      stored hash with the same password, C at a time.
// Printed: per-round rates, the median rate of each target, ratio = median login rate / median
// verify rate, `target >= 0.90: PASS|FAIL`. Everything listens on 127.0.0.1 only. The run is bounded:
// at most 120 s, then it stops the targets (which drop their database) and exits non-zero; it also
// exits non-zero on any failed login or verify. A ratio below target is reported, not an error.
import { fork, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { Agent, request, type IncomingHttpHeaders } from 'node:http';
import { readFileSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { busyTimeMs, formatSummary, summariseProfile, type CpuProfile } from './cpu-profile.ts';
import type { ParentMessage, TargetMessage } from './target-ipc.ts';
import type { LoginParentMessage, LoginTargetInfo, LoginTargetMessage } from './login-target.ts';

const HARD_TIMEOUT_MS = 120_000;
const TARGET_RATIO = 0.9;
const REDIRECT_URI = 'http://127.0.0.1:8080/callback'; // what createTestClient registers

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '800' },
    concurrency: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '80' },
    rounds: { type: 'string', default: '4' },
    'log-level': { type: 'string', default: 'silent' },
    profile: { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
  },
  strict: true,
});

const positiveInt = (name: string, value: string, min: number) => {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    console.error(`--${name} must be an integer >= ${min} (got ${value})`);
    process.exit(2);
  }
  return number;
};
const REQUESTS = positiveInt('requests', args.requests, 1);
const CONCURRENCY = positiveInt('concurrency', args.concurrency, 1);
const WARMUP = positiveInt('warmup', args.warmup, 0);
const ROUNDS = Math.min(positiveInt('rounds', args.rounds, 1), REQUESTS);

// --- targets ------------------------------------------------------------------------------------

interface Target {
  key: 'login' | 'argon2';
  info: LoginTargetInfo;
  child: ChildProcess;
  send(message: ParentMessage | LoginParentMessage): void;
}

type AnyTargetMessage = TargetMessage | LoginTargetMessage;

const children: ChildProcess[] = [];

async function startTarget(key: Target['key'], env: Record<string, string>, quietStdout = false): Promise<Target> {
  const child = fork(new URL('./login-target.ts', import.meta.url).pathname, [], {
    env: { ...process.env, ...env },
    stdio: ['ignore', quietStdout ? 'ignore' : 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const info = await new Promise<LoginTargetInfo>((resolve, reject) => {
    child.on('message', (message: AnyTargetMessage) => {
      if (message.type === 'ready' && 'password' in message.target) resolve(message.target);
    });
    child.once('exit', (code) => reject(new Error(`${key} target exited (code ${code}) before it was ready`)));
  });
  return { key, info, child, send: (message) => child.send(message) };
}

async function stopTargets(): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
      else child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    }),
  );
}

function awaitReply<T extends AnyTargetMessage['type']>(target: Target, type: T): Promise<Extract<AnyTargetMessage, { type: T }>> {
  return new Promise((resolve, reject) => {
    const onExit = (code: number | null) => reject(new Error(`${target.key} target exited (code ${code}) while a reply was awaited`));
    const listener = (message: AnyTargetMessage) => {
      if (message.type !== type) return;
      target.child.off('message', listener);
      target.child.off('exit', onExit);
      resolve(message as Extract<AnyTargetMessage, { type: T }>);
    };
    target.child.on('message', listener);
    target.child.once('exit', onExit);
  });
}

/** CPU time (user + system, µs) the target process has used so far, its threadpool included. */
async function cpuMicros(target: Target): Promise<number> {
  const reply = awaitReply(target, 'cpu');
  target.send({ type: 'cpu' });
  return (await reply).micros;
}

// --- HTTP, with a cookie jar per interaction ----------------------------------------------------

interface Reply {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

function send(agent: Agent, url: URL, method: 'GET' | 'POST', headers: Record<string, string>, body?: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: url.hostname,
        port: url.port,
        path: `${url.pathname}${url.search}`,
        method,
        headers: body === undefined ? headers : { ...headers, 'content-length': String(Buffer.byteLength(body)) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(15_000, () => req.destroy(new Error(`${method} ${url.pathname} timed out after 15 s`)));
    req.on('error', reject);
    req.end(body);
  });
}

class CookieJar {
  readonly #cookies = new Map<string, string>();

  store(headers: IncomingHttpHeaders): void {
    for (const header of headers['set-cookie'] ?? []) {
      const [pair] = header.split(';');
      const index = pair!.indexOf('=');
      const name = pair!.slice(0, index).trim();
      const value = pair!.slice(index + 1);
      if (/expires=Thu, 01 Jan 1970/i.test(header) || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  get header(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }
}

interface Interaction {
  loginUrl: URL;
  cookie: string;
}

/** GET /auth (code + PKCE) → 303 to /interaction/:uid → the login page; nothing here is timed. */
async function prepareInteraction(agent: Agent, info: LoginTargetInfo): Promise<Interaction> {
  const issuer = info.issuer!;
  const jar = new CookieJar();
  const challenge = createHash('sha256').update(randomBytes(32).toString('base64url')).digest('base64url');
  const query = new URLSearchParams({
    client_id: info.clientId!,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: challenge,
    code_challenge_method: 'S256',
    state: randomBytes(8).toString('hex'),
  });
  const authorize = await send(agent, new URL(`/auth?${query}`, issuer), 'GET', {});
  jar.store(authorize.headers);
  const location = authorize.headers.location;
  if (authorize.status !== 303 && authorize.status !== 302) throw new Error(`GET /auth: HTTP ${authorize.status} ${authorize.body.slice(0, 300)}`);
  if (!location?.includes('/interaction/')) throw new Error(`GET /auth redirected to ${String(location)}, not to an interaction`);
  const pageUrl = new URL(location, issuer);
  const page = await send(agent, pageUrl, 'GET', { cookie: jar.header });
  jar.store(page.headers);
  const action = /<form method="post" action="([^"]+\/login)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !action) throw new Error(`GET ${pageUrl.pathname}: HTTP ${page.status}, no login form: ${page.body.slice(0, 300)}`);
  return { loginUrl: new URL(action.replaceAll('&amp;', '&'), issuer), cookie: jar.header };
}

async function prepareInteractions(info: LoginTargetInfo, count: number, concurrency: number): Promise<Interaction[]> {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const interactions: Interaction[] = [];
  let issued = 0;
  const worker = async () => {
    while (issued < count) {
      issued++;
      interactions.push(await prepareInteraction(agent, info));
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
  } finally {
    agent.destroy();
  }
  return interactions;
}

// --- load ---------------------------------------------------------------------------------------

/**
 * Busy CPU time of the whole host so far, ms (Linux /proc/stat, in clock ticks of 10 ms): the
 * target's share plus PostgreSQL, Redis, the kernel and this load generator. NaN elsewhere.
 */
function hostBusyMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * 10; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

interface RunResult {
  operations: number;
  elapsedMs: number;
  /** CPU time the target process used during the run, µs */
  cpuMicros: number;
  /** CPU time this load generator used during the run, µs */
  generatorCpuMicros: number;
  /** busy CPU time of the whole host during the run (every process and the kernel), ms; NaN if unknown */
  hostBusyMs: number;
  latenciesMs: number[];
}

/** Timed: POST /interaction/:uid/login with the right password, each interaction once, C at a time. */
async function loginRun(target: Target, agent: Agent, interactions: Interaction[], concurrency: number): Promise<RunResult> {
  const { emails, password, issuer } = target.info;
  const bodies = emails!.map((email) => new URLSearchParams({ email, password }).toString());
  const latenciesMs: number[] = [];
  let next = 0;
  let ok = 0;
  const worker = async () => {
    while (next < interactions.length) {
      const index = next++;
      const interaction = interactions[index]!;
      const body = bodies[index % bodies.length]!;
      const started = performance.now();
      const reply = await send(agent, interaction.loginUrl, 'POST', {
        'content-type': 'application/x-www-form-urlencoded',
        origin: issuer!,
        cookie: interaction.cookie,
      }, body);
      latenciesMs.push(performance.now() - started);
      if (reply.status !== 303 || !reply.headers.location?.includes('/auth/')) {
        throw new Error(`login failed: HTTP ${reply.status} (location ${String(reply.headers.location)}) ${reply.body.slice(0, 300)}`);
      }
      ok++;
    }
  };
  const cpuBefore = await cpuMicros(target);
  const generatorBefore = process.cpuUsage();
  const hostBefore = hostBusyMs();
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, interactions.length) }, worker));
  const elapsedMs = performance.now() - started;
  const hostUsed = hostBusyMs() - hostBefore;
  const generator = process.cpuUsage(generatorBefore);
  const cpuUsed = (await cpuMicros(target)) - cpuBefore;
  return { operations: ok, elapsedMs, cpuMicros: cpuUsed, generatorCpuMicros: generator.user + generator.system, hostBusyMs: hostUsed, latenciesMs };
}

/** Timed: `count` argon2id verifies in the argon2 target, C at a time. */
async function verifyRun(target: Target, count: number, concurrency: number): Promise<RunResult> {
  const cpuBefore = await cpuMicros(target);
  const generatorBefore = process.cpuUsage();
  const reply = awaitReply(target, 'verified');
  const hostBefore = hostBusyMs();
  const started = performance.now();
  target.send({ type: 'verify', count, concurrency });
  const { ok, failed, latenciesMs } = await reply;
  const elapsedMs = performance.now() - started;
  const hostUsed = hostBusyMs() - hostBefore;
  const generator = process.cpuUsage(generatorBefore);
  const cpuUsed = (await cpuMicros(target)) - cpuBefore;
  if (failed > 0) throw new Error(`${failed} of ${count} argon2 verifies failed`);
  return { operations: ok, elapsedMs, cpuMicros: cpuUsed, generatorCpuMicros: generator.user + generator.system, hostBusyMs: hostUsed, latenciesMs };
}

// --- report -------------------------------------------------------------------------------------

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;
const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};
const rate = (result: RunResult) => result.operations / (result.elapsedMs / 1000);

function combine(results: RunResult[]) {
  const operations = results.reduce((sum, result) => sum + result.operations, 0);
  const latencies = results.flatMap((result) => result.latenciesMs).sort((a, b) => a - b);
  const perRound = results.map(rate);
  return {
    operations,
    perRound,
    median: median(perRound),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuPerOperation: results.reduce((sum, result) => sum + result.cpuMicros, 0) / operations,
    generatorCpuPerOperation: results.reduce((sum, result) => sum + result.generatorCpuMicros, 0) / operations,
    hostBusyPerOperation: results.reduce((sum, result) => sum + result.hostBusyMs, 0) / operations,
  };
}

// --- main ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const threadpool = process.env.UV_THREADPOOL_SIZE ?? '4 (default)';
  console.log(
    `login-throughput: POST /interaction/:uid/login (right password) vs argon2id verify, ${REQUESTS} measured per target in ${ROUNDS} round(s) after ${WARMUP} warm-up, ` +
      `concurrency ${CONCURRENCY}, UV_THREADPOOL_SIZE ${threadpool}, ${availableParallelism()} CPUs, Node ${process.version}`,
  );
  const login = await startTarget('login', { BENCH_LOGIN_TARGET: 'portcullis', BENCH_LOG_LEVEL: args['log-level'] }, args['log-level'] !== 'silent');
  const argon2 = await startTarget('argon2', { BENCH_LOGIN_TARGET: 'argon2', BENCH_PASSWORD_HASH: login.info.passwordHash, BENCH_PASSWORD: login.info.password });
  console.log(`  A login   ${login.info.name} at ${login.info.issuer}, ${login.info.emails!.length} users logging in in turn`);
  console.log(`  B argon2  ${argon2.info.name}, the same stored hash (${login.info.passwordHash.slice(0, 32)}…)`);

  const prepareStarted = performance.now();
  const interactions = await prepareInteractions(login.info, WARMUP + REQUESTS, CONCURRENCY);
  console.log(`  prepared ${interactions.length} interactions in ${((performance.now() - prepareStarted) / 1000).toFixed(1)} s (not measured)`);

  const agent = new Agent({ keepAlive: true, maxSockets: CONCURRENCY, maxFreeSockets: CONCURRENCY });
  let cursor = 0;
  const take = (count: number) => interactions.slice(cursor, (cursor += count));
  if (WARMUP > 0) {
    await loginRun(login, agent, take(WARMUP), CONCURRENCY);
    await verifyRun(argon2, WARMUP, CONCURRENCY);
  }

  let profileDir: string | undefined;
  if (args.profile) {
    profileDir = args['profile-dir'] ?? join(tmpdir(), `portcullis-login-bench-${Date.now()}`);
    await mkdir(profileDir, { recursive: true });
    const started = awaitReply(login, 'profiled');
    login.send({ type: 'profile-start' });
    await started;
  }

  const results = new Map<Target['key'], RunResult[]>([['login', []], ['argon2', []]]);
  console.log('\nrounds (logins or verifies per second):');
  for (let round = 0; round < ROUNDS; round++) {
    const size = Math.floor(REQUESTS / ROUNDS) + (round < REQUESTS % ROUNDS ? 1 : 0);
    const order = round % 2 === 0 ? [login, argon2] : [argon2, login];
    const line: string[] = [];
    for (const target of order) {
      const result = target.key === 'login' ? await loginRun(target, agent, take(size), CONCURRENCY) : await verifyRun(target, size, CONCURRENCY);
      results.get(target.key)!.push(result);
      line.push(`${target.key} ${rate(result).toFixed(1).padStart(6)}/s`);
    }
    console.log(`  round ${String(round + 1).padStart(2)} (${order.map((target) => (target.key === 'login' ? 'A' : 'B')).join(' ')}, ${size} each): ${line.join('   ')}`);
  }
  agent.destroy();
  let profilePath: string | undefined;
  if (profileDir) {
    const written = awaitReply(login, 'profiled');
    login.send({ type: 'profile-stop', path: join(profileDir, 'login.cpuprofile') });
    profilePath = (await written).path;
  }

  const a = combine(results.get('login')!);
  const b = combine(results.get('argon2')!);
  const row = (label: string, stats: ReturnType<typeof combine>) =>
    `  ${label.padEnd(8)} median ${stats.median.toFixed(1).padStart(6)}/s   rounds ${stats.perRound.map((value) => value.toFixed(1)).join(' / ')}   ` +
    `p50 ${stats.p50.toFixed(1)} ms   p99 ${stats.p99.toFixed(1)} ms`;
  const cpuRow = (label: string, stats: ReturnType<typeof combine>) =>
    `  ${label.padEnd(8)} CPU ms/op: target process ${(stats.cpuPerOperation / 1000).toFixed(1)}   load generator ${(stats.generatorCpuPerOperation / 1000).toFixed(2)}` +
    `   whole host ${Number.isNaN(stats.hostBusyPerOperation) ? 'n/a' : stats.hostBusyPerOperation.toFixed(1)} (PostgreSQL, Redis, kernel and any other work included)`;
  console.log('\nresults (measured rounds only):');
  console.log(row('login', a));
  console.log(row('argon2', b));
  console.log(cpuRow('login', a));
  console.log(cpuRow('argon2', b));
  const ratio = a.median / b.median;
  const paired = a.perRound.map((value, round) => value / b.perRound[round]!);
  console.log(`\n  ratio = login / argon2 = ${ratio.toFixed(3)} (medians ${a.median.toFixed(1)} / ${b.median.toFixed(1)} per s)`);
  console.log(`  paired rounds: median ${median(paired).toFixed(3)} (${paired.map((value) => value.toFixed(3)).join(' ')})`);
  console.log(`  target CPU per login / per verify: ${(a.cpuPerOperation / b.cpuPerOperation).toFixed(2)}x (both processes, argon2 threads included)`);
  const [load1] = loadavg();
  if (load1! > availableParallelism() + 0.5) {
    console.log(`  warning: host load average ${load1!.toFixed(1)} exceeds its ${availableParallelism()} CPUs: other work is competing, figures are noisy`);
  }
  if (args.profile) console.log('  (CPU profiler attached to the login target: its throughput figures of this run are depressed)');
  console.log(`  target >= ${TARGET_RATIO.toFixed(2)}: ${ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'}`);
  if (profilePath) {
    const profile = JSON.parse(await readFile(profilePath, 'utf8')) as CpuProfile;
    const busy = busyTimeMs(profile);
    console.log(`\n${formatSummary(`${login.info.name}, main thread (${profilePath})`, summariseProfile(profile), busy)}`);
    console.log(`  on-CPU time of the main thread per measured login: ${((busy / a.operations) * 1000).toFixed(0)} µs`);
  }
  return 0;
}

process.once('SIGINT', () => {
  console.error('login-throughput: interrupted, stopping the targets');
  void stopTargets().finally(() => process.exit(130));
});

const deadline = setTimeout(() => {
  console.error(`login-throughput: hard timeout of ${HARD_TIMEOUT_MS / 1000} s reached, stopping the targets`);
  void stopTargets().finally(() => process.exit(1));
}, HARD_TIMEOUT_MS);

main().then(
  async (code) => {
    await stopTargets();
    clearTimeout(deadline);
    process.exit(code);
  },
  async (error: unknown) => {
    console.error('login-throughput failed:', error instanceof Error ? error.message : error);
    await stopTargets();
    clearTimeout(deadline);
    process.exit(1);
  },
);
