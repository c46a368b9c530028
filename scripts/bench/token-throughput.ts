// Client-credentials token throughput, Portcullis vs a bare oidc-provider, measured side by side
// in one run.
//
//   node scripts/bench/token-throughput.ts [--requests N] [--concurrency C] [--warmup W]
//                                          [--rounds R] [--profile [--profile-dir DIR]] [--log-level L]
//
//   --requests N      measured requests per target (default 3000), split over the rounds
//   --concurrency C   requests in flight at once, over C keep-alive connections (default 32)
//   --warmup W        unmeasured requests per target before the first round, so both are JIT-warm
//                     (default 1000)
//   --rounds R        measured rounds per target, run A B | B A | A B ... so drift cancels (default 4)
//   --profile         also record a CPU profile of each target during the measured rounds, print
//                     where the time went, and keep the .cpuprofile files (the profiler slows both
//                     targets: read throughput from a run without it)
//   --baseline B      what Portcullis is compared with: `bare` (default; a bare oidc-provider, target
//                     >= 0.80x) or `audit-off` (the same Portcullis without its audit trail, target
//                     >= 0.90x: recording must not slow the token path)
//   --log-level L     Portcullis log level (default silent, like the bare library which logs nothing;
//                     `info` writes one JSON line per request, as in production, to /dev/null)
//
// Targets, each a child process of its own (they never share an event loop with each other or with
// the load generator, which runs here):
//   A  Portcullis on PostgreSQL + Redis: an isolated, migrated database and Redis prefix made by the
//      test helpers (DATABASE_URL / REDIS_URL or TEST_* as in test/helpers/stores.ts, default
//      127.0.0.1), one resource server and one client_secret_basic service client.
//   B  oidc-provider with its in-memory adapter, the same client and resource server.
// Both issue ES256-signed RFC 9068 JWT access tokens for https://api.example.com with scope `read`.
// Everything listens on 127.0.0.1 only. The run is bounded: at most 120 s, then it stops the targets
// (which drop their database) and exits non-zero.
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { mkdir, readFile } from 'node:fs/promises';
import { Agent, request } from 'node:http';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { busyTimeMs, formatPackageDiff, formatSummary, summariseProfile, type CpuProfile, type ProfileSummary } from './cpu-profile.ts';
import { BENCH_RESOURCE, BENCH_SCOPE, type ParentMessage, type TargetInfo, type TargetMessage } from './target-ipc.ts';

