// Security headers on every response: strict CSP (no inline script or style, forms post only to us),
// no framing, no sniffing, no referrer beyond our own origin, nothing cached; HSTS when served over https.
import type { Context, Middleware } from 'koa';

const directives = (formAction: string) =>
  [
    "default-src 'none'",
    "style-src 'self'",
    "img-src 'self' data:",
    "script-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    `form-action ${formAction}`,
    "frame-ancestors 'none'",
  ].join('; ');

const CSP = directives("'self'");

/**
 * A CSP source for where `uri` leads: its origin for http(s), its scheme for a native app's
 * private-use scheme (`com.example.app:`); undefined for anything unusable.
 */
function sourceOf(uri: string): string | undefined {
  let url: URL;
  try {
    url = new URL(uri);
  } catch {
    return undefined;
  }
  if (url.protocol === 'http:' || url.protocol === 'https:') return url.origin;
  return /^[a-z][a-z0-9+.-]*:$/.test(url.protocol) ? url.protocol : undefined;
}

/**
 * Lets this page's forms end at `uri` as well: browsers apply `form-action` to every redirect after a
 * submission (Chromium does), so a sign-in page whose form post ends in a redirect to the client's
 * redirect_uri, or a logout page that ends at its post_logout_redirect_uri, must name that target.
 * Only ever called with a URI the provider validated against the client's registration.
 */
export function allowFormRedirect(ctx: Context, uri: unknown): void {
  const source = typeof uri === 'string' ? sourceOf(uri) : undefined;
  if (!source) return;
  const current = ctx.response.get('Content-Security-Policy');
  // keep anything else already added to the header (oidc-provider adds inline-script hashes)
  ctx.set(
    'Content-Security-Policy',
    current.replace(/form-action ([^;]*)/, (directive, sources: string) =>
      sources.split(/\s+/).includes(source) ? directive : `form-action ${sources} ${source}`,
    ),
  );
}

interface ProviderRequest {
  oidc?: { redirectUriCheckPerformed?: boolean; params?: { redirect_uri?: unknown } };
}

export function securityHeaders(options: { https: boolean }): Middleware {
  return async (ctx, next) => {
    ctx.set('Content-Security-Policy', CSP);
    ctx.set('X-Content-Type-Options', 'nosniff');
    ctx.set('X-Frame-Options', 'DENY');
    // same-origin, not no-referrer: under no-referrer browsers send `Origin: null` on our own form
    // posts, which the cross-site guard (same-origin-guard.ts) must refuse; other sites still get nothing
    ctx.set('Referrer-Policy', 'same-origin');
    ctx.set('Cross-Origin-Opener-Policy', 'same-origin');
    ctx.set('Cache-Control', 'no-store');
    if (options.https) ctx.set('Strict-Transport-Security', 'max-age=63072000; includeSubDomains');
    await next();
    // an authorization answer the provider renders as a page (response_mode=form_post) posts to the
    // redirect_uri it has just checked against the client's registration
    const oidc = (ctx as unknown as ProviderRequest).oidc;
    if (oidc?.redirectUriCheckPerformed) allowFormRedirect(ctx, oidc.params?.redirect_uri);
  };
}
