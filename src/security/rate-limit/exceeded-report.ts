// What a refusal leaves behind: every refused request is counted in the metrics; only the first
// refusal of a key in its window becomes an audit event, so a flood cannot flood the audit trail.
import type { Context } from 'koa';
import { RateLimiterRes } from 'rate-limiter-flexible';
import type { AuditTrail } from '../audit/audit-event.ts';
import { requestFacts } from '../audit/request-facts.ts';
import { requestLogger } from '../../observability/request-context.ts';
import { auditedPath } from './endpoints.ts';
import type { CreateLimiter } from './limiter-factory.ts';

export type LimitName = 'ip' | 'client' | 'form';

export interface Exceeded {
  limit: LimitName;
  /** What was counted: an address (or IPv6 /64), a client id, a public client with its address. */
  key: string;
  max: number;
  windowSeconds: number;
  /** Seconds left in the window that refused. */
  retryAfterSeconds: number;
  /** The client whose quota it was (claimed by the request, which was not authenticated). */
  clientId?: string;
}

export type ReportExceeded = (ctx: Context, exceeded: Exceeded) => Promise<void>;

export function createExceededReporter(deps: {
  createLimiter: CreateLimiter;
  audit: AuditTrail;
  onRefused: (limit: LimitName) => void;
}): ReportExceeded {
  // One point per (limit, key), kept for the rest of the refusing window: the refusal that gets it
  // is the window's first (across all processes when the counters are in Redis).
  const firstRefusals = deps.createLimiter({ name: 'refused', points: 1, durationSeconds: 60 });
  return async (ctx, exceeded) => {
    deps.onRefused(exceeded.limit);
    try {
      await firstRefusals.consume(`${exceeded.limit}:${exceeded.key}`, 1, {
        customDuration: Math.max(1, Math.ceil(exceeded.retryAfterSeconds)),
      });
    } catch (error) {
      if (!(error instanceof RateLimiterRes))
        requestLogger(ctx)?.warn({ err: error }, 'rate-limit refusal not audited: its first-of-window marker is unavailable');
      return;
    }
    // an IPv6 address is counted with its /64: name the range that was refused, beside the address
    const range = exceeded.limit !== 'client' && exceeded.key.endsWith('/64') ? exceeded.key : undefined;
    deps.audit.record({
      ...requestFacts(ctx),
      type: 'rate_limit.exceeded',
      outcome: 'failure',
      ...(exceeded.clientId ? { clientId: exceeded.clientId, target: { type: 'client' as const, id: exceeded.clientId } } : {}),
      details: {
        limit: exceeded.limit,
        max: exceeded.max,
        windowSeconds: exceeded.windowSeconds,
        method: ctx.method,
        path: auditedPath(ctx.path),
        ...(range ? { addressRange: range } : {}),
      },
    });
  };
}