const HARD_TIMEOUT_MS = 120_000;

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '3000' },
    concurrency: { type: 'string', default: '32' },
    warmup: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '4' },
    profile: { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
    'log-level': { type: 'string', default: 'silent' },
    baseline: { type: 'string', default: 'bare' },
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
if (args.baseline !== 'bare' && args.baseline !== 'audit-off') {
  console.error(`--baseline must be bare or audit-off (got ${args.baseline})`);
  process.exit(2);
}
const AUDIT_BASELINE = args.baseline === 'audit-off';
const TARGET_RATIO = AUDIT_BASELINE ? 0.9 : 0.8;
const REQUESTS = positiveInt('requests', args.requests, 1);
const CONCURRENCY = positiveInt('concurrency', args.concurrency, 1);
const WARMUP = positiveInt('warmup', args.warmup, 0);
const ROUNDS = Math.min(positiveInt('rounds', args.rounds, 1), REQUESTS);

// --- targets ------------------------------------------------------------------------------------

interface Target {
  key: 'portcullis' | 'bare';
  info: TargetInfo;
  child: ChildProcess;
  send(message: ParentMessage): void;
}

const children: ChildProcess[] = [];

async function startTarget(key: Target['key'], file: string, env: Record<string, string> = {}, quietStdout = false): Promise<Target> {
  const child = fork(new URL(file, import.meta.url).pathname, [], {
    env: { ...process.env, ...env },
    // Request logs (--log-level info) are written, as in production, but to /dev/null.
    stdio: ['ignore', quietStdout ? 'ignore' : 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const ready = new Promise<TargetInfo>((resolve, reject) => {
    child.on('message', (message: TargetMessage) => {
      if (message.type === 'ready') resolve(message.target);
    });
    child.once('exit', (code) => reject(new Error(`${key} target exited (code ${code}) before it was ready`)));
  });
  const info = await ready;
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

function awaitReply<T extends TargetMessage['type']>(target: Target, type: T): Promise<Extract<TargetMessage, { type: T }>> {
  return new Promise((resolve) => {
    const listener = (message: TargetMessage) => {
      if (message.type !== type) return;
      target.child.off('message', listener);
      resolve(message as Extract<TargetMessage, { type: T }>);
    };
    target.child.on('message', listener);
  });
}

/** CPU time (user + system, µs) the target process has used so far. */
async function cpuMicros(target: Target): Promise<number> {
  const reply = awaitReply(target, 'cpu');
  target.send({ type: 'cpu' });
  return (await reply).micros;
}

// --- load ---------------------------------------------------------------------------------------

interface RunResult {
  requests: number;
  elapsedMs: number;
  /** CPU time the target process used during the run. */
  cpuMicros: number;
  latenciesMs: number[];
  failures: Map<string, number>;
}

interface Reply {
  status: number;
  body: string;
}

function post(agent: Agent, url: URL, headers: Record<string, string>, body: string): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { agent, host: url.hostname, port: url.port, path: url.pathname, method: 'POST', headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('request timed out after 10 s')));
    req.on('error', reject);
    req.end(body);
  });
}

function tokenRequester(target: TargetInfo, concurrency: number) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency, maxFreeSockets: concurrency });
  const url = new URL(target.tokenEndpoint);
  const credentials = `${encodeURIComponent(target.clientId)}:${encodeURIComponent(target.clientSecret)}`;
  const headers = {
    authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope: BENCH_SCOPE }).toString();
  return { send: () => post(agent, url, headers, body), close: () => agent.destroy() };
}

async function run(target: Target, requests: number, concurrency: number, requester: ReturnType<typeof tokenRequester>): Promise<RunResult> {
  const latenciesMs: number[] = [];
  const failures = new Map<string, number>();
  let issued = 0;
  const worker = async () => {
    while (issued < requests) {
      issued++;
      const started = performance.now();
      let problem: string | undefined;
      try {
        const reply = await requester.send();
        if (reply.status !== 200 || !reply.body.includes('"access_token"')) problem = `HTTP ${reply.status} ${reply.body.slice(0, 200)}`;
      } catch (error) {
        problem = (error as Error).message;
      }
      latenciesMs.push(performance.now() - started);
      if (problem) failures.set(problem, (failures.get(problem) ?? 0) + 1);
    }
  };
  const cpuBefore = await cpuMicros(target);
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, requests) }, worker));
  const elapsedMs = performance.now() - started;
  const cpuUsed = (await cpuMicros(target)) - cpuBefore;
  if (failures.size > 0) {
    const [first, count] = [...failures][0]!;
    console.error(`  ${target.info.name}: ${[...failures.values()].reduce((a, b) => a + b, 0)} failed requests, e.g. (${count}x) ${first}`);
  }
  return { requests, elapsedMs, cpuMicros: cpuUsed, latenciesMs, failures };
}

