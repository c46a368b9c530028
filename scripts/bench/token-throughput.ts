// Token endpoint throughput, Portcullis vs a bare oidc-provider, measured side by side in one run,
// for one grant: client credentials (default), a refresh token with rotation, or an authorization
// code with PKCE.
//
//   node scripts/bench/token-throughput.ts [--grant G] [--requests N] [--concurrency C] [--warmup W]
//                                          [--rounds R] [--profile [--profile-dir DIR]] [--log-level L]
//
//   --grant G         what each request is (default client_credentials):
//                       client_credentials  the service client (client_secret_basic) asks for scope
//                                           `read`: one ES256 JWT access token, nothing stored
//                       refresh_token       the public app client redeems a refresh token and gets
//                                           the next one (rotation), an access token and an ID token
//                       authorization_code  the public app client redeems a code with its PKCE
//                                           verifier for an access token, an ID token and a refresh
//                                           token
//                     Codes and refresh tokens are minted by each target with its provider's own
//                     models through its real stores (user-grants.ts), before the clock starts, and
//                     each is used once: codes are minted per round (they live 60 s; with --profile
//                     all before the rounds, so that minting stays out of the profile), refresh
//                     tokens as C chains, each answer carrying the chain's next token.
//   --requests N      measured requests per target (default 3000), split over the rounds
//   --concurrency C   requests in flight at once, over C keep-alive connections (default 32)
//   --warmup W        unmeasured requests per target before the first round, so both are JIT-warm
//                     (default 1000)
//   --rounds R        measured rounds per target, run A B | B A | A B ... so drift cancels (default 4)
//   --profile         also record a CPU profile of each target during the measured rounds, print
//                     where the time went, and keep the .cpuprofile files (the profiler slows both
//                     targets: read throughput from a run without it)
//   --baseline B      what Portcullis is compared with: `bare` (default; a bare oidc-provider, target
//                     >= 0.90x for client_credentials, >= 0.80x for the user grants) or `audit-off`
//                     (the same Portcullis without its audit trail, target >= 0.95x: recording may
//                     cost the token path 5% at most)
//   --log-level L     Portcullis log level (default silent, like the bare library which logs nothing;
//                     `info` writes one JSON line per request, as in production, to /dev/null)
//
// Targets, each a child process of its own (they never share an event loop with each other or with
// the load generator, which runs here):
//   A  Portcullis on PostgreSQL + Redis: an isolated, migrated database and Redis prefix made by the
//      test helpers (DATABASE_URL / REDIS_URL or TEST_* as in test/helpers/stores.ts, default
//      127.0.0.1), one resource server, one client_secret_basic service client, one public app
//      client and one user. Its rate limits (raised out of the way) and its audit trail stay on.
//   B  oidc-provider with its in-memory adapter, the same clients and resource server.
// Both issue ES256-signed RFC 9068 JWT access tokens for https://api.example.com with scope `read`,
// and to the app client ES256 ID tokens (scope `openid offline_access read`) with the same claims.
// What differs is the product: Portcullis reads the client, the API and the account from its
// registry and PostgreSQL, keeps grants and refresh tokens in PostgreSQL and codes in Redis (by
// hashed ids), adds gid/acr/amr/auth_time to user access tokens, rate-limits and audits.
//
// After the ratio it prints each target's resident set size under this load (target <= 150 MB per
// Portcullis process): the kernel's high-water mark from the warm-up on, the RSS before it (idle)
// and, after the warm-up and each round, the RSS and V8's heap in use (the part of the RSS that is
// live or uncollected JavaScript objects). Everything listens on 127.0.0.1 only. The run is bounded:
// at most 120 s, then it stops the targets (which drop their database) and exits non-zero; a failed
// request fails the run too.
import { mkdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { measure, warnIfHostBusy } from './bench-cpu.ts';
import { startTarget, runBenchmark, type Target } from './bench-harness.ts';
import { KeepAliveClient, type Reply } from './bench-http.ts';
import { alternatingRounds, inParallel } from './bench-load.ts';
import { benchOptions, loadSizes } from './bench-options.ts';
import { combine, median, pairedRatios, sum, type RoundResult } from './bench-stats.ts';
import { busyTimeMs, formatPackageDiff, formatSummary, summariseProfile, type CpuProfile, type ProfileSummary } from './cpu-profile.ts';
import { BENCH_REDIRECT_URI, BENCH_RESOURCE, BENCH_SCOPE, type MintedCredential, type MintedGrant, type TargetInfo } from './target-ipc.ts';

const GRANTS = ['client_credentials', 'refresh_token', 'authorization_code'] as const;
type Grant = (typeof GRANTS)[number];

const { values: args } = parseArgs({
  options: {
    ...benchOptions({ requests: 3000, concurrency: 32, warmup: 1000 }),
    baseline: { type: 'string', default: 'bare' },
    grant: { type: 'string', default: 'client_credentials' },
  },
  strict: true,
});

if (args.baseline !== 'bare' && args.baseline !== 'audit-off') {
  console.error(`--baseline must be bare or audit-off (got ${args.baseline})`);
  process.exit(2);
}
if (!(GRANTS as readonly string[]).includes(args.grant)) {
  console.error(`--grant must be one of ${GRANTS.join(', ')} (got ${args.grant})`);
  process.exit(2);
}
const GRANT = args.grant as Grant;
const AUDIT_BASELINE = args.baseline === 'audit-off';
// issue #14's targets
const TARGET_RATIO = AUDIT_BASELINE ? 0.95 : GRANT === 'client_credentials' ? 0.9 : 0.8;
/** The issue's ceiling on a Portcullis process' resident set under token load. */
const RSS_TARGET_BYTES = 150 * 1024 * 1024;
const { requests: REQUESTS, concurrency: CONCURRENCY, warmup: WARMUP, rounds: ROUNDS } = loadSizes(args);

/** A token is cheap: a request still unanswered after this long means the target is stuck. */
const REQUEST_TIMEOUT_MS = 10_000;

type TokenTarget = Target<'portcullis' | 'bare', TargetInfo>;

// --- requests of each grant ---------------------------------------------------------------------

/** One token request's answer; `problem`: what was wrong with a 200 (the grant's own check). */
interface Sent {
  reply: Reply;
  problem?: string;
}

/**
 * How one target is sent one grant's token requests. All a grant changes is here: which credentials
 * are prepared before the clock starts, and what each request sends; the load, the rounds, the
 * statistics and the report are the same for every grant.
 */
interface Requester {
  /** Makes sure there are credentials for the next `count` requests (outside any measured time). */
  prepare(count: number): Promise<void>;
  send(): Promise<Sent>;
  close(): void;
}

const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' };
const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();

/** `count` codes or refresh tokens, made by the target through its own stores. */
async function mint(target: TokenTarget, grant: MintedGrant, count: number): Promise<MintedCredential[]> {
  const reply = await target.request({ type: 'mint', grant, count }, 'minted');
  if (reply.error !== undefined || reply.credentials.length !== count) {
    throw new Error(
      `${target.info.name}: minting ${count} ${grant} credentials failed: ${reply.error ?? `got ${reply.credentials.length}`}`,
    );
  }
  return reply.credentials;
}

function requesterFor(grant: Grant, target: TokenTarget, concurrency: number): Requester {
  const client = new KeepAliveClient(concurrency, REQUEST_TIMEOUT_MS);
  const url = new URL(target.info.tokenEndpoint);
  const post = (body: string, headers: Record<string, string> = FORM_HEADERS) => client.send('POST', url, headers, body);
  const close = () => client.close();

  if (grant === 'client_credentials') {
    const { clientId, clientSecret } = target.info;
    const credentials = `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`;
    const headers = { ...FORM_HEADERS, authorization: `Basic ${Buffer.from(credentials).toString('base64')}` };
    const body = form({ grant_type: 'client_credentials', scope: BENCH_SCOPE });
    return { prepare: () => Promise.resolve(), send: async () => ({ reply: await post(body, headers) }), close };
  }

  const clientId = target.info.appClientId; // public: identified in the body, no secret
  if (grant === 'authorization_code') {
    // One form per code, built while preparing; each is taken once (in any order).
    const bodies: string[] = [];
    return {
      async prepare(count) {
        if (bodies.length >= count) return;
        for (const { value, verifier = '' } of await mint(target, grant, count - bodies.length)) {
          bodies.push(
            form({ grant_type: grant, code: value, code_verifier: verifier, redirect_uri: BENCH_REDIRECT_URI, client_id: clientId }),
          );
        }
      },
      async send() {
        const body = bodies.pop();
        if (body === undefined) throw new Error('no authorization code left');
        return { reply: await post(body) };
      },
      close,
    };
  }

  // refresh_token: C chains, one per request in flight. A request takes a chain's current token and
  // gives back the next one from its answer, so every token is redeemed once, by its rightful
  // holder, and a chain broken by a failure is gone (later requests then fail for want of one).
  const heads: string[] = [];
  let minted = false;
  return {
    async prepare() {
      if (minted) return;
      minted = true;
      for (const { value } of await mint(target, grant, concurrency)) heads.push(value);
    },
    async send() {
      const spent = heads.pop();
      if (spent === undefined) throw new Error('no refresh token left: a failed request broke its chain');
      const reply = await post(form({ grant_type: grant, refresh_token: spent, client_id: clientId }));
      if (reply.status !== 200) return { reply };
      const next = (JSON.parse(reply.body) as { refresh_token?: unknown }).refresh_token;
      if (typeof next !== 'string' || next === spent) {
        return {
          reply,
          problem: `no rotated refresh token (${next === spent ? 'the same one back' : `refresh_token ${String(next)}`})`,
        };
      }
      heads.push(next);
      return { reply };
    },
    close,
  };
}

// --- load ---------------------------------------------------------------------------------------

interface RunResult extends RoundResult {
  failures: Map<string, number>;
}

/**
 * `requests` token requests, C at a time, their credentials prepared first (outside the measured
 * time); a failed one is counted (and reported), not thrown.
 */
async function run(target: TokenTarget, requests: number, concurrency: number, requester: Requester): Promise<RunResult> {
  await requester.prepare(requests);
  const latenciesMs: number[] = [];
  const failures = new Map<string, number>();
  const tokenRequest = async () => {
    const started = performance.now();
    let problem: string | undefined;
    try {
      const sent = await requester.send();
      const { reply } = sent;
      problem =
        reply.status !== 200 || !reply.body.includes('"access_token"') ? `HTTP ${reply.status} ${reply.body.slice(0, 200)}` : sent.problem;
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

const decodeJwt = (jwt: string) =>
  jwt
    .split('.')
    .slice(0, 2)
    .map((part) => JSON.parse(Buffer.from(part, 'base64url').toString('utf8')) as Record<string, unknown>);

/**
 * The first answer of each target must be what we mean to compare: an ES256 RFC 9068 JWT for the
 * API, and for a user grant also an ES256 ID token and a refresh token (for refresh_token, a new one).
 */
async function checkToken(target: TargetInfo, requester: Requester): Promise<string> {
  await requester.prepare(1);
  const { reply, problem } = await requester.send();
  if (reply.status !== 200) throw new Error(`${target.name}: token request failed: HTTP ${reply.status} ${reply.body}`);
  if (problem) throw new Error(`${target.name}: ${problem}`);
  const token = JSON.parse(reply.body) as { access_token: string; id_token?: string; refresh_token?: string };
  const [header, payload] = decodeJwt(token.access_token);
  const problems = [
    header?.alg === 'ES256' ? '' : `alg ${String(header?.alg)}`,
    header?.typ === 'at+jwt' ? '' : `typ ${String(header?.typ)}`,
    [payload?.aud].flat().includes(BENCH_RESOURCE) ? '' : `aud ${JSON.stringify(payload?.aud)}`,
    payload?.scope === BENCH_SCOPE ? '' : `scope ${String(payload?.scope)}`,
  ];
  let user = '';
  if (GRANT !== 'client_credentials') {
    const [idHeader, idPayload] = token.id_token ? decodeJwt(token.id_token) : [];
    problems.push(
      idHeader?.alg === 'ES256' ? '' : `ID token ${token.id_token ? `alg ${String(idHeader?.alg)}` : 'missing'}`,
      typeof token.refresh_token === 'string' ? '' : 'no refresh token',
    );
    user = `; ID token ES256 with ${Object.keys(idPayload ?? {}).join(' ')}; refresh token ${GRANT === 'refresh_token' ? 'rotated' : 'issued'}`;
  }
  const found = problems.filter(Boolean);
  if (found.length > 0) throw new Error(`${target.name}: unexpected token response (${found.join(', ')})`);
  return `${String(header!.alg)} ${String(header!.typ)}, aud ${String(payload!.aud)}, scope ${String(payload!.scope)}, ${token.access_token.length} chars${user}`;
}

// --- memory -------------------------------------------------------------------------------------

/**
 * A target's resident set: before the warm-up (started, idle), the kernel's high-water mark since
 * then, and the RSS and V8's heap in use after each run (the warm-up, then each measured round).
 */
interface MemoryTrace {
  idleBytes: number;
  peakBytes: number | null;
  afterRunBytes: number[];
  heapAfterRunBytes: number[];
}

async function sampleMemory(target: TokenTarget, trace: MemoryTrace): Promise<void> {
  const reply = await target.request({ type: 'memory' }, 'memory');
  trace.afterRunBytes.push(reply.rssBytes);
  trace.heapAfterRunBytes.push(reply.heapUsedBytes);
  if (reply.peakRssBytes !== null) trace.peakBytes = Math.max(trace.peakBytes ?? 0, reply.peakRssBytes);
}

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(0)} MB`;

// --- main ---------------------------------------------------------------------------------------

/** All measured rounds of one target, and how many of their requests failed. */
const summarise = (results: RunResult[]) => ({
  ...combine(results),
  failed: sum(results, (result) => sum([...result.failures.values()], (n) => n)),
});

async function main(): Promise<number> {
  console.log(
    `token-throughput: ${GRANT}, ${REQUESTS} measured requests per target in ${ROUNDS} round(s) after ${WARMUP} warm-up, concurrency ${CONCURRENCY}, Node ${process.version}`,
  );
  const portcullisOptions = { env: { BENCH_LOG_LEVEL: args['log-level'] }, quietStdout: args['log-level'] !== 'silent', asServer: true };
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
  const requesters = new Map(targets.map((target) => [target.key, requesterFor(GRANT, target, CONCURRENCY)]));

  for (const target of targets) {
    console.log(
      `  ${target.key.padEnd(10)} ${target.info.name} at ${target.info.issuer}: ${await checkToken(target.info, requesters.get(target.key)!)}`,
    );
  }
  // the peak under load: from the warm-up on (start-up, with its migrations, does not count)
  const memory = new Map<TokenTarget['key'], MemoryTrace>();
  for (const target of targets) {
    const { rssBytes } = await target.request({ type: 'memory', reset: true }, 'memory');
    memory.set(target.key, { idleBytes: rssBytes, peakBytes: null, afterRunBytes: [], heapAfterRunBytes: [] });
  }
  for (const target of targets) {
    if (WARMUP === 0) continue;
    await run(target, WARMUP, CONCURRENCY, requesters.get(target.key)!);
    await sampleMemory(target, memory.get(target.key)!);
  }

  let profileDir: string | undefined;
  if (args.profile) {
    profileDir = args['profile-dir'] ?? join(tmpdir(), `portcullis-bench-${Date.now()}`);
    await mkdir(profileDir, { recursive: true });
    // Credentials for every measured round now, so that minting stays out of the profile (codes
    // live 60 s: a profiled run must be short enough for its last round to find them valid).
    for (const target of targets) await requesters.get(target.key)!.prepare(REQUESTS);
    await Promise.all(targets.map((target) => target.request({ type: 'profile-start' }, 'profiled')));
  }

  const results = new Map<TokenTarget['key'], RunResult[]>(targets.map((target) => [target.key, []]));
  for (const { size, order } of alternatingRounds(REQUESTS, ROUNDS, targets)) {
    for (const target of order) {
      results.get(target.key)!.push(await run(target, size, CONCURRENCY, requesters.get(target.key)!));
      await sampleMemory(target, memory.get(target.key)!);
    }
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
  console.log(`\n  resident set size under this load (target <= ${megabytes(RSS_TARGET_BYTES)} per Portcullis process):`);
  for (const target of targets) {
    const { idleBytes, peakBytes, afterRunBytes, heapAfterRunBytes } = memory.get(target.key)!;
    const sampled = Math.max(...afterRunBytes);
    const peak = Math.max(peakBytes ?? 0, sampled);
    const isPortcullis = target.key === 'portcullis' || AUDIT_BASELINE;
    const verdict = isPortcullis ? (peak <= RSS_TARGET_BYTES ? '   within target' : '   OVER TARGET') : '';
    const sampledOnly = peakBytes === null ? ' (sampled after each run)' : '';
    const list = (values: number[]) => `${values.map((bytes) => (bytes / (1024 * 1024)).toFixed(0)).join(' / ')} MB`;
    console.log(
      `    ${target.info.name.padEnd(32)} peak ${megabytes(peak)}${sampledOnly}, last ${megabytes(afterRunBytes.at(-1)!)}${verdict}`,
    );
    console.log(
      `    ${''.padEnd(32)} idle ${megabytes(idleBytes)}; after each run: RSS ${list(afterRunBytes)}, V8 heap used ${list(heapAfterRunBytes)}`,
    );
  }
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
