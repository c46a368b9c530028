// The answer to a request over a limit: 429 with Retry-After and the RateLimit fields of the policy
// that refused, and a body in the shape the caller expects there.
import type { Context } from 'koa';
import { AppError } from '../../http/app-error.ts';
import type { Endpoints } from './endpoints.ts';
import { describeWait, setRateLimitHeaders, type RateLimitState } from './rate-limit-headers.ts';

/**
 * Answers 429 for `state`'s policy. On the provider's JSON endpoints the body is an OAuth error;
 * anywhere else an AppError is thrown, which the error handler shows as our error page to browsers
 * and as our JSON error to everyone else. `message` turns "42 seconds" into the sentence a person reads.
 */
export function refuse(ctx: Context, state: RateLimitState, message: (wait: string) => string, endpoints: Endpoints): void {
  const seconds = Math.max(1, Math.ceil(state.resetSeconds));
  setRateLimitHeaders(ctx, { ...state, remaining: 0, resetSeconds: seconds });
  if (endpoints.oauthJson(ctx.path)) {
    // RFC 6749 defines no error code for rate limiting. `temporarily_unavailable` is the registered
    // one meaning "retry later" (RFC 6749 §4.1.2.1: the server is temporarily overloaded), which
    // OAuth clients already handle; RFC 8628's `slow_down` would be wrong outside device-code
    // polling (it tells the client to poll 5 seconds slower). The 429 status and Retry-After say
    // exactly why and how long.
    ctx.status = 429;
    ctx.body = { error: 'temporarily_unavailable', error_description: `rate limit exceeded; retry in ${seconds} seconds` };
    return;
  }
  throw new AppError('too_many_requests', message(describeWait(seconds)), 429);
}
