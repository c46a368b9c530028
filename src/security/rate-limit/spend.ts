// Spending and reading a budget, with the limiter's two kinds of "no" told apart: a refusal (the
// budget is used up: rate-limiter-flexible rejects with a RateLimiterRes) and a store fault. A fault
// is never taken for a pass: it becomes a 503, so an outage cannot switch the limits off unnoticed.
// (With Redis every limiter has a per-process insurance limiter, so a fault should never get here.)
import { RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { AppError } from '../../http/app-error.ts';

/** Every limit here counts requests per minute. */
export const WINDOW_SECONDS = 60;

export interface BudgetState {
  /** False when this request was over the budget. */
  allowed: boolean;
  /** Points spent in the current window, this request included. */
  consumed: number;
  remaining: number;
  /** Seconds until the window ends. */
  resetSeconds: number;
}

export function storeFault(cause: unknown): AppError {
  const error = new AppError('temporarily_unavailable', 'The rate-limit store is unavailable. Please retry in a moment.', 503);
  return Object.assign(error, { cause });
}

const stateOf = (res: RateLimiterRes, allowed: boolean): BudgetState => ({
  allowed,
  consumed: res.consumedPoints,
  remaining: res.remainingPoints,
  resetSeconds: Math.max(0, res.msBeforeNext) / 1000,
});

/** Spends one point of `key`'s budget. */
export async function spend(limiter: RateLimiterAbstract, key: string): Promise<BudgetState> {
  try {
    return stateOf(await limiter.consume(key), true);
  } catch (error) {
    if (error instanceof RateLimiterRes) return stateOf(error, false);
    throw storeFault(error);
  }
}
