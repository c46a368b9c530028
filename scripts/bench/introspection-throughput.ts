// Introspection and JWKS throughput: Portcullis against what the same work costs without it,
// measured side by side in one run.
//
//   node scripts/bench/introspection-throughput.ts [--requests N] [--concurrency C] [--warmup W]
//                                                  [--rounds R] [--profile [--profile-dir DIR]] [--log-level L]
//
// The flags are token-throughput.ts' (bench-options.ts) and apply to each of the two comparisons:
//   --requests N      measured requests per target (default 3000), split over the rounds
//   --concurrency C   requests in flight at once, over C keep-alive connections (default 32)
//   --warmup W        unmeasured requests per target before the first round (default 1000)
//   --rounds R        measured rounds per target, run A B | B A | A B ... so drift cancels (default 4)
//   --profile         CPU-profile both introspection targets during their measured rounds and print
//                     where the time went (depresses throughput: read rates from a run without it)
//   --log-level L     Portcullis log level (default silent)
//
// 1. Introspection (target >= 0.80x): POST /token/introspection of an ES256 RFC 9068 access token,
//    authenticated (client_secret_basic) as the gateway client the API names as an introspecting
//    client, the way the README documents it.
//      A  Portcullis on PostgreSQL + Redis, audit and rate limits on (introspection-target.ts).
//      B  a bare Koa handler: the caller's credentials, `jose` jwtVerify with Portcullis' own public
//         keys (from its /jwks), the one revocation lookup Portcullis makes — PostgreSQL, by jti, on
//         the same server — and the same JSON (introspection-baseline-target.ts).
//    Both introspect the same tokens, issued by Portcullis (client_credentials) before any timing;
//    their first answers must be identical, byte for byte.
// 2. JWKS (for reference, no target): GET /jwks of Portcullis and of a bare oidc-provider with its
//    in-memory adapter (bare-target.ts, as token-throughput.ts starts it).
// Each target is a child process of its own; the load generator runs here. Everything listens on
// 127.0.0.1 only. A run stops after 120 s at most; a failed request makes the exit status 1.
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { warnIfHostBusy } from './bench-cpu.ts';
import { runBenchmark, startTarget, type Target } from './bench-harness.ts';
import { KeepAliveClient } from './bench-http.ts';
import { alternatingRounds } from './bench-load.ts';
import { benchOptions, loadSizes } from './bench-options.ts';
import { formatRunSummary, runRequests, summariseRuns, type Lane, type RequestRun, type RunSummary } from './bench-requests.ts';
import { median, pairedRatios } from './bench-stats.ts';
import { busyTimeMs, formatPackageDiff, formatSummary, summariseProfile, type CpuProfile } from './cpu-profile.ts';
import {
  BASELINE_ENV,
  type IntrospectionTargetInfo,
  type PortcullisIntrospectionInfo,
  type ServiceClientInfo,
} from './introspection-ipc.ts';
import { BENCH_SCOPE, type TargetInfo } from './target-ipc.ts';

const { values: args } = parseArgs({ options: benchOptions({ requests: 3000, concurrency: 32, warmup: 1000 }), strict: true });
const { requests: REQUESTS, concurrency: CONCURRENCY, warmup: WARMUP, rounds: ROUNDS } = loadSizes(args);

const TARGET_RATIO = 0.8;
/** Distinct tokens introspected in turn, so the revocation lookups are not all for one jti. */
const TOKENS = 8;
/** Introspection is cheap: a request still unanswered after this long means the target is stuck. */
const REQUEST_TIMEOUT_MS = 10_000;

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

// --- setup --------------------------------------------------------------------------------------

