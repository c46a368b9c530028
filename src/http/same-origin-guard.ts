// The one guard against cross-site form posts (CSRF), in front of every form that changes something:
// the first middleware of our page routers (page-router.ts: the sign-in steps, the account page), and
// mounted by app.ts before the provider's logout confirmation.
// A request that changes state is refused with 403 when the browser says it comes from anywhere but
// the issuer's own origin:
// - Fetch Metadata first: a browser that sends `Sec-Fetch-Site` says exactly where the request comes
//   from; only `same-origin` passes (`same-site` is a sibling subdomain, `none` a navigation the user
//   started, which never posts our forms, `cross-site` another site);
// - then `Origin`: it must be the issuer's origin; `null` (sandboxed frames, data: URLs, privacy
//   redirects) is another site. Our pages send Referrer-Policy: same-origin, so a browser sends the
//   real Origin on their own posts (under no-referrer it would send `null`).
// A request with neither header comes from no browser (or one too old for both); the SameSite=Lax
// cookies remain its guard.
import type { Middleware } from 'koa';
import { AppError } from './app-error.ts';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export function refuseCrossSite(issuer: string): Middleware {
  const issuerOrigin = new URL(issuer).origin;
  return (ctx, next) => {
    if (SAFE_METHODS.has(ctx.method)) return next();
    const site = ctx.get('Sec-Fetch-Site');
    const origin = ctx.get('Origin');
    if ((site && site !== 'same-origin') || (origin && origin !== issuerOrigin)) {
      throw new AppError(
        'cross_site_request',
        'This form was submitted from another site, so it was not accepted. Go back to the page you started on and try again.',
        403,
      );
    }
    return next();
  };
}
