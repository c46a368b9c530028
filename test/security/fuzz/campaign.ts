// A long fuzzing campaign (scripts/fuzz.ts): many seeded runs that carry on past failures, counting
// requests, statuses and distinct failures; then each distinct failure is replayed from its run
// index and shrunk by fast-check to a minimal reproduction.
import { monitorEventLoopDelay } from 'node:perf_hooks';
import fc from 'fast-check';
import { describeRequest, toWire, type FuzzRequest } from './fuzz-request.ts';
import type { FuzzTarget } from './fuzz-target.ts';
import { exercise, stillAlive, watchUnhandledRejections, type Outcome } from './exercise.ts';
import { requestArbitrary } from './request-arbitrary.ts';

export interface CampaignOptions {
  runs: number;
  seed: number;
  /** Stop generating after this long (the report says how many ran). */
  timeLimitMs: number;
  /** Make the target's objects anew every so many requests (the fuzzer deletes and changes them). */
  refreshEvery: number;
  /** Requests in flight at once: one seeded stream each (seed, seed + 1, ...), so a run is still replayable. */
  workers: number;
  /** Shrinking time per distinct failure, and for all of them together. */
  shrinkMs: number;
  shrinkBudgetMs: number;
  onProgress?: (done: number, elapsedMs: number) => void;
}

export interface DistinctFailure {
  signature: string;
  count: number;
  /** Where it was first generated: the stream's seed and the run's index in it (fast-check's `path`). */
  seed: number;
  firstRun: number;
  problems: string[];
  /** The request as first seen, and shrunk (with the values it ran with). */
  seen: string;
  shrunk: string | undefined;
}

export interface CampaignReport {
  requests: number;
  unsendable: number;
  elapsedMs: number;
  statuses: Map<string, number>;
  failures: DistinctFailure[];
  aliveAfterwards: boolean;
  /** Liveness checks during the run that failed. */
  livenessFailures: number;
  /** Fixture refreshes that failed (the run went on with the previous values). */
  refreshFailures: string[];
  /** The longest event-loop stall of the process (server and fuzzer share it), in ms: a request that blocks it is a denial of service. */
  maxEventLoopStallMs: number;
  /** The slowest requests, slowest first: where a denial of service would start. */
  slowest: { ms: number; status: number | undefined; request: string }[];
}

/** What the request carries that is known to break the server today (ISSUE-11 attack 9's edge guard). */
export function trigger(request: FuzzRequest, target: FuzzTarget): string {
  const wire = toWire(request, target.values);
  // Basic credentials are looked at decoded: a NUL can hide in them
  const basic = wire.headers
    .filter(([name, value]) => name === 'Authorization' && value.startsWith('Basic '))
    .map(([, value]) => Buffer.from(value.slice(6), 'base64').toString('latin1'));
  const text = [wire.path, ...wire.headers.map(([, value]) => value), ...basic, wire.body?.toString('latin1') ?? ''].join('\n');
  const tags: string[] = [];
  // raw, percent-encoded, or a JSON escape
  if (/%00|\u0000|\\u0000/i.test(text)) tags.push('NUL');
  if (/%ED%[AB][0-9A-F]%[89AB][0-9A-F]|\\ud[89a-f][0-9a-f]{2}/i.test(text)) tags.push('lone surrogate');
  if (/charset=utf-16/i.test(text) || request.body?.encoding === 'utf16le') tags.push('utf-16');
  return tags.length > 0 ? tags.join('+') : 'other';
}

/** The failure's kind without the specifics (status digits kept, excerpts dropped). */
const problemKind = (problem: string) => problem.split(':')[0]!.trim();