/** Client-credentials access tokens of Portcullis' service client, fetched before any timing. */
async function fetchTokens(client: KeepAliveClient, token: ServiceClientInfo, count: number): Promise<string[]> {
  const headers = {
    authorization: basic(token.clientId, token.clientSecret),
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const body = new URLSearchParams({ grant_type: 'client_credentials', scope: BENCH_SCOPE }).toString();
  const tokens: string[] = [];
  for (let index = 0; index < count; index++) {
    const reply = await client.send('POST', new URL(token.tokenEndpoint), headers, body);
    if (reply.status !== 200) throw new Error(`token request failed: HTTP ${reply.status} ${reply.body}`);
    tokens.push((JSON.parse(reply.body) as { access_token: string }).access_token);
  }
  const header = JSON.parse(Buffer.from(tokens[0]!.split('.')[0]!, 'base64url').toString('utf8')) as { alg?: string; typ?: string };
  if (header.alg !== 'ES256' || header.typ !== 'at+jwt') throw new Error(`unexpected access token: ${JSON.stringify(header)}`);
  return tokens;
}

/** A lane introspecting `tokens` in turn at `target`, as its caller. */
function introspectionLane(target: Target<string, IntrospectionTargetInfo>, tokens: string[]): Lane & { close(): void } {
  const client = new KeepAliveClient(CONCURRENCY, REQUEST_TIMEOUT_MS);
  const url = new URL(target.info.introspectionEndpoint);
  const headers = {
    authorization: basic(target.info.callerId, target.info.callerSecret),
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  const bodies = tokens.map((token) => new URLSearchParams({ token, token_type_hint: 'access_token' }).toString());
  return {
    name: target.info.name,
    target,
    send: (index) => client.send('POST', url, headers, bodies[index % bodies.length]),
    accept: (reply) => reply.status === 200 && reply.body.startsWith('{"active":true'),
    close: () => client.close(),
  };
}

function jwksLane(name: string, target: Target<string, unknown>, jwksUri: string): Lane & { close(): void } {
  const client = new KeepAliveClient(CONCURRENCY, REQUEST_TIMEOUT_MS);
  const url = new URL(jwksUri);
  const headers = { accept: 'application/json' };
  return {
    name,
    target,
    send: () => client.send('GET', url, headers),
    accept: (reply) => reply.status === 200 && reply.body.includes('"keys"'),
    close: () => client.close(),
  };
}

// --- a comparison -------------------------------------------------------------------------------

interface Comparison {
  a: RunSummary;
  b: RunSummary;
}

/** Warm-up of each lane, then alternating measured rounds; `measured` wraps the rounds (profiling). */
async function compare(
  a: Lane,
  b: Lane,
  measured: (rounds: () => Promise<void>) => Promise<void> = (rounds) => rounds(),
): Promise<Comparison> {
  for (const lane of [a, b]) if (WARMUP > 0) await runRequests(lane, WARMUP, CONCURRENCY);
  const results = new Map<Lane, RequestRun[]>([
    [a, []],
    [b, []],
  ]);
  await measured(async () => {
    for (const { size, order } of alternatingRounds(REQUESTS, ROUNDS, [a, b] as const)) {
      for (const lane of order) results.get(lane)!.push(await runRequests(lane, size, CONCURRENCY));
    }
  });
  return { a: summariseRuns(results.get(a)!), b: summariseRuns(results.get(b)!) };
}

function report({ a, b }: Comparison, names: [string, string], target?: number): void {
  console.log(formatRunSummary(names[0], a));
  console.log(formatRunSummary(names[1], b));
  const paired = pairedRatios(a.perRound, b.perRound);
  console.log(
    `  ratio ${names[0]} / ${names[1]}: ${(a.rate / b.rate).toFixed(2)}x throughput${target ? ` (target >= ${target.toFixed(2)}x: ${a.rate / b.rate >= target ? 'PASS' : 'MISS'})` : ''}, ${(a.p50 / b.p50).toFixed(2)}x p50 latency`,
  );
  console.log(`  paired rounds: median ${median(paired).toFixed(2)}x (${paired.map((value) => value.toFixed(2)).join(' ')})`);
  console.log(`  CPU efficiency: ${(b.cpuPerOperation / a.cpuPerOperation).toFixed(2)}x (requests per CPU-second of the target process)`);
}

// --- main ---------------------------------------------------------------------------------------

async function main(): Promise<number> {
  console.log(
    `introspection-throughput: ${REQUESTS} measured requests per target in ${ROUNDS} round(s) after ${WARMUP} warm-up, concurrency ${CONCURRENCY}, Node ${process.version}`,
  );
  const [portcullis, bare] = await Promise.all([
    startTarget<Target<'portcullis', PortcullisIntrospectionInfo>>('portcullis', './introspection-target.ts', {
      env: { BENCH_LOG_LEVEL: args['log-level'] },
      quietStdout: args['log-level'] !== 'silent',
      asServer: true,
    }),
    startTarget<Target<'bare', TargetInfo>>('bare', './bare-target.ts'),
  ]);
  const setupClient = new KeepAliveClient(1, REQUEST_TIMEOUT_MS);
  const jwks = await setupClient.send('GET', new URL(portcullis.info.jwksUri), { accept: 'application/json' });
  if (jwks.status !== 200) throw new Error(`Portcullis /jwks: HTTP ${jwks.status}`);
  const baseline = await startTarget<Target<'baseline', IntrospectionTargetInfo>>('baseline', './introspection-baseline-target.ts', {
    env: {
      [BASELINE_ENV.issuer]: portcullis.info.issuer,
      [BASELINE_ENV.jwks]: jwks.body,
      [BASELINE_ENV.callerId]: portcullis.info.callerId,
      [BASELINE_ENV.callerSecret]: portcullis.info.callerSecret,
    },
  });
  const tokens = await fetchTokens(setupClient, portcullis.info.token, TOKENS);
  setupClient.close();

  // 1. introspection
  const lanes = [introspectionLane(portcullis, tokens), introspectionLane(baseline, tokens)] as const;
  const first = await Promise.all(lanes.map((lane) => lane.send(0)));
  for (const [index, reply] of first.entries()) {
    if (!lanes[index]!.accept(reply)) throw new Error(`${lanes[index]!.name}: first introspection: HTTP ${reply.status} ${reply.body}`);
  }
  if (first[0]!.body !== first[1]!.body) throw new Error(`the answers differ:\n  ${first[0]!.body}\n  ${first[1]!.body}`);
  console.log(`  both answer, identically: ${first[0]!.body.slice(0, 160)}…`);

  let profileDir: string | undefined;
  const profiled = async (rounds: () => Promise<void>) => {
    if (!args.profile) return rounds();
    profileDir = args['profile-dir'] ?? join(tmpdir(), `portcullis-bench-${Date.now()}`);
    await mkdir(profileDir, { recursive: true });
    await Promise.all([portcullis, baseline].map((target) => target.request({ type: 'profile-start' }, 'profiled')));
    await rounds();
    for (const target of [portcullis, baseline]) {
      await target.request({ type: 'profile-stop', path: join(profileDir, `introspection-${target.key}.cpuprofile`) }, 'profiled');
    }
  };
  const introspection = await compare(lanes[0], lanes[1], profiled);
  for (const lane of lanes) lane.close();

  // 2. JWKS
  const jwksLanes = [
    jwksLane('Portcullis /jwks', portcullis, portcullis.info.jwksUri),
    jwksLane('bare oidc-provider /jwks', bare, `${bare.info.issuer}/jwks`),
  ] as const;
  const jwksResult = await compare(jwksLanes[0], jwksLanes[1]);
  for (const lane of jwksLanes) lane.close();

  console.log('\nintrospection of a JWT access token (measured rounds only):');
  report(introspection, ['Portcullis', 'bare Koa + jose + PostgreSQL'], TARGET_RATIO);
  console.log('\nJWKS (measured rounds only, for reference):');
  report(jwksResult, ['Portcullis /jwks', 'bare oidc-provider /jwks']);
  warnIfHostBusy();
  if (args.profile) {
    console.log('  (CPU profiler attached to both introspection targets: their throughput figures are depressed)');
    await printProfiles(profileDir!, introspection);
  }
  return introspection.a.failed + introspection.b.failed + jwksResult.a.failed + jwksResult.b.failed > 0 ? 1 : 0;
}

async function printProfiles(dir: string, { a, b }: Comparison): Promise<void> {
  const summaries = [];
  for (const [key, requests] of [
    ['portcullis', a.operations],
    ['baseline', b.operations],
  ] as const) {
    const path = join(dir, `introspection-${key}.cpuprofile`);
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
    const busy = busyTimeMs(profile);
    const summary = summariseProfile(profile);
    summaries.push({ name: key, summary, requests });
    console.log(`\n${formatSummary(`${key} (${path})`, summary, busy)}`);
    console.log(`  on-CPU time of the main thread per measured request: ${((busy / requests) * 1000).toFixed(0)} µs`);
  }
  console.log(`\n${formatPackageDiff(summaries[0]!, summaries[1]!)}`);
}

runBenchmark('introspection-throughput', main);
