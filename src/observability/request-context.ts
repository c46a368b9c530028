// Gives every request an id (returned as X-Request-Id) and logs one line per request when it ends:
// method, route (path without query), status, duration, client id and subject where known.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from './logger.ts';

const SAFE_REQUEST_ID = /^[\w.-]{8,64}$/;

export function requestContext(logger: Logger): Middleware {
  // The request line holds only the fixed fields below (never a query string, body or header), so
  // it skips the redaction pass, which would otherwise cost more than the rest of a token request.
  const requestLog = logger.child({}, { redact: { paths: [] } });
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    // A redacting child logger for anything else this request logs, made only when used.
    let log: Logger | undefined;
    Object.defineProperty(ctx.state, 'log', { get: () => (log ??= logger.child({ requestId })), configurable: true, enumerable: true });
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      const oidc = (ctx as { oidc?: { client?: { clientId?: string }; route?: string; entities?: { Account?: { accountId?: string } } } }).oidc;
      requestLog.info(
        {
          requestId,
          method: ctx.method,
          path: ctx.path,
          route: oidc?.route,
          status: ctx.status,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          clientId: oidc?.client?.clientId,
          subject: oidc?.entities?.Account?.accountId,
          ip: ctx.ip,
        },
        'request',
      );
    }
  };
}
