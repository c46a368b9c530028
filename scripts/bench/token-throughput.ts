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
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measure, warnIfHostBusy } from './bench-cpu.ts';
import { startTarget, runBenchmark, type Target } from './bench-harness.ts';
import { KeepAliveClient } from './bench-http.ts';
import { alternatingRounds, inParallel } from './bench-load.ts';
import { benchOptions, loadSizes } from './bench-options.ts';
import { combine, median, pairedRatios, sum, type RoundResult } from './bench-stats.ts';
import { busyTimeMs, formatPackageDiff, formatSummary, summariseProfile, type CpuProfile, type ProfileSummary } from './cpu-profile.ts';
import { BENCH_RESOURCE, BENCH_SCOPE, type TargetInfo } from './target-ipc.ts';

const { values: args } = parseArgs({
  options: {
    ...benchOptions({ requests: 3000, concurrency: 32, warmup: 1000 }),
    baseline: { type: 'string', default: 'bare' },
  },
  strict: true,
});

if (args.baseline !== 'bare' && args.baseline !== 'audit-off') {
  console.error(`--baseline must be bare or audit-off (got ${args.baseline})`);
  process.exit(2);
}
const AUDIT_BASELINE = args.baseline === 'audit-off';
const TARGET_RATIO = AUDIT_BASELINE ? 0.9 : 0.8;
const { requests: REQUESTS, concurrency: CONCURRENCY, warmup: WARMUP, rounds: ROUNDS } = loadSizes(args);

/** A token is cheap: a request still unanswered after this long means the target is stuck. */
const REQUEST_TIMEOUT_MS = 10_000;

type TokenTarget = Target<'portcullis' | 'bare', TargetInfo>;

// --- load ---------------------------------------------------------------------------------------

interface RunResult extends RoundResult {
  failures: Map<string, number>;
}

function tokenRequester(target: TargetInfo, concurrency: number) {
  const client = new KeepAliveClient(concurrency, REQUEST_TIMEOUT_MS);
  const url = new URL(target.tokenEndpoint);
  const credentials = `${encodeURIComponent(target.clientId)}:${encodeURIComponent(target.clientSecret)}`;
  const headers = {
    authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope: BENCH_SCOPE }).toString();
  return { send: () => client.send('POST', url, headers, body), close: () => client.close() };
}

/** `requests` token requests, C at a time; a failed one is counted (and reported), not thrown. */
async function run(
  target: TokenTarget,
  requests: number,
  concurrency: number,
  requester: ReturnType<typeof tokenRequester>,
): Promise<RunResult> {
  const latenciesMs: number[] = [];
  const failures = new Map<string, number>();
  const tokenRequest = async () => {
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
  };
  const { cost } = await measure(target, () => inParallel(requests, concurrency, tokenRequest));
  if (failures.size > 0) {
    const [first, count] = [...failures][0]!;
    console.error(`  ${target.info.name}: ${sum([...failures.values()], (n) => n)} failed requests, e.g. (${count}x) ${first}`);
  }
  return { operations: requests, elapsedMs: cost.elapsedMs, cpuMicros: cost.cpuMicros, latenciesMs, failures };
}

/** The first token of each target must be what we mean to compare: an ES256 RFC 9068 JWT for the API. */
async function checkToken(target: TargetInfo, requester: ReturnType<typeof tokenRequester>): Promise<string> {
  const reply = await requester.send();
  if (reply.status !== 200) throw new Error(`${target.name}: token request failed: HTTP ${reply.status} ${reply.body}`);
  const token = JSON.parse(reply.body) as { access_token: string; token_type: string; scope?: string };
  const [header, payload] = token.access_token
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);
  const problems = [
    header?.alg === 'ES256' ? '' : `alg ${String(header?.alg)}`,
    header?.typ === 'at+jwt' ? '' : `typ ${String(header?.typ)}`,
    [payload?.aud].flat().includes(BENCH_RESOURCE) ? '' : `aud ${JSON.stringify(payload?.aud)}`,
    payload?.scope === BENCH_SCOPE ? '' : `scope ${String(payload?.scope)}`,
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`${target.name}: unexpected access token (${problems.join(', ')})`);
  return `${String(header!.alg)} ${String(header!.typ)}, aud ${String(payload!.aud)}, scope ${String(payload!.scope)}, ${token.access_token.length} chars`;
}

// --- main ---------------------------------------------------------------------------------------

/** All measured rounds of one target, and how many of their requests failed. */
const summarise = (results: RunResult[]) => ({
  ...combine(results),
  failed: sum(results, (result) => sum([...result.failures.values()], (n) => n)),
});

