// Login throughput of Portcullis against the pure argon2id verify rate at the same parameters,
// measured side by side in one run. A login must cost little beyond its password hash: target
// login / argon2 >= 0.90.
//
//   node scripts/bench/login-throughput.ts [--requests N] [--concurrency C] [--warmup W]
//                                          [--rounds R] [--log-level L] [--login-target portcullis|floor]
//                                          [--profile [--profile-dir DIR]]
//   npm run bench:login -- [same flags]
//
//   --requests N      measured logins, and as many measured verifies, per target (default 800),
//                     split over the rounds
//   --concurrency C   logins (verifies) in flight at once, over C keep-alive connections (default 4:
//                     the argon2 work is CPU-bound, and this host has 2 cores)
//   --warmup W        unmeasured logins (verifies) per target before the first round (default 80)
//   --rounds R        measured rounds per target, run A B | B A | A B ... so drift cancels (default 4)
//   --log-level L     Portcullis log level (default silent; `info` logs each request to /dev/null)
//   --login-target T  what logs in (default portcullis): `floor` is scripts/bench/floor-target.ts,
//                     the least work any login with Portcullis' guarantees must do (Redis
//                     interaction, the lockout statements, argon2id, the audit writer) on bare
//                     node:http; its ratio is the ceiling this host allows any implementation
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
// Printed: per-round rates, the median rate of each target, where the host's CPU went per login and
// per verify (the target's main thread and its other threads, PostgreSQL, Redis, the load
// generator, the rest), ratio = median login rate / median verify rate, `target >= 0.90: PASS|FAIL`.
// The load generator writes requests serialised before timing (raw-http.ts), so that it takes as
// little of the shared CPUs as it can. Everything listens on 127.0.0.1 only. The run is bounded:
// at most 120 s, then it stops the targets (which drop their database) and exits non-zero; it also
// exits non-zero on any failed login or verify. A ratio below target is reported, not an error.
//
// Reading the figures. When both targets keep the CPUs busy, the ratio is (host CPU per verify) /
// (host CPU per login), so everything a login does besides its hash counts, wherever it runs: at
// 0.90 that is about 2.5 ms per login on this 2-core host, for the HTTP request, the interaction's
// two Redis round trips, the lockout's two statements and the audit. argon2id is memory-hard on
// purpose: four hashes in flight stream 4 x 19 MiB through a 32 MiB L3 cache, so all other work runs
// with cold caches and costs about twice what it costs alone (the lockout's first statement: 0.16
// ms of PostgreSQL CPU alone, 0.31 ms with argon2 running beside it). `--login-target floor` shows
// how close any implementation with the same guarantees can get on the same host.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measure, warnIfHostBusy, type RoundCost } from './bench-cpu.ts';
import { runBenchmark, startTarget, type Target } from './bench-harness.ts';
import { KeepAliveClient } from './bench-http.ts';
import { RawConnection, serialiseRequest } from './raw-http.ts';
import { alternatingRounds, inParallel } from './bench-load.ts';
import { benchOptions, loadSizes } from './bench-options.ts';
import { combine, median, pairedRatios, perOperation, rate, type RoundResult } from './bench-stats.ts';
import { busyTimeMs, formatSummary, summariseProfile, type CpuProfile } from './cpu-profile.ts';
import type { ParentMessage, TargetMessage } from './target-ipc.ts';
import type { LoginParentMessage, LoginTargetInfo, LoginTargetMessage } from './login-target.ts';
import { CookieJar } from '../../test/helpers/cookie-jar.ts';

const TARGET_RATIO = 0.9;
const REDIRECT_URI = 'http://127.0.0.1:8080/callback'; // what createTestClient registers
/** Longer than token-throughput's 10 s: a login waits for its argon2id hash behind the others in flight. */
const REQUEST_TIMEOUT_MS = 15_000;

