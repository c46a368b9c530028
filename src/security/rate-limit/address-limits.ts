// Limits counted per client address: a ceiling on every request, and a stricter one on login and
// MFA form submissions (each may cost a password hash, and they are what a guessing attack sends).
import type { Context, Middleware } from 'koa';
import { addressKey } from './client-address.ts';
import { isFormSubmission, type Endpoints } from './endpoints.ts';
import { authenticatedClientId } from './client-quota.ts';
import { SpentBudgets } from './spent-budgets.ts';
import { requestLogger } from '../../observability/request-context.ts';
import type { LimitName, ReportExceeded } from './exceeded-report.ts';
import type { CreateLimiter } from './limiter-factory.ts';
import { refuse } from './refusal.ts';
import { addRateLimitHeaders } from './rate-limit-headers.ts';
import { WINDOW_SECONDS } from './spend.ts';
import { createBatchedBudgets, type BatchedBudgets } from './batched-budgets.ts';

interface AddressLimitOptions {
  limit: Exclude<LimitName, 'client'>;
  perMinute: number;
  createLimiter: CreateLimiter;
  report: ReportExceeded;
  endpoints: Endpoints;
  appliesTo: (ctx: Context) => boolean;
  message: (wait: string) => string;
}

/** The budgets of one per-address limit, spent through this process's tally (batched-budgets.ts). */
const addressBudgets = (createLimiter: CreateLimiter, name: string, perMinute: number) =>
  createBatchedBudgets(createLimiter({ name, points: perMinute, durationSeconds: WINDOW_SECONDS }), perMinute, WINDOW_SECONDS);

function addressLimit(
  options: AddressLimitOptions,
  budgets: BatchedBudgets = addressBudgets(options.createLimiter, options.limit, options.perMinute),
): Middleware {
  const { limit, perMinute } = options;
  return async (ctx, next) => {
    if (!options.appliesTo(ctx)) {
      await next();
      return;
    }
    const key = addressKey(ctx.ip);
    const budget = await budgets.spend(key);
    const state = {
      policy: limit,
      limit: perMinute,
      windowSeconds: WINDOW_SECONDS,
      remaining: budget.remaining,
      resetSeconds: budget.resetSeconds,
    };
    if (!budget.allowed) {
      await options.report(ctx, { limit, key, max: perMinute, windowSeconds: WINDOW_SECONDS, retryAfterSeconds: budget.resetSeconds });
      refuse(ctx, state, options.message, options.endpoints);
      return;
    }
    addRateLimitHeaders(ctx, state);
    await next();
  };
}

export interface AddressLimitDeps {
  perMinute: number;
  createLimiter: CreateLimiter;
  report: ReportExceeded;
  endpoints: Endpoints;
}

/**
 * `perMinute` requests per minute from one address, to any endpoint but the health probes and, when
 * `formPerMinute` is the stricter limit, the form submissions: those meet that limit instead, and a
 * login costs one round trip to the counters, not two.
 *
 * On the endpoints where clients authenticate (token, introspection, …) a request that authenticates
 * is counted against its client's quota instead (client-quota.ts), and only one that does not is
 * counted against its address — after the answer, so that each request costs one round trip to the
 * counters, not two. Before the answer the address is checked against what this process saw spent.
 */
export function addressCeiling(deps: AddressLimitDeps & { formPerMinute: number }): Middleware {
  const budgets = addressBudgets(deps.createLimiter, 'ip', deps.perMinute);
  const message = (wait: string) => `Too many requests from your network. Try again in ${wait}.`;
  const everywhere = addressLimit(
    {
      ...deps,
      limit: 'ip',
      appliesTo: (ctx) =>
        !deps.endpoints.unlimited(ctx.path) && !(deps.formPerMinute <= deps.perMinute && isFormSubmission(ctx.method, ctx.path)),
      message,
    },
    budgets,
  );
  const spent = new SpentBudgets();

  return async (ctx, next) => {
    if (!deps.endpoints.clientQuota(ctx.method, ctx.path)) {
      await everywhere(ctx, next);
      return;
    }
    const key = addressKey(ctx.ip);
    const wait = spent.secondsLeft(key);
    if (wait > 0) {
      await deps.report(ctx, { limit: 'ip', key, max: deps.perMinute, windowSeconds: WINDOW_SECONDS, retryAfterSeconds: wait });
      refuse(
        ctx,
        { policy: 'ip', limit: deps.perMinute, windowSeconds: WINDOW_SECONDS, remaining: 0, resetSeconds: wait },
        message,
        deps.endpoints,
      );
      return;
    }
    await next();
    if (authenticatedClientId(ctx)) return;
    // The provider has answered: a store fault only costs this request's count, and is logged.
    try {
      const budget = await budgets.spend(key);
      spent.note(key, budget);
      // a refusal names only the policy that refused
      if (ctx.status !== 429)
        addRateLimitHeaders(ctx, {
          policy: 'ip',
          limit: deps.perMinute,
          windowSeconds: WINDOW_SECONDS,
          remaining: budget.remaining,
          resetSeconds: budget.resetSeconds,
        });
    } catch (error) {
      requestLogger(ctx)?.warn({ err: error }, 'a request could not be counted against its address');
    }
  };
}

/** `perMinute` login and MFA form submissions per minute from one address. */
export const formSubmissionLimit = (deps: AddressLimitDeps): Middleware =>
  addressLimit({
    ...deps,
    limit: 'form',
    appliesTo: (ctx) => isFormSubmission(ctx.method, ctx.path),
    message: (wait) => `Too many attempts from your network. Try again in ${wait}.`,
  });
