// Are two samples of request times indistinguishable? Used by the login timing test (an unknown
// email must cost the same time as a wrong password) and checked on synthetic data by
// test/unit/timing-statistics.test.ts.
//
// Two criteria, both of which must hold:
//   1. practical: the medians differ by less than max(3 ms, 10 % of the larger median). Robust to
//      outliers and to a noisy host; an unknown email that skipped the argon2 verify would answer
//      the whole hash sooner (~15-25 ms at the default parameters on a 2-core host), far beyond it.
//   2. statistical: a two-sided Mann-Whitney U test (normal approximation, tie-corrected, with
//      continuity correction) does not reject "same distribution" at p < 0.001. Rank-based, so a
//      few slow requests (GC, another process on the host) weigh no more than any other sample;
//      the very low alpha keeps false alarms rare on a noisy 2-core machine, while a 20 ms shift
//      of ~25 ms requests gives p far below 1e-20 with 150 samples each.

export interface TimingComparisonOptions {
  /** Significance level of the Mann-Whitney test (default 0.001). */
  alpha?: number;
  /** Smallest allowed difference of medians, in ms (default 3). */
  absoluteMarginMs?: number;
  /** Allowed difference of medians as a fraction of the larger median (default 0.10). */
  relativeMargin?: number;
}

export interface TimingComparison {
  sizes: [number, number];
  medianA: number;
  medianB: number;
  /** medianA - medianB, ms */
  medianDifference: number;
  /** max(absoluteMarginMs, relativeMargin × the larger median), ms */
  margin: number;
  /** Mann-Whitney U of sample A */
  u: number;
  z: number;
  /** two-sided p-value of the Mann-Whitney test */
  p: number;
  /** |medianDifference| < margin */
  mediansClose: boolean;
  /** p >= alpha */
  mannWhitneyAccepts: boolean;
  /** both criteria hold */
  indistinguishable: boolean;
  /** one line for a test log */
  summary: string;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const sorted = [...values].sort((x, y) => x - y);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Complementary error function (Numerical Recipes' erfcc: fractional error below 1.2e-7 everywhere). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const value =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? value : 2 - value;
}

/** Two-sided Mann-Whitney U test of sample a against sample b (normal approximation). */
export function mannWhitneyU(a: readonly number[], b: readonly number[]): { u: number; z: number; p: number } {
  const n1 = a.length;
  const n2 = b.length;
  if (n1 === 0 || n2 === 0) throw new Error('Mann-Whitney U needs two non-empty samples');
  const pooled = [...a.map((value) => ({ value, fromA: true })), ...b.map((value) => ({ value, fromA: false }))].sort(
    (x, y) => x.value - y.value,
  );
  const n = pooled.length;
  let rankSumA = 0;
  let tieTerm = 0; // Σ (t³ - t) over groups of tied values
  for (let start = 0; start < n;) {
    let end = start;
    while (end + 1 < n && pooled[end + 1]!.value === pooled[start]!.value) end++;
    const averageRank = (start + end) / 2 + 1; // ranks are 1-based
    for (let index = start; index <= end; index++) if (pooled[index]!.fromA) rankSumA += averageRank;
    const tied = end - start + 1;
    tieTerm += tied ** 3 - tied;
    start = end + 1;
  }
  const u = rankSumA - (n1 * (n1 + 1)) / 2;
  const mean = (n1 * n2) / 2;
  const variance = ((n1 * n2) / 12) * (n + 1 - tieTerm / (n * (n - 1)));
  if (variance <= 0) return { u, z: 0, p: 1 }; // every value equal: nothing tells the samples apart
  const deviation = u - mean;
  const z = (deviation - Math.sign(deviation) * 0.5) / Math.sqrt(variance); // continuity correction
  // two-sided: P(|Z| >= |z|) = erfc(|z| / √2)
  return { u, z, p: Math.min(1, erfc(Math.abs(z) / Math.SQRT2)) };
}

/** Whether two samples of times (ms) are indistinguishable by both criteria above. */
export function compareTimings(a: readonly number[], b: readonly number[], options: TimingComparisonOptions = {}): TimingComparison {
  const alpha = options.alpha ?? 0.001;
  const absoluteMarginMs = options.absoluteMarginMs ?? 3;
  const relativeMargin = options.relativeMargin ?? 0.1;
  const medianA = median(a);
  const medianB = median(b);
  const medianDifference = medianA - medianB;
  const margin = Math.max(absoluteMarginMs, relativeMargin * Math.max(medianA, medianB));
  const { u, z, p } = mannWhitneyU(a, b);
  const mediansClose = Math.abs(medianDifference) < margin;
  const mannWhitneyAccepts = p >= alpha;
  const summary =
    `medians ${medianA.toFixed(2)} vs ${medianB.toFixed(2)} ms (n=${a.length}/${b.length}), difference ${medianDifference.toFixed(2)} ms ` +
    `(${mediansClose ? 'within' : 'BEYOND'} ±${margin.toFixed(2)} ms); Mann-Whitney U=${u} z=${z.toFixed(2)} p=${p.toPrecision(3)} ` +
    `(${mannWhitneyAccepts ? 'not rejected' : 'REJECTED'} at ${alpha})`;
  return {
    sizes: [a.length, b.length],
    medianA,
    medianB,
    medianDifference,
    margin,
    u,
    z,
    p,
    mediansClose,
    mannWhitneyAccepts,
    indistinguishable: mediansClose && mannWhitneyAccepts,
    summary,
  };
}
