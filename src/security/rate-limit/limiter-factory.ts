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

export function createLimiterFactory(redis: Redis | undefined, redisPrefix: string): CreateLimiter {
  return (spec) => {
    const options = {
      keyPrefix: `${redisPrefix}rl:${spec.name}`,
      points: spec.points,
      duration: spec.durationSeconds,
      ...(spec.blockSeconds ? { blockDuration: spec.blockSeconds } : {}),
    };
    if (!redis) return new RateLimiterMemory(options);
    return new RateLimiterRedis({
      ...options,
      storeClient: redis,
      // a Redis that is not connected is not waited for: the per-process insurance answers at once
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(options),
    });
  };
}
