// Maps errors of our own routes to answers: an AppError to its status with a stable code (the error
// page on a page, to a browser; JSON everywhere else: the admin API, the provider's JSON endpoints and
// paths no route answers, whatever Accept says); anything unexpected to a generic 500 carrying the
// request id, with the stack logged and never shown.
import type { Middleware } from 'koa';
import { isStoreUnavailable } from '../storage/store-errors.ts';
import { AppError } from './app-error.ts';
import { requestLogger } from '../observability/request-context.ts';
import type { RenderView } from './views.ts';

/** `isPage(path)`: a page lives there, whose errors are the error page to a browser (the app knows which). */
export function errorHandler(render: RenderView, isPage: (path: string) => boolean): Middleware {
  return async (ctx, next) => {
    try {
      await next();
      // oidc-provider answers store outages itself (503 temporarily_unavailable): add the hint
      if (ctx.status === 503) ctx.set('Retry-After', '5');
    } catch (caught) {
      const error =
        caught instanceof AppError
          ? caught
          : isStoreUnavailable(caught)
            ? new AppError('temporarily_unavailable', 'A data store is unavailable. Please retry in a moment.', 503, true)
            : undefined;
      if (error?.status === 503) ctx.set('Retry-After', '5');
      const status = error?.status ?? ((caught as { status?: number }).status === 413 ? 413 : 500);
      const code = error?.code ?? (status === 413 ? 'payload_too_large' : 'server_error');
      const message = error?.expose ? error.message : status === 413 ? 'the request body is too large' : 'an unexpected error occurred';
      if (!error) requestLogger(ctx)?.error({ err: caught }, 'unhandled error');
      else if (error.status === 503) requestLogger(ctx)?.warn({ err: caught }, 'store unavailable');
      ctx.status = status;
      if (isPage(ctx.path) && ctx.accepts('json', 'html') === 'html') {
        ctx.type = 'html';
        ctx.body = render('error', { error: code, description: message, requestId: ctx.state.requestId });
      } else {
        ctx.body = { error: code, error_description: message, request_id: ctx.state.requestId as string | undefined };
      }
    }
  };
}
