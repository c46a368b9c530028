// Budgets spent through the process's own tally: exact near the end of a budget, batched far from it,
// and always counted in the shared counter in the end.
import test from 'ava';
import { RateLimiterMemory } from 'rate-limiter-flexible';
import { createBatchedBudgets } from '../../src/security/rate-limit/batched-budgets.ts';

/** A shared counter that counts how often it is asked. */
function countedLimiter(points: number) {
  const limiter = new RateLimiterMemory({ points, duration: 60 });
  let syncs = 0;
  const penalty = limiter.penalty.bind(limiter);
  limiter.penalty = (key, value, options) => {
    syncs++;
    return penalty(key, value, options);
  };
  return { limiter, syncs: () => syncs };
}

test('a small budget syncs on every request: the refusal comes exactly after the last point', async (t) => {
  const { limiter, syncs } = countedLimiter(5);
  const budgets = createBatchedBudgets(limiter, 5, 60);
  const answers = [];
  for (let index = 0; index < 7; index++) answers.push(await budgets.spend('10.0.0.1'));
  t.deepEqual(
    answers.map((answer) => answer.allowed),
    [true, true, true, true, true, false, false],
  );
  t.deepEqual(
    answers.map((answer) => answer.remaining),
    [4, 3, 2, 1, 0, 0, 0],
  );
  t.is(syncs(), 7);
});

test('a large budget batches its counting (one sync per SYNC_MS), and another process sees the points', async (t) => {
  let clock = 1_000_000;
  const { limiter, syncs } = countedLimiter(100_000);
  const budgets = createBatchedBudgets(limiter, 100_000, 60, () => clock);
  for (let index = 0; index < 1_000; index++) await budgets.spend('client-a');
  t.true(syncs() <= 2, `${syncs()} syncs for 1000 requests within one instant`);
  clock += 150;
  const after = await budgets.spend('client-a');
  t.is(after.consumed, 1_001, 'the next request after the interval brings every point to the shared counter');
  t.is((await limiter.get('client-a'))?.consumedPoints, 1_001);

  // a second process learns what the first one spent at its first sync
  const other = createBatchedBudgets(limiter, 100_000, 60, () => clock);
  t.is((await other.spend('client-a')).consumed, 1_002);
});

test('near the end of a large budget every request syncs again, so processes together do not overshoot it', async (t) => {
  const clock = 5_000_000;
  const { limiter } = countedLimiter(80);
  const first = createBatchedBudgets(limiter, 80, 60, () => clock);
  const second = createBatchedBudgets(limiter, 80, 60, () => clock);
  let allowed = 0;
  for (let index = 0; index < 100; index++) {
    if ((await (index % 2 === 0 ? first : second).spend('10.0.0.9')).allowed) allowed++;
  }
  t.true(allowed <= 80 + 80 / 8, `${allowed} allowed of a budget of 80`);
  t.true(allowed >= 80 - 1);
});