/** The first token of each target must be what we mean to compare: an ES256 RFC 9068 JWT for the API. */
async function checkToken(target: TargetInfo, requester: ReturnType<typeof tokenRequester>): Promise<string> {
  const reply = await requester.send();
  if (reply.status !== 200) throw new Error(`${target.name}: token request failed: HTTP ${reply.status} ${reply.body}`);
  const token = JSON.parse(reply.body) as { access_token: string; token_type: string; scope?: string };
  const [header, payload] = token.access_token.split('.').slice(0, 2).map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
  const problems = [
    header?.alg === 'ES256' ? '' : `alg ${String(header?.alg)}`,
    header?.typ === 'at+jwt' ? '' : `typ ${String(header?.typ)}`,
    [payload?.aud].flat().includes(BENCH_RESOURCE) ? '' : `aud ${JSON.stringify(payload?.aud)}`,
    payload?.scope === BENCH_SCOPE ? '' : `scope ${String(payload?.scope)}`,
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`${target.name}: unexpected access token (${problems.join(', ')})`);
  return `${String(header!.alg)} ${String(header!.typ)}, aud ${String(payload!.aud)}, scope ${String(payload!.scope)}, ${token.access_token.length} chars`;
}

// --- report -------------------------------------------------------------------------------------

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

function combine(results: RunResult[]) {
  const requests = results.reduce((sum, result) => sum + result.requests, 0);
  const elapsedMs = results.reduce((sum, result) => sum + result.elapsedMs, 0);
  const latencies = results.flatMap((result) => result.latenciesMs).sort((a, b) => a - b);
  const failed = results.reduce((sum, result) => sum + [...result.failures.values()].reduce((a, b) => a + b, 0), 0);
  return {
    requests,
    failed,
    rps: requests / (elapsedMs / 1000),
    cpuPerRequest: results.reduce((sum, result) => sum + result.cpuMicros, 0) / requests,
    perRound: results.map((result) => result.requests / (result.elapsedMs / 1000)),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
  };
}

