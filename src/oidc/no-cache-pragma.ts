// Answers that must not be stored say so to HTTP/1.0 caches too: RFC 6749 §5.1 wants
// `Pragma: no-cache` beside `Cache-Control: no-store` on token answers, and introspection,
// revocation and userinfo answers carry the same kind of secrets. oidc-provider sets only
// Cache-Control, so every provider answer that forbids storing gets the Pragma header as well.
import type { Middleware } from 'koa';

export function pragmaNoCache(): Middleware {
  return async (ctx, next) => {
    await next();
    if (/\bno-store\b/i.test(ctx.response.get('Cache-Control'))) ctx.set('Pragma', 'no-cache');
  };
}
