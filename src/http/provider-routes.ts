// Which oidc-provider endpoint a request path reaches, decided the way the provider's own router
// decides (oidc-provider lib/helpers/router.js): its paths compared case-insensitively (upper-case
// folding that never turns a non-ASCII character into an ASCII one), and one trailing slash ignored.
// So `/TOKEN`, `/token/` and `/Token/Introspection/` are the token and introspection endpoints here
// exactly as they are there. The paths themselves come from the provider (`pathFor`), never from a
// copy: a quota, a same-origin guard or an error shape that asks here follows the provider's routing.
import type Provider from 'oidc-provider';

/** The provider routes Portcullis treats specially (static paths; a disabled feature has none). */
export const PROVIDER_ROUTE_NAMES = [
  'authorization',
  'end_session',
  'end_session_success',
  'code_verification',
  'token',
  'introspection',
  'revocation',
  'pushed_authorization_request',
  'device_authorization',
  'registration',
  'userinfo',
  'jwks',
  'backchannel_authentication',
  'challenge',
  'end_session_confirm',
] as const;

export type ProviderRouteName = (typeof PROVIDER_ROUTE_NAMES)[number] | 'discovery' | 'resume' | 'device_resume';

/** The provider's routes with one dynamic segment: `<parent path>/:uid`. */
const DYNAMIC_ROUTES: Partial<Record<ProviderRouteName, ProviderRouteName>> = {
  authorization: 'resume',
  code_verification: 'device_resume',
};

/**
 * The provider's pages: where a browser is sent (authorization and its resumption, logout, the
 * device flow's user code form). An error there is the error page (to a caller that prefers HTML).
 * Every other provider endpoint speaks only JSON to its callers (RFC 6749 §5.2, RFC 6750 §3, RFC
 * 7009, RFC 7591, RFC 7662, RFC 8628, RFC 9126, OpenID Connect Core §5.3 and Discovery, CIBA): its
 * errors are JSON objects whatever Accept says. Route names are the provider's own (ctx.oidc.route),
 * which providerRouteMatcher also returns.
 */
const PAGE_ROUTES: ReadonlySet<string> = new Set([
  'authorization',
  'resume',
  'end_session',
  'end_session_confirm',
  'end_session_success',
  'code_verification',
  'device_resume',
]);

/** Whether a provider route (its name, as ctx.oidc.route or providerRouteMatcher give it) is a page. */
export const isPageRoute = (route: string | undefined): boolean => route !== undefined && PAGE_ROUTES.has(route);

/** The discovery documents' paths are fixed by their RFCs (RFC 8414, OpenID Connect Discovery). */
const DISCOVERY_PATHS = ['/.well-known/openid-configuration', '/.well-known/oauth-authorization-server'];

/** The route a request path reaches, or undefined for any other path. */
export type MatchProviderRoute = (path: string) => ProviderRouteName | undefined;

/** oidc-provider's case folding: upper case, except where that would turn a non-ASCII character into ASCII. */
function fold(value: string): string {
  if (/^[\x00-\x7f]*$/.test(value)) return value.toUpperCase(); // every path a client normally sends
  let out = '';
  for (const char of value) {
    const upper = char.toUpperCase();
    out += upper.length === 1 && !(char.codePointAt(0)! > 127 && upper.codePointAt(0)! < 128) ? upper : char;
  }
  return out;
}

export function providerRouteMatcher(provider: Provider): MatchProviderRoute {
  const byFoldedPath = new Map<string, ProviderRouteName>();
  for (const name of PROVIDER_ROUTE_NAMES) {
    let path: string;
    try {
      path = provider.pathFor(name, { mountPath: '' }); // the router matches ctx.path, unmounted
    } catch {
      continue; // the feature is not enabled: the provider has no such route
    }
    byFoldedPath.set(fold(path), name);
  }
  for (const path of DISCOVERY_PATHS) byFoldedPath.set(fold(path), 'discovery');

  const lookup = (path: string): ProviderRouteName | undefined => {
    const exact = byFoldedPath.get(fold(path));
    if (exact) return exact;
    // `/auth/:uid`, `/device/:uid`: a non-empty last segment under a parent route
    const cut = path.lastIndexOf('/');
    if (cut <= 0 || cut === path.length - 1) return undefined;
    const parent = byFoldedPath.get(fold(path.slice(0, cut)));
    return parent ? DYNAMIC_ROUTES[parent] : undefined;
  };
  return (path) => {
    const exact = lookup(path);
    if (exact || path.length <= 1 || !path.endsWith('/')) return exact;
    return lookup(path.slice(0, -1));
  };
}

/** oidc-provider's own limit on a request body (lib/shared/selective_body.js: 56 KiB, not configurable). */
export const PROVIDER_BODY_LIMIT_BYTES = 56 * 1024;