// --- main ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  console.log(
    `token-throughput: client_credentials, ${REQUESTS} measured requests per target in ${ROUNDS} round(s) after ${WARMUP} warm-up, concurrency ${CONCURRENCY}, Node ${process.version}`,
  );
  const [portcullis, bare] = await Promise.all([
    startTarget('portcullis', './portcullis-target.ts', { BENCH_LOG_LEVEL: args['log-level'] }, args['log-level'] !== 'silent'),
    AUDIT_BASELINE
      ? startTarget('bare', './portcullis-target.ts', { BENCH_LOG_LEVEL: args['log-level'], BENCH_AUDIT: 'off' }, args['log-level'] !== 'silent')
      : startTarget('bare', './bare-target.ts'),
  ]);
  const targets = [portcullis, bare];
  const requesters = new Map(targets.map((target) => [target.key, tokenRequester(target.info, CONCURRENCY)]));

  for (const target of targets) {
    console.log(`  ${target.key.padEnd(10)} ${target.info.name} at ${target.info.issuer}: ${await checkToken(target.info, requesters.get(target.key)!)}`);
  }
  for (const target of targets) if (WARMUP > 0) await run(target, WARMUP, CONCURRENCY, requesters.get(target.key)!);

  let profileDir: string | undefined;
  if (args.profile) {
    profileDir = args['profile-dir'] ?? join(tmpdir(), `portcullis-bench-${Date.now()}`);
    await mkdir(profileDir, { recursive: true });
    await Promise.all(targets.map((target) => {
      const started = awaitReply(target, 'profiled');
      target.send({ type: 'profile-start' });
      return started;
    }));
  }

  const results = new Map<Target['key'], RunResult[]>(targets.map((target) => [target.key, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const size = Math.floor(REQUESTS / ROUNDS) + (round < REQUESTS % ROUNDS ? 1 : 0);
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const target of order) results.get(target.key)!.push(await run(target, size, CONCURRENCY, requesters.get(target.key)!));
  }

  const profiles = new Map<Target['key'], string | undefined>();
  if (profileDir) {
    for (const target of targets) {
      const written = awaitReply(target, 'profiled');
      target.send({ type: 'profile-stop', path: join(profileDir, `${target.key}.cpuprofile`) });
      profiles.set(target.key, (await written).path);
    }
  }
  for (const requester of requesters.values()) requester.close();

  const a = combine(results.get('portcullis')!);
  const b = combine(results.get('bare')!);
  const line = (label: string, stats: ReturnType<typeof combine>) =>
    `  ${label.padEnd(34)} ${stats.rps.toFixed(0).padStart(7)} req/s   p50 ${stats.p50.toFixed(1).padStart(6)} ms   p99 ${stats.p99.toFixed(1).padStart(6)} ms   CPU ${stats.cpuPerRequest.toFixed(0).padStart(5)} µs/req   rounds ${stats.perRound.map((rps) => rps.toFixed(0)).join(' / ')}${stats.failed ? `   FAILED ${stats.failed}` : ''}`;
  console.log('\nresults (measured rounds only):');
  console.log(line(portcullis.info.name, a));
  console.log(line(bare.info.name, b));
  const ratio = a.rps / b.rps;
  // Each round of A sits next to a round of B: their ratio is little disturbed by slow drift or by
  // other load on the host, and the median of those ratios ignores a round that was.
  const pairedRatios = a.perRound.map((rps, round) => rps / b.perRound[round]!);
  const median = (values: number[]) => {
    const sorted = [...values].sort((x, y) => x - y);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
  };
  const baselineName = AUDIT_BASELINE ? 'audit off' : 'bare';
  console.log(`\n  ratio Portcullis / ${baselineName}: ${ratio.toFixed(2)}x throughput (target >= ${TARGET_RATIO.toFixed(2)}x), ${(a.p50 / b.p50).toFixed(2)}x p50 latency`);
  console.log(
    `  paired rounds: median ${median(pairedRatios).toFixed(2)}x (${pairedRatios.map((value) => value.toFixed(2)).join(' ')})`,
  );
  console.log(`  CPU efficiency Portcullis / ${baselineName}: ${(b.cpuPerRequest / a.cpuPerRequest).toFixed(2)}x (requests per CPU-second of the target process)`);
  const [load1] = loadavg();
  if (load1! > availableParallelism()) {
    console.log(`  warning: host load average ${load1!.toFixed(1)} exceeds its ${availableParallelism()} CPUs: other work is competing, figures are noisy`);
  }
  if (args.profile) console.log('  (CPU profiler attached to both targets: throughput figures of this run are depressed)');

  const summaries = new Map<Target['key'], ProfileSummary>();
  for (const target of targets) {
    const path = profiles.get(target.key);
    if (!path) continue;
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
    const busy = busyTimeMs(profile);
    const summary = summariseProfile(profile);
    summaries.set(target.key, summary);
    console.log(`\n${formatSummary(`${target.info.name} (${path})`, summary, busy)}`);
    console.log(`  on-CPU time of the main thread per measured request: ${((busy / combine(results.get(target.key)!).requests) * 1000).toFixed(0)} µs`);
  }
  const [summaryA, summaryB] = [summaries.get('portcullis'), summaries.get('bare')];
  if (summaryA && summaryB) {
    console.log(`\n${formatPackageDiff({ name: 'Portcullis', summary: summaryA, requests: a.requests }, { name: 'bare', summary: summaryB, requests: b.requests })}`);
  }
  return a.failed + b.failed > 0 ? 1 : 0;
}

process.once('SIGINT', () => {
  console.error('token-throughput: interrupted, stopping the targets');
  void stopTargets().finally(() => process.exit(130));
});

const deadline = setTimeout(() => {
  console.error(`token-throughput: hard timeout of ${HARD_TIMEOUT_MS / 1000} s reached, stopping the targets`);
  void stopTargets().finally(() => process.exit(1));
}, HARD_TIMEOUT_MS);

main().then(
  async (code) => {
    await stopTargets();
    clearTimeout(deadline);
    process.exit(code);
  },
  async (error: unknown) => {
    console.error('token-throughput failed:', error instanceof Error ? error.message : error);
    await stopTargets();
    clearTimeout(deadline);
    process.exit(1);
  },
);
