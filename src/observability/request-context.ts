// Gives every request an id (returned as X-Request-Id) and logs one line per request when it ends:
// method, route (path without query), status, duration, client id and subject where known.
import { randomUUID } from 'node:crypto';
import type { Context, Middleware } from 'koa';
import type { Logger } from './logger.ts';

const SAFE_REQUEST_ID = /^[\w.-]{8,64}$/;

/** A redacting logger bound to the request's id, for anything a request logs besides its line. */
export function requestLogger(ctx: { state: { requestId?: string; logger?: Logger } }): Logger | undefined {
  return ctx.state.logger?.child({ requestId: ctx.state.requestId });
}

export function requestContext(logger: Logger): Middleware {
  // The request line holds only the fixed fields below (never a query string, body or header), so
  // it skips the redaction pass, which would otherwise cost more than the rest of a token request.
  // The query string stays out for good: the links sent by email carry their one-time token there
  // (/account/reset-password?token=…), and test/integration/server-process.test.ts fails if one ever
  // reaches a log line.
  const requestLog = logger.child({}, { redact: { paths: [] } });
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.logger = logger;
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      // below the level, the line is not even built
      if (requestLog.isLevelEnabled('info')) logRequest(ctx, requestId, started);
    }
  };

  function logRequest(ctx: Context, requestId: string, started: number): void {
    const oidc = (ctx as { oidc?: { client?: { clientId?: string }; route?: string; entities?: { Account?: { accountId?: string } } } })
      .oidc;
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
}
