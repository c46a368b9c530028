// Login throughput of Portcullis, measured side by side in one run against a baseline: by default
// the pure argon2id verify rate at the same parameters (a login must cost little beyond its password
// hash: login / argon2 >= 0.90), or with `--baseline floor` the floor target, the least work any
// login with Portcullis' guarantees must do (Portcullis must come close to it: Portcullis / floor
// >= 0.95).
//
//   node scripts/bench/login-throughput.ts [--baseline argon2|floor] [--login-target portcullis|floor]
//                                          [--requests N] [--concurrency C] [--warmup W] [--rounds R]
//                                          [--log-level L] [--profile [--profile-dir DIR]]
//   npm run bench:login -- [same flags]
//
//   --baseline B      what target A is compared with, as target B (default argon2):
//                       argon2  bare argon2id verifies of A's stored hash; target A / B >= 0.90
//                       floor   scripts/bench/floor-target.ts logging in exactly as A does, with
//                               interactions of its own; target Portcullis / floor >= 0.95
//   --login-target T  target A, what logs in (default portcullis): `floor` measures the floor itself
//                     against argon2 (the ratio this host allows any implementation); not with
//                     `--baseline floor`
//   --requests N      measured operations per target (default 800), split over the rounds
//   --concurrency C   logins (verifies) in flight at once, over C keep-alive connections (default 4:
//                     the argon2 work is CPU-bound, and this host has 2 cores)
//   --warmup W        unmeasured operations per target before the first round (default 80)
//   --rounds R        measured rounds per target, run A B | B A | A B ... so drift cancels (default 4)
//   --log-level L     Portcullis log level (default silent; `info` logs each request to /dev/null)
//   --profile         also record a V8 CPU profile of each login target's main thread during the
//                     measured rounds (argon2 runs on the threadpool, outside it), print where the
//                     JavaScript time of a login went (with `--baseline floor`: per package, side by
//                     side with the floor's), and keep the .cpuprofile files (the profiler slows the
//                     login targets: read throughput from a run without it)
//
// Targets, each a child process of its own, so all run with the same libuv threadpool size
// (UV_THREADPOOL_SIZE, inherited; argon2 runs there) and none shares an event loop with the load
// generator, which runs here:
//   portcullis  (scripts/bench/login-target.ts) Portcullis on PostgreSQL + Redis: an isolated,
//      migrated database and Redis prefix made by the test helpers (DATABASE_URL / REDIS_URL or
//      TEST_* as in test/helpers/stores.ts, default 127.0.0.1), 64 users (bench-users.ts: the
//      fixtures' password, each with its own argon2id hash at the default parameters) and one
//      authorization-code client; the rate limits and login failure ceilings raised out of the way
//      (RATE_LIMIT_IP_PER_MINUTE, RATE_LIMIT_FORM_PER_MINUTE, LOGIN_IP_FAILURES_PER_HOUR,
//      LOGIN_PAIR_FAILURES_PER_HOUR).
//   floor  (scripts/bench/floor-target.ts) the same stores, setup and users on bare node:http: per
//      login the Redis interaction read and write, the lockout's two statements, argon2id and the
//      audit writer, and nothing else.
//   argon2  (login-target.ts) argon2id verify (verifyPassword of src/accounts/passwords.ts) of target
//      A's first user's stored hash with the same password, C at a time, on request over IPC.
// Before any timing, W + N interactions are prepared for each login target (GET /auth with PKCE,
// then the login page at /interaction/:uid, keeping each interaction's cookies; the floor answers
// both with the least it can); then each is used for exactly one POST /interaction/:uid/login with
// the right password, the users taking turns. The 303 to /auth/:uid (resume) is the success signal
// and is not followed; any other answer fails the run. Every target gets its W unmeasured operations
// before the first measured round.
// Printed: per-round rates, the median rate of each target, where the host's CPU went per operation
// of each (the target's main thread and its other threads, PostgreSQL, Redis, the load generator,
// the rest), ratio = median rate of A / median rate of B, the paired per-round ratios, and
// `target >= 0.90|0.95: PASS|FAIL`. The load generator writes requests serialised before timing
// (raw-http.ts), so that it takes as little of the shared CPUs as it can. Everything listens on
// 127.0.0.1 only. The run is bounded: at most 120 s, or 180 s against the floor (twice the logins:
// about 30 s on an idle 2-core host, over 110 s on one other benchmarks load five times over), then
// it stops the targets (which drop their databases) and exits non-zero; it also exits non-zero on
// any failed login or verify. A ratio below target is reported, not an error.
//
// Reading the figures. When both targets keep the CPUs busy, the ratio is (host CPU per B operation)
// / (host CPU per A operation), so everything a login does besides its hash counts, wherever it
// runs. Against argon2 at 0.90 that is about 2.5 ms per login on this 2-core host, for the HTTP
// request, the interaction's two Redis round trips, the lockout's two statements and the audit;
// against the floor at 0.95 it is about 1 ms per login beyond what the floor does. argon2id is
// memory-hard on purpose: four hashes in flight stream 4 x 19 MiB through a 32 MiB L3 cache, so all
// other work runs with cold caches and costs about twice what it costs alone (the lockout's first
// statement: 0.16 ms of PostgreSQL CPU alone, 0.31 ms with argon2 running beside it). The host is
// shared: a round disturbed by other work shows in the paired ratios and in the load warning, and
// the PostgreSQL, Redis and rest-of-host figures count every such process on the host (another
// benchmark's database too); the target process' own CPU per operation is the figure such work
// disturbs least.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measure, warnIfHostBusy, type RoundCost } from './bench-cpu.ts';
import { HARD_TIMEOUT_MS as HARD_TIMEOUT_ARGON2_MS, runBenchmark, startTarget, type Target } from './bench-harness.ts';
import { KeepAliveClient } from './bench-http.ts';
import { RawConnection, serialiseRequest } from './raw-http.ts';
import { alternatingRounds, inParallel } from './bench-load.ts';
import { benchOptions, loadSizes } from './bench-options.ts';
import { combine, median, pairedRatios, perOperation, rate, type RoundResult } from './bench-stats.ts';
import { busyTimeMs, formatPackageDiff, formatSummary, summariseProfile, type CpuProfile, type ProfileSummary } from './cpu-profile.ts';
import type { ParentMessage, TargetMessage } from './target-ipc.ts';
import type { LoginParentMessage, LoginTargetInfo, LoginTargetMessage } from './login-target.ts';
import { CookieJar } from '../../test/helpers/cookie-jar.ts';