async function main(): Promise<number> {
  console.log(
    `token-throughput: client_credentials, ${REQUESTS} measured requests per target in ${ROUNDS} round(s) after ${WARMUP} warm-up, concurrency ${CONCURRENCY}, Node ${process.version}`,
  );
  const portcullisOptions = { env: { BENCH_LOG_LEVEL: args['log-level'] }, quietStdout: args['log-level'] !== 'silent' };
  const [portcullis, bare] = await Promise.all([
    startTarget<TokenTarget>('portcullis', './portcullis-target.ts', portcullisOptions),
    AUDIT_BASELINE
      ? startTarget<TokenTarget>('bare', './portcullis-target.ts', {
          ...portcullisOptions,
          env: { ...portcullisOptions.env, BENCH_AUDIT: 'off' },
        })
      : startTarget<TokenTarget>('bare', './bare-target.ts'),
  ]);
  const targets = [portcullis, bare] as const;
  const requesters = new Map(targets.map((target) => [target.key, tokenRequester(target.info, CONCURRENCY)]));

  for (const target of targets) {
    console.log(
      `  ${target.key.padEnd(10)} ${target.info.name} at ${target.info.issuer}: ${await checkToken(target.info, requesters.get(target.key)!)}`,
    );
  }
  for (const target of targets) if (WARMUP > 0) await run(target, WARMUP, CONCURRENCY, requesters.get(target.key)!);

  let profileDir: string | undefined;
  if (args.profile) {
    profileDir = args['profile-dir'] ?? join(tmpdir(), `portcullis-bench-${Date.now()}`);
    await mkdir(profileDir, { recursive: true });
    await Promise.all(targets.map((target) => target.request({ type: 'profile-start' }, 'profiled')));
  }

  const results = new Map<TokenTarget['key'], RunResult[]>(targets.map((target) => [target.key, []]));
  for (const { size, order } of alternatingRounds(REQUESTS, ROUNDS, targets)) {
    for (const target of order) results.get(target.key)!.push(await run(target, size, CONCURRENCY, requesters.get(target.key)!));
  }

  const profiles = new Map<TokenTarget['key'], string | undefined>();
  if (profileDir) {
    for (const target of targets) {
      const written = await target.request({ type: 'profile-stop', path: join(profileDir, `${target.key}.cpuprofile`) }, 'profiled');
      profiles.set(target.key, written.path);
    }
  }
  for (const requester of requesters.values()) requester.close();

  const a = summarise(results.get('portcullis')!);
  const b = summarise(results.get('bare')!);
  const line = (label: string, stats: ReturnType<typeof summarise>) =>
    `  ${label.padEnd(34)} ${stats.rate.toFixed(0).padStart(7)} req/s   p50 ${stats.p50.toFixed(1).padStart(6)} ms   p99 ${stats.p99.toFixed(1).padStart(6)} ms   CPU ${stats.cpuPerOperation.toFixed(0).padStart(5)} µs/req   rounds ${stats.perRound.map((rps) => rps.toFixed(0)).join(' / ')}${stats.failed ? `   FAILED ${stats.failed}` : ''}`;
  console.log('\nresults (measured rounds only):');
  console.log(line(portcullis.info.name, a));
  console.log(line(bare.info.name, b));
  const ratio = a.rate / b.rate;
  const paired = pairedRatios(a.perRound, b.perRound);
  const baselineName = AUDIT_BASELINE ? 'audit off' : 'bare';
  console.log(
    `\n  ratio Portcullis / ${baselineName}: ${ratio.toFixed(2)}x throughput (target >= ${TARGET_RATIO.toFixed(2)}x), ${(a.p50 / b.p50).toFixed(2)}x p50 latency`,
  );
  console.log(`  paired rounds: median ${median(paired).toFixed(2)}x (${paired.map((value) => value.toFixed(2)).join(' ')})`);
  console.log(
    `  CPU efficiency Portcullis / ${baselineName}: ${(b.cpuPerOperation / a.cpuPerOperation).toFixed(2)}x (requests per CPU-second of the target process)`,
  );
  warnIfHostBusy();
  if (args.profile) console.log('  (CPU profiler attached to both targets: throughput figures of this run are depressed)');

  const summaries = new Map<TokenTarget['key'], ProfileSummary>();
  for (const target of targets) {
    const path = profiles.get(target.key);
    if (!path) continue;
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
    const busy = busyTimeMs(profile);
    const summary = summariseProfile(profile);
    summaries.set(target.key, summary);
    console.log(`\n${formatSummary(`${target.info.name} (${path})`, summary, busy)}`);
    console.log(
      `  on-CPU time of the main thread per measured request: ${((busy / combine(results.get(target.key)!).operations) * 1000).toFixed(0)} µs`,
    );
  }
  const [summaryA, summaryB] = [summaries.get('portcullis'), summaries.get('bare')];
  if (summaryA && summaryB) {
    console.log(
      `\n${formatPackageDiff({ name: 'Portcullis', summary: summaryA, requests: a.operations }, { name: 'bare', summary: summaryB, requests: b.operations })}`,
    );
  }
  return a.failed + b.failed > 0 ? 1 : 0;
}

runBenchmark('token-throughput', main);
