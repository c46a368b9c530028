// The statistic of test/integration/login-timing.test.ts on synthetic data: it accepts two samples
// of the same distribution (noise, skew, outliers, drift and all) and rejects samples 20 ms apart —
// what the integration test would see if an unknown email skipped the argon2 verify of the dummy
// hash. Seeded, so every run sees the same numbers.
import test from 'ava';
import { compareTimings, erfc, mannWhitneyU, median } from '../helpers/timing-statistics.ts';

/** mulberry32: a small seeded PRNG with uniform output in [0, 1). */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

interface Model {
  /** the typical request time, ms (an argon2id verify at the default parameters is ~20-30 ms) */
  baseMs: number;
  /** Gaussian jitter, ms */
  jitterMs: number;
  /** mean of an exponential right tail, ms (scheduling, GC) */
  tailMs: number;
  /** share of requests that meet a big stall (another process on the host) */
  outlierRate: number;
}

const LOGIN: Model = { baseMs: 25, jitterMs: 1.5, tailMs: 1, outlierRate: 0.02 };

/** A request time drawn from `model`; `drift` is added (a host slowly getting busier). */
function draw(next: () => number, model: Model, drift = 0): number {
  const gaussian = Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  const tail = -Math.log(1 - next()) * model.tailMs;
  const outlier = next() < model.outlierRate ? 20 + 40 * next() : 0;
  return Math.max(0.1, model.baseMs + drift + model.jitterMs * gaussian + tail + outlier);
}

/** n interleaved pairs A B / B A, as the integration test takes them; drift grows over the run. */
function interleaved(seed: number, n: number, a: Model, b: Model, driftMs = 0) {
  const next = random(seed);
  const samplesA: number[] = [];
  const samplesB: number[] = [];
  for (let index = 0; index < n; index++) {
    const drift = (driftMs * index) / n;
    if (index % 2 === 0) {
      samplesA.push(draw(next, a, drift));
      samplesB.push(draw(next, b, drift));
    } else {
      samplesB.push(draw(next, b, drift));
      samplesA.push(draw(next, a, drift));
    }
  }
  return [samplesA, samplesB] as const;
}

test('erfc and the Mann-Whitney U test match hand-computed values', (t) => {
  t.true(Math.abs(erfc(0) - 1) < 1e-7);
  t.true(Math.abs(erfc(1) - 0.157_299_207) < 1e-7);
  t.true(Math.abs(erfc(-1) - 1.842_700_793) < 1e-7);
  t.true(Math.abs(erfc(3) - 2.209_049_7e-5) < 1e-11);
  // completely separated samples of 5: U = 0, mean 12.5, variance 25/12 × 11; z = -12/√22.917
  const separated = mannWhitneyU([1, 2, 3, 4, 5], [6, 7, 8, 9, 10]);
  t.is(separated.u, 0);
  t.true(Math.abs(separated.z - -2.50672) < 1e-4, String(separated.z));
  t.true(Math.abs(separated.p - 0.012186) < 1e-5, String(separated.p));
  // ties get average ranks and shrink the variance: ranks 1.5 1.5 3.5 | 3.5 5.5 5.5, U = 6.5 - 6 = 0.5
  const tied = mannWhitneyU([1, 1, 2], [2, 3, 3]);
  t.is(tied.u, 0.5);
  t.true(Math.abs(tied.z - -(4 - 0.5) / Math.sqrt((9 / 12) * (7 - 18 / 30))) < 1e-9);
  t.is(mannWhitneyU([5, 5, 5], [5, 5]).p, 1, 'all values equal: nothing to tell apart');
  t.is(median([3, 1, 2]), 2);
  t.is(median([4, 1, 3, 2]), 2.5);
});

test('two samples of the same distribution are accepted (40 seeds, with skew, outliers and drift)', (t) => {
  for (let seed = 1; seed <= 40; seed++) {
    const [a, b] = interleaved(seed, 150, LOGIN, LOGIN, seed % 2 ? 0 : 10);
    const result = compareTimings(a, b);
    t.true(result.indistinguishable, `seed ${seed}: ${result.summary}`);
  }
});

test('a noisier host, with more stalls, still accepts the same distribution', (t) => {
  const noisy: Model = { baseMs: 25, jitterMs: 5, tailMs: 4, outlierRate: 0.1 };
  for (let seed = 100; seed < 110; seed++) {
    const result = compareTimings(...interleaved(seed, 150, noisy, noisy, 15));
    t.true(result.indistinguishable, `seed ${seed}: ${result.summary}`);
  }
});

test('an unknown email answered 20 ms sooner (no argon2 verify) is rejected by both criteria', (t) => {
  // A: wrong password for a real user (verifies its hash); B: unknown email that skipped the dummy hash
  const skipped: Model = { ...LOGIN, baseMs: LOGIN.baseMs - 20 };
  for (let seed = 1; seed <= 10; seed++) {
    const result = compareTimings(...interleaved(seed, 150, LOGIN, skipped));
    t.false(result.indistinguishable, result.summary);
    t.false(result.mediansClose, result.summary);
    t.false(result.mannWhitneyAccepts, result.summary);
    t.true(result.p < 1e-20, result.summary);
    t.true(result.medianDifference > 15, result.summary);
  }
  // still on a much noisier host, and with the fewer samples of a shortened run
  const noisy: Model = { baseMs: 25, jitterMs: 5, tailMs: 4, outlierRate: 0.1 };
  const result = compareTimings(...interleaved(7, 50, noisy, { ...noisy, baseMs: 5 }, 15));
  t.false(result.mediansClose, result.summary);
  t.false(result.mannWhitneyAccepts, result.summary);
});

test('the margin is max(3 ms, 10 % of the larger median); a shift inside it is accepted only if the test agrees', (t) => {
  const slow: Model = { baseMs: 80, jitterMs: 3, tailMs: 2, outlierRate: 0.02 };
  const within = compareTimings(...interleaved(3, 150, slow, slow));
  t.true(Math.abs(within.margin - 0.1 * Math.max(within.medianA, within.medianB)) < 1e-9);
  t.true(within.indistinguishable, within.summary);
  t.is(compareTimings([1, 2, 3], [1, 2, 3]).margin, 3);
  // a steady 2 ms difference with little noise is inside the 3 ms margin, but plainly measurable:
  // the rank test catches it, so it is not called indistinguishable
  const quiet: Model = { baseMs: 25, jitterMs: 0.3, tailMs: 0.2, outlierRate: 0 };
  const shifted = compareTimings(...interleaved(5, 150, quiet, { ...quiet, baseMs: 23 }));
  t.true(shifted.mediansClose, shifted.summary);
  t.false(shifted.mannWhitneyAccepts, shifted.summary);
  t.false(shifted.indistinguishable);
});
