// What a refused password gets, wherever a password is asked for: one generic message for a wrong
// password, an unknown email, a locked account and a blocked (account, IP) pair (any difference would
// tell an attacker which accounts exist or are under attack); a 429 when the address is blocked;
// and the audit events an investigation of a guessing attack starts from.
import type { Context } from 'koa';
import type { AuthenticationResult } from '../accounts/authenticate.ts';
import { AppError } from '../http/app-error.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { describeWait, setRateLimitHeaders } from '../security/rate-limit/rate-limit-headers.ts';

export const LOGIN_FAILED = 'Incorrect email or password. After repeated failures, signing in to an account pauses for a while.';
export const ACCOUNT_DISABLED = 'This account is disabled.';

type Refusal = Exclude<AuthenticationResult, { ok: true }>;

/** Who was targeted (the email, and the account when known), never the password. */
function failureFacts(result: Refusal, email: string, extra: Record<string, unknown>) {
  const target = 'accountId' in result && result.accountId ? { target: { type: 'user' as const, id: result.accountId } } : {};
  return { ...target, details: { reason: result.reason, email: email.slice(0, 254), ...extra } };
}

/**
 * Audits a refused password and says what to show; throws the 429 of a blocked address.
 * `context` adds the client of a sign-in, or details naming the page that asked.
 */
export async function answerRefusedPassword(
  ctx: Context,
  audit: AuditTrail,
  result: Refusal,
  email: string,
  context: { clientId?: string; details?: Record<string, unknown> } = {},
): Promise<string> {
  const client = context.clientId === undefined ? {} : { clientId: context.clientId };
  const extra = context.details ?? {};
  if (result.reason === 'ip_blocked') {
    setRateLimitHeaders(ctx, {
      policy: 'login-ip-failures',
      limit: result.limit,
      windowSeconds: result.windowSeconds,
      remaining: 0,
      resetSeconds: result.retryAfterSeconds,
    });
    throw new AppError(
      'too_many_attempts',
      `Too many failed sign-ins from your network. Try again in ${describeWait(result.retryAfterSeconds)}.`,
      429,
    );
  }
  const facts = failureFacts(result, email, extra);
  audit.record({ ...requestFacts(ctx), type: 'login.failed', outcome: 'failure', ...client, ...facts });
  if (result.reason === 'invalid_credentials' && result.lock.lockedUntil) {
    // durable before the answer: a lock is what an investigation of a brute-force attack starts from
    await audit.recordDurable({
      ...requestFacts(ctx),
      type: 'account.locked',
      outcome: 'success',
      ...client,
      ...facts,
      details: { email: email.slice(0, 254), ...extra, failures: result.lock.failures, lockedUntil: result.lock.lockedUntil.toISOString() },
    });
  }
  if (result.reason === 'invalid_credentials' && result.lock.ipBlockStarted) {
    // one event when an address's block starts, not one per refused request: a flood must not flood the trail
    const { limit, windowSeconds } = result.lock.ipBlockStarted;
    audit.record({
      ...requestFacts(ctx),
      type: 'rate_limit.exceeded',
      outcome: 'failure',
      ...client,
      details: { limit: 'login-ip-failures', max: limit, windowSeconds, ...extra },
    });
  }
  return result.reason === 'account_disabled' ? ACCOUNT_DISABLED : LOGIN_FAILED;
}
