// Maps errors of our own routes to answers: an AppError to its status with a stable code (JSON for
// API callers, the error page for browsers); anything unexpected to a generic 500 carrying the
// request id, with the stack logged and never shown.
import type { Middleware } from 'koa';
import { AppError } from './app-error.ts';
import type { RenderView } from '../interactions/views.ts';

export function errorHandler(render: RenderView): Middleware {
  return async (ctx, next) => {
    try {
      await next();
    } catch (caught) {
      const error = caught instanceof AppError ? caught : undefined;
      const status = error?.status ?? ((caught as { status?: number }).status === 413 ? 413 : 500);
      const code = error?.code ?? (status === 413 ? 'payload_too_large' : 'server_error');
      const message = error?.expose ? error.message : status === 413 ? 'the request body is too large' : 'an unexpected error occurred';
      if (!error) ctx.state.log?.error({ err: caught }, 'unhandled error');
      ctx.status = status;
      if (ctx.accepts('json', 'html') === 'html') {
        ctx.type = 'html';
        ctx.body = render('error', { error: code, description: message, requestId: ctx.state.requestId });
      } else {
        ctx.body = { error: code, error_description: message, request_id: ctx.state.requestId };
      }
    }
  };
}