const { values: args } = parseArgs({
  options: { ...benchOptions({ requests: 800, concurrency: 4, warmup: 80 }), 'login-target': { type: 'string', default: 'portcullis' } },
  strict: true,
});
const { requests: REQUESTS, concurrency: CONCURRENCY, warmup: WARMUP, rounds: ROUNDS } = loadSizes(args);
/** What logs in: Portcullis, or the floor (the least work a login with its guarantees must do). */
const LOGIN_TARGET_FILES: Record<string, string> = { portcullis: './login-target.ts', floor: './floor-target.ts' };
if (!LOGIN_TARGET_FILES[args['login-target']]) {
  console.error(`--login-target must be portcullis or floor (got ${args['login-target']})`);
  process.exit(2);
}

type LoginTarget = Target<'login' | 'argon2', LoginTargetInfo, TargetMessage | LoginTargetMessage, ParentMessage | LoginParentMessage>;

// --- interactions, each with its own cookies ----------------------------------------------------

interface Interaction {
  loginUrl: URL;
  cookie: string;
}

/** GET /auth (code + PKCE) → 303 to /interaction/:uid → the login page; nothing here is timed. */
async function prepareInteraction(client: KeepAliveClient, info: LoginTargetInfo): Promise<Interaction> {
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
  const authorize = await client.send('GET', new URL(`/auth?${query.toString()}`, issuer), {});
  jar.store(authorize.headers['set-cookie'] ?? []);
  const location = authorize.headers.location;
  if (authorize.status !== 303 && authorize.status !== 302)
    throw new Error(`GET /auth: HTTP ${authorize.status} ${authorize.body.slice(0, 300)}`);
  if (!location?.includes('/interaction/')) throw new Error(`GET /auth redirected to ${String(location)}, not to an interaction`);
  const pageUrl = new URL(location, issuer);
  const page = await client.send('GET', pageUrl, { cookie: jar.header });
  jar.store(page.headers['set-cookie'] ?? []);
  const action = /<form method="post" action="([^"]+\/login)"/.exec(page.body)?.[1];
  if (page.status !== 200 || !action)
    throw new Error(`GET ${pageUrl.pathname}: HTTP ${page.status}, no login form: ${page.body.slice(0, 300)}`);
  return { loginUrl: new URL(action.replaceAll('&amp;', '&'), issuer), cookie: jar.header };
}

async function prepareInteractions(info: LoginTargetInfo, count: number, concurrency: number): Promise<Interaction[]> {
  const client = new KeepAliveClient(concurrency, REQUEST_TIMEOUT_MS);
  const interactions: Interaction[] = [];
  try {
    await inParallel(count, concurrency, async () => {
      interactions.push(await prepareInteraction(client, info));
    });
  } finally {
    client.close();
  }
  return interactions;
}

// --- load ---------------------------------------------------------------------------------------

type RunResult = RoundResult & RoundCost;

/**
 * Timed: POST /interaction/:uid/login with the right password, each interaction once, C at a time,
 * over C fresh keep-alive connections (opened before the clock starts, so a connection the target
 * closed while idle between rounds is never reused). Every request is serialised before timing.
 */
async function loginRun(target: LoginTarget, interactions: Interaction[], concurrency: number): Promise<RunResult> {
  const { emails, password, issuer } = target.info;
  const requests = interactions.map((interaction, index) =>
    serialiseRequest(
      'POST',
      interaction.loginUrl,
      {
        'content-type': 'application/x-www-form-urlencoded',
        origin: issuer!,
        cookie: interaction.cookie,
      },
      new URLSearchParams({ email: emails![index % emails!.length]!, password }).toString(),
    ),
  );
  const idle = await Promise.all(
    Array.from({ length: Math.min(concurrency, requests.length) }, () => RawConnection.open(new URL(issuer!), REQUEST_TIMEOUT_MS)),
  );
  const latenciesMs: number[] = [];
  let ok = 0;
  const login = async (index: number) => {
    const connection = idle.pop()!; // at most C logins run at once: one is always free
    const started = performance.now();
    const reply = await connection.send(requests[index]!);
    latenciesMs.push(performance.now() - started);
    idle.push(connection);
    if (reply.status !== 303 || !reply.headers.location?.includes('/auth/')) {
      throw new Error(`login failed: HTTP ${reply.status} (location ${String(reply.headers.location)}) ${reply.body.slice(0, 300)}`);
    }
    ok++;
  };
  try {
    const { cost } = await measure(target, () => inParallel(requests.length, concurrency, login));
    return { operations: ok, ...cost, latenciesMs };
  } finally {
    for (const connection of idle) connection.close();
  }
}