const REDIRECT_URI = 'http://127.0.0.1:8080/callback'; // what createTestClient registers
/** Longer than token-throughput's 10 s: a login waits for its argon2id hash behind the others in flight. */
const REQUEST_TIMEOUT_MS = 15_000;

const { values: args } = parseArgs({
  options: {
    ...benchOptions({ requests: 800, concurrency: 4, warmup: 80 }),
    baseline: { type: 'string', default: 'argon2' },
    'login-target': { type: 'string', default: 'portcullis' },
  },
  strict: true,
});
const { requests: REQUESTS, concurrency: CONCURRENCY, warmup: WARMUP, rounds: ROUNDS } = loadSizes(args);

/** The targets a run may have; A logs in over HTTP, B is the baseline it is compared with. */
type TargetKey = 'portcullis' | 'floor' | 'argon2';
/** Each target's child process (the argon2 verifier is a mode of login-target.ts). */
const TARGET_FILES: Record<TargetKey, string> = {
  portcullis: './login-target.ts',
  floor: './floor-target.ts',
  argon2: './login-target.ts',
};
/**
 * How close A must come to B. Against bare argon2id a login may add its HTTP, store and audit work
 * (about 2.5 ms of host CPU on 2 cores); against the floor, which does that work too, only the
 * framework, provider and page work Portcullis adds beyond it.
 */
const TARGET_RATIOS: Record<'argon2' | 'floor', number> = { argon2: 0.9, floor: 0.95 };

/** A flag's value, one of `allowed`; anything else is a usage error (exit 2, before any target starts). */
function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if ((allowed as readonly string[]).includes(value)) return value as T;
  console.error(`--${flag} must be ${allowed.join(' or ')} (got ${value})`);
  process.exit(2);
}
const BASELINE = oneOf('baseline', args.baseline, ['argon2', 'floor'] as const);
const LOGIN_TARGET = oneOf('login-target', args['login-target'], ['portcullis', 'floor'] as const);
if (BASELINE === 'floor' && LOGIN_TARGET === 'floor') {
  console.error('--baseline floor compares Portcullis with the floor: --login-target must be portcullis');
  process.exit(2);
}
const TARGET_RATIO = TARGET_RATIOS[BASELINE];

type LoginTarget = Target<TargetKey, LoginTargetInfo, TargetMessage | LoginTargetMessage, ParentMessage | LoginParentMessage>;

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

