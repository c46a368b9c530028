// Gives every request an id (returned as X-Request-Id) and logs one line per request when it ends:
// method, route (path without query), status, duration, client id where known.
import { randomUUID } from 'node:crypto';
import type { Middleware } from 'koa';
import type { Logger } from './logger.ts';

const SAFE_REQUEST_ID = /^[\w.-]{8,64}$/;

export function requestContext(logger: Logger): Middleware {
  return async (ctx, next) => {
    const incoming = ctx.get('X-Request-Id');
    const requestId = SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    ctx.state.requestId = requestId;
    ctx.state.log = logger.child({ requestId });
    ctx.set('X-Request-Id', requestId);
    const started = performance.now();
    try {
      await next();
    } finally {
      const oidc = (ctx as { oidc?: { client?: { clientId?: string }; route?: string } }).oidc;
      ctx.state.log.info(
        {
          method: ctx.method,
          path: ctx.path,
          route: oidc?.route,
          status: ctx.status,
          durationMs: Math.round((performance.now() - started) * 10) / 10,
          clientId: oidc?.client?.clientId,
          ip: ctx.ip,
        },
        'request',
      );
    }
  };
}
