// Statistics of measured rounds: rates, latency percentiles, CPU per operation, and the medians and
// paired ratios that make a comparison of two targets robust to a round disturbed by other work.

/** One measured round against one target. */
export interface RoundResult {
  operations: number;
  elapsedMs: number;
  /** CPU time the target process used during the round, µs */
  cpuMicros: number;
  latenciesMs: number[];
}

/** Nearest-rank percentile of an ascending list; NaN when it is empty. */
export const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))] ?? NaN;

export const median = (values: number[]) => {
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

export const sum = <T>(items: T[], value: (item: T) => number) => items.reduce((total, item) => total + value(item), 0);

/** Operations per second of one round. */
export const rate = (result: RoundResult) => result.operations / (result.elapsedMs / 1000);

/** `value` summed over the rounds, per operation. */
export const perOperation = <R extends RoundResult>(results: R[], value: (result: R) => number) =>
  sum(results, value) / sum(results, (result) => result.operations);

/** All measured rounds of one target together. */
export function combine(results: RoundResult[]) {
  const operations = sum(results, (result) => result.operations);
  const latencies = results.flatMap((result) => result.latenciesMs).sort((a, b) => a - b);
  const perRound = results.map(rate);
  return {
    operations,
    /** over all rounds: operations / total elapsed time */
    rate: operations / (sum(results, (result) => result.elapsedMs) / 1000),
    perRound,
    medianRate: median(perRound),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    /** µs of the target process' CPU time */
    cpuPerOperation: perOperation(results, (result) => result.cpuMicros),
  };
}

/**
 * A's rate over B's, round by round. Each round of A ran next to a round of B (bench-load.ts), so
 * their ratio is little disturbed by slow drift or by other load on the host, and the median of
 * these ratios ignores a round that was.
 */
export const pairedRatios = (a: number[], b: number[]) => a.map((rateA, round) => rateA / b[round]!);