/** One side of the comparison: its target, and for a login target the interactions it logs in with. */
interface Side {
  label: 'A' | 'B';
  target: LoginTarget;
  /** undefined for the argon2 verifier, which takes no HTTP requests */
  interactions: Interaction[] | undefined;
  /** how many of `interactions` are used up */
  used: number;
}

/** `count` operations on one side: logins with its next unused interactions, or verifies. The one load loop. */
async function runOn(side: Side, count: number): Promise<RunResult> {
  if (!side.interactions) return verifyRun(side.target, count, CONCURRENCY);
  const batch = side.interactions.slice(side.used, (side.used += count));
  if (batch.length < count) throw new Error(`${side.target.key}: only ${batch.length} of ${count} prepared interactions left`);
  return loginRun(side.target, batch, CONCURRENCY);
}

async function main(): Promise<number> {
  const threadpool = process.env.UV_THREADPOOL_SIZE ?? '4 (default)';
  console.log(
    `login-throughput: POST /interaction/:uid/login (right password), ${LOGIN_TARGET} vs ${BASELINE === 'floor' ? 'the floor' : 'argon2id verify'}, ` +
      `${REQUESTS} measured per target in ${ROUNDS} round(s) after ${WARMUP} warm-up, ` +
      `concurrency ${CONCURRENCY}, UV_THREADPOOL_SIZE ${threadpool}, ${availableParallelism()} CPUs, Node ${process.version}`,
  );
  const startLogin = (key: 'portcullis' | 'floor') =>
    startTarget<LoginTarget>(key, TARGET_FILES[key], {
      env: { BENCH_LOGIN_TARGET: 'portcullis', BENCH_LOG_LEVEL: args['log-level'] },
      quietStdout: args['log-level'] !== 'silent',
      asServer: key === 'portcullis',
    });
  // One after the other: each migrates a database of its own, and the argon2 verifier needs A's hash.
  const login = await startLogin(LOGIN_TARGET);
  const baseline =
    BASELINE === 'floor'
      ? await startLogin('floor')
      : await startTarget<LoginTarget>('argon2', TARGET_FILES.argon2, {
          env: { BENCH_LOGIN_TARGET: 'argon2', BENCH_PASSWORD_HASH: login.info.passwordHash, BENCH_PASSWORD: login.info.password },
        });
  const sides: [Side, Side] = [
    { label: 'A', target: login, interactions: undefined, used: 0 },
    { label: 'B', target: baseline, interactions: undefined, used: 0 },
  ];
  for (const { label, target } of sides) {
    const at = target.info.issuer ? ` at ${target.info.issuer}, ${target.info.emails!.length} users logging in in turn` : '';
    const hash = target.key === 'argon2' ? `, the stored hash of A's first user (${target.info.passwordHash.slice(0, 32)}…)` : '';
    console.log(`  ${label} ${target.key.padEnd(10)} ${target.info.name}${at}${hash}`);
  }

  for (const side of sides) {
    if (side.target.key === 'argon2') continue;
    const started = performance.now();
    side.interactions = await prepareInteractions(side.target.info, WARMUP + REQUESTS, CONCURRENCY);
    console.log(
      `  prepared ${side.interactions.length} ${side.target.key} interactions in ${((performance.now() - started) / 1000).toFixed(1)} s (not measured)`,
    );
  }

  if (WARMUP > 0) for (const side of sides) await runOn(side, WARMUP);

  // Every login target is profiled (the argon2 verifier runs no JavaScript worth a profile): with
  // two, their per-package costs are set side by side.
  const profiled = sides.filter((side) => side.interactions);
  let profileDir: string | undefined;
  if (args.profile) {
    profileDir = args['profile-dir'] ?? join(tmpdir(), `portcullis-login-bench-${Date.now()}`);
    await mkdir(profileDir, { recursive: true });
    for (const side of profiled) await side.target.request({ type: 'profile-start' }, 'profiled');
  }

  const results = new Map<TargetKey, RunResult[]>(sides.map((side) => [side.target.key, []]));
  console.log(`\nrounds (${BASELINE === 'floor' ? 'logins' : 'logins or verifies'} per second):`);
  for (const { round, size, order } of alternatingRounds(REQUESTS, ROUNDS, sides)) {
    const line: string[] = [];
    for (const side of order) {
      const result = await runOn(side, size);
      results.get(side.target.key)!.push(result);
      line.push(`${side.target.key} ${rate(result).toFixed(1).padStart(6)}/s`);
    }
    console.log(
      `  round ${String(round + 1).padStart(2)} (${order.map((side) => side.label).join(' ')}, ${size} each): ${line.join('   ')}`,
    );
  }
  const profilePaths = new Map<TargetKey, string>();
  if (profileDir) {
    for (const { target } of profiled) {
      const { path } = await target.request({ type: 'profile-stop', path: join(profileDir, `${target.key}.cpuprofile`) }, 'profiled');
      if (path) profilePaths.set(target.key, path);
    }
  }

  const [a, b] = sides.map((side) => summarise(results.get(side.target.key)!)) as [Summary, Summary];
  const [keyA, keyB] = [login.key, baseline.key];
  const width = Math.max(keyA.length, keyB.length) + 1;
  const row = (label: string, stats: Summary) =>
    `  ${label.padEnd(width)} median ${stats.medianRate.toFixed(1).padStart(6)}/s   rounds ${stats.perRound.map((value) => value.toFixed(1)).join(' / ')}   ` +
    `p50 ${stats.p50.toFixed(1)} ms   p99 ${stats.p99.toFixed(1)} ms`;
  const cpuRow = (label: string, stats: Summary) =>
    `  ${label.padEnd(width)} CPU ms/op: whole host ${Number.isNaN(stats.hostBusyPerOperation) ? 'n/a' : stats.hostBusyPerOperation.toFixed(1)} = ${cpuBreakdown(stats)}`;
  console.log('\nresults (measured rounds only):');
  console.log(row(keyA, a));
  console.log(row(keyB, b));
  console.log(cpuRow(keyA, a));
  console.log(cpuRow(keyB, b));
  const ratio = a.medianRate / b.medianRate;
  const paired = pairedRatios(a.perRound, b.perRound);
  console.log(
    `\n  ratio = ${keyA} / ${keyB} = ${ratio.toFixed(3)} (medians ${a.medianRate.toFixed(1)} / ${b.medianRate.toFixed(1)} per s)`,
  );
  console.log(`  paired rounds: median ${median(paired).toFixed(3)} (${paired.map((value) => value.toFixed(3)).join(' ')})`);
  console.log(
    `  target process CPU per ${keyA} op / per ${keyB} op: ${(a.cpuPerOperation / b.cpuPerOperation).toFixed(2)}x (argon2 threads included)`,
  );
  const budget = b.hostBusyPerOperation / TARGET_RATIO - b.hostBusyPerOperation;
  console.log(
    `  host CPU per ${keyA} login beyond one ${keyB} ${BASELINE === 'floor' ? 'login' : 'verify'}: ` +
      `${(a.hostBusyPerOperation - b.hostBusyPerOperation).toFixed(2)} ms; the target allows ${budget.toFixed(2)} ms`,
  );
  warnIfHostBusy(0.5);
  if (args.profile) console.log('  (CPU profiler attached to the login target(s): the throughput figures of this run are depressed)');
  console.log(`  target >= ${TARGET_RATIO.toFixed(2)}: ${ratio >= TARGET_RATIO ? 'PASS' : 'FAIL'}`);

  const summaries: { name: string; summary: ProfileSummary; requests: number }[] = [];
  for (const side of profiled) {
    const path = profilePaths.get(side.target.key);
    if (!path) continue;
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
    const busy = busyTimeMs(profile);
    const summary = summariseProfile(profile);
    const logins = summarise(results.get(side.target.key)!).operations;
    console.log(`\n${formatSummary(`${side.target.info.name}, main thread (${path})`, summary, busy)}`);
    console.log(`  on-CPU time of the main thread per measured login: ${((busy / logins) * 1000).toFixed(0)} µs`);
    summaries.push({ name: side.target.key, summary, requests: logins });
  }
  if (summaries.length === 2) console.log(`\n${formatPackageDiff(summaries[0]!, summaries[1]!, 20)}`);
  return 0;
}

/**
 * Against argon2 the harness' 120 s. Against the floor a run makes twice as many logins (each target
 * its W + N, and as many interactions prepared): about 30 s on an idle 2-core host, but over 110 s
 * when other benchmarks load it five times over, which 120 s cut off just as the targets stopped.
 */
const HARD_TIMEOUT_MS = BASELINE === 'floor' ? 180_000 : HARD_TIMEOUT_ARGON2_MS;

runBenchmark('login-throughput', main, HARD_TIMEOUT_MS);
