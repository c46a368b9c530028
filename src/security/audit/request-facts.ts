// The request facts every audit event carries: client IP (ctx.ip: the address TRUST_PROXY hops
// resolve to in app.ts, the same one rate limits and lockout count),
// user agent (truncated) and the request id that also appears in the request's log line.
import type { Context } from 'koa';
import type { AuditEventInput } from './audit-event.ts';

export function requestFacts(ctx: Context): Pick<AuditEventInput, 'ip' | 'userAgent' | 'requestId'> {
  const userAgent = ctx.get('User-Agent');
  return {
    ip: ctx.ip,
    ...(userAgent ? { userAgent: userAgent.slice(0, 256) } : {}),
    ...(typeof ctx.state.requestId === 'string' ? { requestId: ctx.state.requestId } : {}),
  };
}
