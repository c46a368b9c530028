// Limits counted per client address: a ceiling on every request, and a stricter one on login and
// MFA form submissions (each may cost a password hash, and they are what a guessing attack sends).
import type { Context, Middleware } from 'koa';
import { addressKey } from './client-address.ts';
import { isFormSubmission, UNLIMITED_PATHS } from './endpoints.ts';
import type { LimitName, ReportExceeded } from './exceeded-report.ts';
import type { CreateLimiter } from './limiter-factory.ts';
import { refuse } from './refusal.ts';
import { addRateLimitHeaders } from './rate-limit-headers.ts';
import { spend, WINDOW_SECONDS } from './spend.ts';

interface AddressLimitOptions {
  limit: Exclude<LimitName, 'client'>;
  perMinute: number;
  createLimiter: CreateLimiter;
  report: ReportExceeded;
  appliesTo: (ctx: Context) => boolean;
  message: (wait: string) => string;
}

function addressLimit(options: AddressLimitOptions): Middleware {
  const { limit, perMinute } = options;
  const limiter = options.createLimiter({ name: limit, points: perMinute, durationSeconds: WINDOW_SECONDS });
  return async (ctx, next) => {
    if (!options.appliesTo(ctx)) return next();
    const key = addressKey(ctx.ip);
    const budget = await spend(limiter, key);
    const state = { policy: limit, limit: perMinute, windowSeconds: WINDOW_SECONDS, remaining: budget.remaining, resetSeconds: budget.resetSeconds };
    if (!budget.allowed) {
      await options.report(ctx, { limit, key, max: perMinute, windowSeconds: WINDOW_SECONDS, retryAfterSeconds: budget.resetSeconds });
      return refuse(ctx, state, options.message);
    }
    addRateLimitHeaders(ctx, state);
    return next();
  };
}

export interface AddressLimitDeps {
  perMinute: number;
  createLimiter: CreateLimiter;
  report: ReportExceeded;
}

/**
 * `perMinute` requests per minute from one address, to any endpoint but the health probes and, when
 * `formPerMinute` is the stricter limit, the form submissions: those meet that limit instead, and a
 * login costs one round trip to the counters, not two.
 */
export const addressCeiling = (deps: AddressLimitDeps & { formPerMinute: number }): Middleware =>
  addressLimit({
    ...deps,
    limit: 'ip',
    appliesTo: (ctx) => !UNLIMITED_PATHS.has(ctx.path) && !(deps.formPerMinute <= deps.perMinute && isFormSubmission(ctx.method, ctx.path)),
    message: (wait) => `Too many requests from your network. Try again in ${wait}.`,
  });

/** `perMinute` login and MFA form submissions per minute from one address. */
export const formSubmissionLimit = (deps: AddressLimitDeps): Middleware =>
  addressLimit({
    ...deps,
    limit: 'form',
    appliesTo: (ctx) => isFormSubmission(ctx.method, ctx.path),
    message: (wait) => `Too many attempts from your network. Try again in ${wait}.`,
  });
