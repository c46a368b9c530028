// The limiter factory with a Redis that is down or hangs: answers come from the per-process
// insurance limiter at once, or after the deadline; never a hang, never an unlimited pass.
import test from 'ava';
import type { Redis } from 'ioredis';
import { RateLimiterRes } from 'rate-limiter-flexible';
import { createLimiterFactory } from '../../src/security/rate-limit/limiter-factory.ts';

/** An ioredis look-alike that is connected but never answers (a partition, a stalled server). */
function silentRedis(status = 'ready') {
  const calls: string[] = [];
  const never = () => new Promise<never>(() => {});
  const multi = {
    get: () => multi,
    pttl: () => multi,
    set: () => multi,
    exec: () => {
      calls.push('exec');
      return never();
    },
  };
  const client = {
    status,
    defineCommand: () => {},
    rlflxIncr: () => {
      calls.push('incr');
      return never();
    },
    multi: () => multi,
  };
  return { client: client as unknown as Redis, calls };
}

/** The refusal of a consume (rate-limiter-flexible rejects with a RateLimiterRes, not an Error). */
const refusal = (work: Promise<unknown>) =>
  work.then(
    () => undefined,
    (error: unknown) => error,
  );

const elapsed = async <T>(work: Promise<T>) => {
  const started = performance.now();
  const value = await work;
  return { value, ms: performance.now() - started };
};

test('a Redis that never answers: each call waits at most the deadline, then the insurance limiter counts', async (t) => {
  const redis = silentRedis();
  const limiter = createLimiterFactory(redis.client, 'p:', { deadlineMs: 50 })({ name: 'ip', points: 2, durationSeconds: 60 });
  const first = await elapsed(limiter.consume('198.51.100.1'));
  t.true(first.ms >= 40 && first.ms < 1_000, `${first.ms} ms`);
  t.is(first.value.remainingPoints, 1);
  t.is((await limiter.consume('198.51.100.1')).remainingPoints, 0);
  t.true((await refusal(limiter.consume('198.51.100.1'))) instanceof RateLimiterRes, 'over the limit is still refused');
  const read = await elapsed(limiter.get('198.51.100.1'));
  t.is(read.value?.consumedPoints, 3);
  t.true(read.ms < 1_000);
  t.true(redis.calls.includes('incr') && redis.calls.includes('exec'), 'Redis was tried first');
});

test('a Redis that is not connected is not tried at all', async (t) => {
  const redis = silentRedis('reconnecting');
  const limiter = createLimiterFactory(redis.client, 'p:', { deadlineMs: 10_000 })({ name: 'client', points: 1, durationSeconds: 60 });
  const first = await elapsed(limiter.consume('svc'));
  t.true(first.ms < 100, `${first.ms} ms`);
  t.true((await refusal(limiter.consume('svc'))) instanceof RateLimiterRes);
  t.deepEqual(redis.calls, []);
});

test('without Redis the counters live in this process', async (t) => {
  const limiter = createLimiterFactory(undefined, 'p:')({ name: 'form', points: 1, durationSeconds: 60 });
  t.is((await limiter.consume('a')).remainingPoints, 0);
  t.true((await refusal(limiter.consume('a'))) instanceof RateLimiterRes);
  t.is((await limiter.consume('b')).remainingPoints, 0);
});
