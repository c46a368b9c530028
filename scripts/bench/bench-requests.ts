// One measured run of HTTP requests against one target, for benchmarks whose requests differ only
// in what they send and what counts as a good answer (introspection-throughput.ts: introspection
// and JWKS). A failed request is counted and reported, never thrown: the run goes on, and the
// benchmark exits non-zero at the end.
import { measure } from './bench-cpu.ts';
import type { Reply } from './bench-http.ts';
import { inParallel } from './bench-load.ts';
import { combine, sum, type RoundResult } from './bench-stats.ts';
import type { CpuTimes } from './bench-cpu.ts';

export interface RequestRun extends RoundResult {
  failures: Map<string, number>;
}

/** What is loaded: a target process (for its CPU time), how to send one request, and which answers are good. */
export interface Lane {
  name: string;
  target: { cpuTimes(): Promise<CpuTimes> };
  /** `index`: the request's number in its run (to rotate over several tokens, say). */
  send(index: number): Promise<Reply>;
  accept(reply: Reply): boolean;
}

/** `requests` requests, `concurrency` at a time, timed and CPU-measured (bench-cpu.ts). */
export async function runRequests(lane: Lane, requests: number, concurrency: number): Promise<RequestRun> {
  const latenciesMs: number[] = [];
  const failures = new Map<string, number>();
  const one = async (index: number) => {
    const started = performance.now();
    let problem: string | undefined;
    try {
      const reply = await lane.send(index);
      if (!lane.accept(reply)) problem = `HTTP ${reply.status} ${reply.body.slice(0, 200)}`;
    } catch (error) {
      problem = (error as Error).message;
    }
    latenciesMs.push(performance.now() - started);
    if (problem) failures.set(problem, (failures.get(problem) ?? 0) + 1);
  };
  const { cost } = await measure(lane.target, () => inParallel(requests, concurrency, one));
  if (failures.size > 0) {
    const [first, count] = [...failures][0]!;
    console.error(`  ${lane.name}: ${sum([...failures.values()], (n) => n)} failed requests, e.g. (${count}x) ${first}`);
  }
  return { operations: requests, elapsedMs: cost.elapsedMs, cpuMicros: cost.cpuMicros, latenciesMs, failures };
}

/** All measured runs of one lane, and how many of their requests failed. */
export const summariseRuns = (results: RequestRun[]) => ({
  ...combine(results),
  failed: sum(results, (result) => sum([...result.failures.values()], (n) => n)),
});

export type RunSummary = ReturnType<typeof summariseRuns>;

/** One line of a report: rate, latency, CPU per request and the per-round rates. */
export const formatRunSummary = (label: string, stats: RunSummary) =>
  `  ${label.padEnd(34)} ${stats.rate.toFixed(0).padStart(7)} req/s   p50 ${stats.p50.toFixed(1).padStart(6)} ms   p99 ${stats.p99.toFixed(1).padStart(6)} ms   CPU ${stats.cpuPerOperation.toFixed(0).padStart(5)} µs/req   rounds ${stats.perRound.map((rps) => rps.toFixed(0)).join(' / ')}${stats.failed ? `   FAILED ${stats.failed}` : ''}`;