/** Timed: `count` argon2id verifies in the argon2 target, C at a time. */
async function verifyRun(target: LoginTarget, count: number, concurrency: number): Promise<RunResult> {
  const { value: reply, cost } = await measure(target, () => target.request({ type: 'verify', count, concurrency }, 'verified'));
  if (reply.failed > 0) throw new Error(`${reply.failed} of ${count} argon2 verifies failed`);
  return { operations: reply.ok, ...cost, latenciesMs: reply.latenciesMs };
}

// --- main ---------------------------------------------------------------------------------------

/** All measured rounds of one target, with the CPU the load generator and the whole host spent per operation. */
const summarise = (results: RunResult[]) => ({
  ...combine(results),
  mainThreadCpuPerOperation: perOperation(results, (result) => result.mainThreadCpuMicros),
  generatorCpuPerOperation: perOperation(results, (result) => result.generatorCpuMicros),
  postgresBusyPerOperation: perOperation(results, (result) => result.services.postgresMs),
  redisBusyPerOperation: perOperation(results, (result) => result.services.redisMs),
  hostBusyPerOperation: perOperation(results, (result) => result.hostBusyMs),
});

type Summary = ReturnType<typeof summarise>;

/**
 * Where the host's CPU went per operation, ms: the target's main thread, its other threads (argon2
 * on the threadpool, V8's helpers), PostgreSQL, Redis, the load generator, and the rest of the
 * host (the kernel's work outside those processes, such as loopback traffic, and anything else).
 */
function cpuBreakdown(stats: Summary): string {
  const ms = (micros: number) => micros / 1000;
  const process = ms(stats.cpuPerOperation);
  const generator = ms(stats.generatorCpuPerOperation);
  const parts: [string, number][] = [
    ['main thread', ms(stats.mainThreadCpuPerOperation)],
    ['other threads', process - ms(stats.mainThreadCpuPerOperation)],
    ['PostgreSQL', stats.postgresBusyPerOperation],
    ['Redis', stats.redisBusyPerOperation],
    ['load generator', generator],
    ['rest of host', stats.hostBusyPerOperation - process - generator - stats.postgresBusyPerOperation - stats.redisBusyPerOperation],
  ];
  return parts.map(([label, value]) => `${label} ${Number.isNaN(value) ? 'n/a' : value.toFixed(2)}`).join('   ');
}

