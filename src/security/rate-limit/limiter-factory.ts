// Builds rate limiters (rate-limiter-flexible). With Redis the counters are shared by every server
// process; while Redis is unreachable each limiter falls back to a per-process counter with the same
// limits (its insurance limiter) and returns to Redis by itself once it answers again. Without Redis
// (embedded mode) the counters live in this process.
import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from 'rate-limiter-flexible';

export interface LimiterSpec {
  /** Key namespace of this limiter (for example `ip`, `client`, `login-pair`). */
  name: string;
  /** Points (requests, failures) allowed per window. */
  points: number;
  durationSeconds: number;
  /** Once over the limit, refuse for this long instead of until the window ends. */
  blockSeconds?: number;
}

export type CreateLimiter = (spec: LimiterSpec) => RateLimiterAbstract;

/**
 * How long a limiter waits for Redis. A Redis that is down is noticed at once (the connection is not
 * ready); one that keeps its connection open without answering (a network partition, a stalled
 * server) would otherwise hold every request until TCP gives up, minutes later.
 */
export const REDIS_DEADLINE_MS = 300;

type StoreCall = (this: RateLimiterRedis, ...args: unknown[]) => Promise<unknown>;
const redisStore = RateLimiterRedis.prototype as unknown as { _upsert: StoreCall; _get: StoreCall };

function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(new Error(`Redis did not answer within ${ms} ms`)), ms);
  });
  work.catch(() => {}); // a late failure after the deadline has nobody left to tell
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

/**
 * A Redis limiter whose store calls give up after `deadlineMs`. rate-limiter-flexible treats the
 * rejection like any other store error and answers from the insurance limiter, so a hanging Redis
 * costs a request at most the deadline.
 */
class DeadlineRedisLimiter extends RateLimiterRedis {
  deadlineMs = REDIS_DEADLINE_MS;

  _upsert(...args: unknown[]): Promise<unknown> {
    return withDeadline(redisStore._upsert.apply(this, args), this.deadlineMs);
  }

  _get(...args: unknown[]): Promise<unknown> {
    return withDeadline(redisStore._get.apply(this, args), this.deadlineMs);
  }
}

export function createLimiterFactory(redis: Redis | undefined, redisPrefix: string, options: { deadlineMs?: number } = {}): CreateLimiter {
  return (spec) => {
    const limits = {
      keyPrefix: `${redisPrefix}rl:${spec.name}`,
      points: spec.points,
      duration: spec.durationSeconds,
      ...(spec.blockSeconds ? { blockDuration: spec.blockSeconds } : {}),
    };
    if (!redis) return new RateLimiterMemory(limits);
    const limiter = new DeadlineRedisLimiter({
      ...limits,
      storeClient: redis,
      // a Redis that is not connected is not waited for: the per-process insurance answers at once
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(limits),
    });
    if (options.deadlineMs !== undefined) limiter.deadlineMs = options.deadlineMs;
    return limiter;
  };
}