export async function runCampaign(target: FuzzTarget, options: CampaignOptions): Promise<CampaignReport> {
  const arbitrary = requestArbitrary(target.endpoints);
  const rejections = watchUnhandledRejections();
  const statuses = new Map<string, number>();
  const failures = new Map<string, DistinctFailure & { request: FuzzRequest }>();
  let requests = 0;
  let unsendable = 0;
  let livenessFailures = 0;
  const refreshFailures: string[] = [];
  const started = Date.now();
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  const slowest: CampaignReport['slowest'] = [];
  const noteDuration = (ms: number, request: FuzzRequest, status: number | undefined) => {
    if (slowest.length >= 5 && ms <= slowest[slowest.length - 1]!.ms) return;
    slowest.push({ ms, status, request: describeRequest(request, target.values) });
    slowest.sort((a, b) => b.ms - a.ms).splice(5);
  };

  const record = (seed: number, index: number, request: FuzzRequest, outcome: Outcome) => {
    requests++;
    if (outcome.unsendable) unsendable++;
    const key = outcome.unsendable
      ? 'unsendable'
      : outcome.oversizedHead
        ? '431 (reset by Node: head > 16 KiB)'
        : outcome.oversizedBody
          ? '413 (reset while uploading a body past the limit)'
          : outcome.status === undefined
            ? 'no answer'
            : String(outcome.status);
    statuses.set(key, (statuses.get(key) ?? 0) + 1);
    if (outcome.problems.length === 0) return;
    const signature = `${request.endpoint} | ${outcome.problems.map(problemKind).join(', ')} | ${trigger(request, target)}`;
    const known = failures.get(signature);
    if (known) known.count++;
    else
      failures.set(signature, {
        signature,
        count: 1,
        seed,
        firstRun: index,
        problems: outcome.problems,
        seen: describeRequest(request, target.values),
        shrunk: undefined,
        request,
      });
  };

  let refreshing: Promise<void> | undefined;
  const refreshNow = async () => {
    if (!(await stillAlive(target))) livenessFailures++;
    // a refresh that fails leaves the old values in place (the fuzzer goes on, shallower)
    await target.refresh().catch((error: unknown) => void refreshFailures.push(String(error)));
  };
  const stream = async (seed: number, runs: number) => {
    let index = 0;
    const result = await fc.check(
      fc.asyncProperty(arbitrary, async (request) => {
        const run = index++;
        if (requests > 0 && requests % options.refreshEvery === 0 && !refreshing) {
          refreshing = refreshNow().finally(() => (refreshing = undefined));
        }
        if (refreshing) await refreshing;
        // the harness failing on one request (a bug of ours) is counted, not allowed to end the campaign
        const sent = performance.now();
        const outcome = await exercise(target, request, rejections).catch((error: unknown): Outcome => ({
          status: undefined,
          problems: [`harness error: ${String(error)}`],
        }));
        noteDuration(performance.now() - sent, request, outcome.status);
        record(seed, run, request, outcome);
        options.onProgress?.(requests, Date.now() - started);
        return true;
      }),
      // eslint-disable-next-line @typescript-eslint/no-deprecated -- its plugin replacement is a harness change
      { seed, numRuns: runs, interruptAfterTimeLimit: options.timeLimitMs, markInterruptAsFailure: false },
    );
    // the property never fails: a failed check is the harness itself throwing
    if (result.failed)
      throw new Error(`fuzz harness error at seed ${seed} run ${index - 1}: ${String(result.errorInstance)}`, {
        cause: result.errorInstance,
      });
  };
  const perWorker = Math.ceil(options.runs / options.workers);
  await Promise.all(
    Array.from({ length: options.workers }, (_, worker) => {
      const runs = Math.min(perWorker, options.runs - worker * perWorker);
      return runs > 0 ? stream(options.seed + worker, runs) : Promise.resolve();
    }),
  );
  const elapsedMs = Date.now() - started;
  loopDelay.disable();
  const maxEventLoopStallMs = loopDelay.max / 1e6;
  const aliveAfterwards = await stillAlive(target);

  // Shrink each distinct failure: replay its run (same seed, its index) with a property that fails
  // on that same signature only, so fast-check shrinks towards the smallest request that still shows it.
  // Failures not known to be fixed elsewhere first (trigger "other"), the most frequent first.
  const shrinkStarted = Date.now();
  const ordered = [...failures.values()].sort(
    (a, b) => (a.signature.endsWith('| other') ? 0 : 1) - (b.signature.endsWith('| other') ? 0 : 1) || b.count - a.count,
  );
  for (const failure of ordered) {
    const left = options.shrinkBudgetMs - (Date.now() - shrinkStarted);
    if (left <= 0) break;
    const result = await fc.check(
      fc.asyncProperty(arbitrary, async (request) => {
        const outcome = await exercise(target, request, rejections);
        const signature = `${request.endpoint} | ${outcome.problems.map(problemKind).join(', ')} | ${trigger(request, target)}`;
        return signature !== failure.signature;
      }),
      {
        seed: failure.seed,
        path: String(failure.firstRun),
        numRuns: 1,
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- its plugin replacement is a harness change
        interruptAfterTimeLimit: Math.min(options.shrinkMs, left),
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- as above
        markInterruptAsFailure: false,
      },
    );
    const counterexample = result.counterexample?.[0];
    if (counterexample) {
      const outcome = await exercise(target, counterexample, rejections);
      failure.shrunk = `${outcome.problems.join('\n')}\n${describeRequest(counterexample, target.values)}`;
    }
  }
  rejections.stop();
  return {
    requests,
    unsendable,
    elapsedMs,
    statuses,
    aliveAfterwards,
    livenessFailures,
    refreshFailures,
    maxEventLoopStallMs,
    slowest,
    failures: [...failures.values()].map(({ request: _request, ...failure }) => failure).sort((a, b) => b.count - a.count),
  };
}