async function main(): Promise<number> {
  const threadpool = process.env.UV_THREADPOOL_SIZE ?? '4 (default)';
  console.log(
    `login-throughput: POST /interaction/:uid/login (right password) vs argon2id verify, ${REQUESTS} measured per target in ${ROUNDS} round(s) after ${WARMUP} warm-up, ` +
      `concurrency ${CONCURRENCY}, UV_THREADPOOL_SIZE ${threadpool}, ${availableParallelism()} CPUs, Node ${process.version}`,
  );
  const login = await startTarget<LoginTarget>('login', LOGIN_TARGET_FILES[args['login-target']]!, {
    env: { BENCH_LOGIN_TARGET: 'portcullis', BENCH_LOG_LEVEL: args['log-level'] },
    quietStdout: args['log-level'] !== 'silent',
  });
  const argon2 = await startTarget<LoginTarget>('argon2', './login-target.ts', {
    env: { BENCH_LOGIN_TARGET: 'argon2', BENCH_PASSWORD_HASH: login.info.passwordHash, BENCH_PASSWORD: login.info.password },
  });
  console.log(`  A login   ${login.info.name} at ${login.info.issuer}, ${login.info.emails!.length} users logging in in turn`);
  console.log(`  B argon2  ${argon2.info.name}, the same stored hash (${login.info.passwordHash.slice(0, 32)}…)`);

  const prepareStarted = performance.now();
  const interactions = await prepareInteractions(login.info, WARMUP + REQUESTS, CONCURRENCY);
  console.log(
    `  prepared ${interactions.length} interactions in ${((performance.now() - prepareStarted) / 1000).toFixed(1)} s (not measured)`,
  );

  let cursor = 0;
  const take = (count: number) => interactions.slice(cursor, (cursor += count));
  if (WARMUP > 0) {
    await loginRun(login, take(WARMUP), CONCURRENCY);
    await verifyRun(argon2, WARMUP, CONCURRENCY);
  }

  let profileDir: string | undefined;
  if (args.profile) {
    profileDir = args['profile-dir'] ?? join(tmpdir(), `portcullis-login-bench-${Date.now()}`);
    await mkdir(profileDir, { recursive: true });
    await login.request({ type: 'profile-start' }, 'profiled');
  }

  const results = new Map<LoginTarget['key'], RunResult[]>([
    ['login', []],
    ['argon2', []],
  ]);
  console.log('\nrounds (logins or verifies per second):');
  for (const { round, size, order } of alternatingRounds(REQUESTS, ROUNDS, [login, argon2])) {
    const line: string[] = [];
    for (const target of order) {
      const result = target.key === 'login' ? await loginRun(target, take(size), CONCURRENCY) : await verifyRun(target, size, CONCURRENCY);
      results.get(target.key)!.push(result);
      line.push(`${target.key} ${rate(result).toFixed(1).padStart(6)}/s`);
    }
    console.log(
      `  round ${String(round + 1).padStart(2)} (${order.map((target) => (target.key === 'login' ? 'A' : 'B')).join(' ')}, ${size} each): ${line.join('   ')}`,
    );
  }
  let profilePath: string | undefined;
  if (profileDir) {
    profilePath = (await login.request({ type: 'profile-stop', path: join(profileDir, 'login.cpuprofile') }, 'profiled')).path;
  }

  const a = summarise(results.get('login')!);
  const b = summarise(results.get('argon2')!);
  const row = (label: string, stats: Summary) =>
    `  ${label.padEnd(8)} median ${stats.medianRate.toFixed(1).padStart(6)}/s   rounds ${stats.perRound.map((value) => value.toFixed(1)).join(' / ')}   ` +
    `p50 ${stats.p50.toFixed(1)} ms   p99 ${stats.p99.toFixed(1)} ms`;
  const cpuRow = (label: string, stats: Summary) =>
    `  ${label.padEnd(8)} CPU ms/op: whole host ${Number.isNaN(stats.hostBusyPerOperation) ? 'n/a' : stats.hostBusyPerOperation.toFixed(1)} = ${cpuBreakdown(stats)}`;
  console.log('\nresults (measured rounds only):');
  console.log(row('login', a));
  console.log(row('argon2', b));
  console.log(cpuRow('login', a));
  console.log(cpuRow('argon2', b));
  const ratio = a.medianRate / b.medianRate;
  const paired = pairedRatios(a.perRound, b.perRound);
  console.log(`\n  ratio = login / argon2 = ${ratio.toFixed(3)} (medians ${a.medianRate.toFixed(1)} / ${b.medianRate.toFixed(1)} per s)`);
  console.log(`  paired rounds: median ${median(paired).toFixed(3)} (${paired.map((value) => value.toFixed(3)).join(' ')})`);
  console.log(
    `  target CPU per login / per verify: ${(a.cpuPerOperation / b.cpuPerOperation).toFixed(2)}x (both processes, argon2 threads included)`,
  );
  const budget = b.hostBusyPerOperation / TARGET_RATIO - b.hostBusyPerOperation;
  console.log(
    `  host CPU per login beyond a verify: ${(a.hostBusyPerOperation - b.hostBusyPerOperation).toFixed(2)} ms; the target allows ${budget.toFixed(2)} ms`,
  );
  warnIfHostBusy(0.5);
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

runBenchmark('login-throughput', main);
