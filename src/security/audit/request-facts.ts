// The request facts every audit event carries: client IP (honouring TRUST_PROXY through Koa),
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
