// The answer's rate-limit fields: Retry-After (RFC 9110) and the IETF RateLimit fields
// (draft-ietf-httpapi-ratelimit-headers, structured form), so a client can tell how long to back off.
import type { Context } from 'koa';

export interface RateLimitState {
  /** Name of the policy, as the client sees it in RateLimit-Policy. */
  policy: string;
  limit: number;
  windowSeconds: number;
  remaining: number;
  /** Seconds until the budget is available again. */
  resetSeconds: number;
}

const resetOf = (state: RateLimitState) => Math.max(1, Math.ceil(state.resetSeconds));
const policyItem = (state: RateLimitState) => `"${state.policy}";q=${state.limit};w=${state.windowSeconds}`;
const limitItem = (state: RateLimitState) => `"${state.policy}";r=${Math.max(0, state.remaining)};t=${resetOf(state)}`;

export function setRateLimitHeaders(ctx: Context, state: RateLimitState): void {
  ctx.set('RateLimit-Policy', policyItem(state));
  ctx.set('RateLimit', limitItem(state));
  if (state.remaining <= 0) ctx.set('Retry-After', String(resetOf(state)));
}

/**
 * Adds one policy to the fields, keeping the policies already there (both fields are lists: a token
 * request answers for its IP's budget and its client's). For answers that were let through; a
 * refusal uses setRateLimitHeaders, so that it names only the policy that refused.
 */
export function addRateLimitHeaders(ctx: Context, state: RateLimitState): void {
  ctx.append('RateLimit-Policy', policyItem(state));
  ctx.append('RateLimit', limitItem(state));
}

/** "45 seconds", "3 minutes": how long to wait, for a person. */
export function describeWait(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.ceil(seconds))} seconds`;
  return `${Math.ceil(seconds / 60)} minutes`;
}
