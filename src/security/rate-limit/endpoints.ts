// Which requests meet which limit. The provider's endpoints are recognised by asking which of its
// routes a path reaches (http/provider-routes.ts matches the way its router does: `/TOKEN` and
// `/token/` are the token endpoint), so no alias of an endpoint escapes its quota.
import { isOwnPagePath } from '../../http/page-paths.ts';
import { isPageRoute, type MatchProviderRoute, type ProviderRouteName } from '../../http/provider-routes.ts';

/**
 * Never limited: load balancers and orchestrators probe these often, from a handful of addresses
 * that also carry real traffic; a throttled probe would take a healthy instance out of rotation.
 * (Our own exact-path routes: any other spelling is not a probe and is counted.)
 */
const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/**
 * The endpoints where a client authenticates and spends its quota: token, introspection, revocation,
 * pushed authorization requests, device authorization and dynamic registration.
 */
const CLIENT_QUOTA_ROUTES: ReadonlySet<ProviderRouteName> = new Set([
  'token',
  'introspection',
  'revocation',
  'pushed_authorization_request',
  'device_authorization',
  'registration',
]);

export interface Endpoints {
  /** Exempt from every limit (health probes). */
  unlimited(path: string): boolean;
  /** A POST to an endpoint where clients authenticate and spend their quota. */
  clientQuota(method: string, path: string): boolean;
  /** One of the provider's JSON endpoints (its refusals are OAuth error objects). */
  oauthJson(path: string): boolean;
}

export function classifyEndpoints(routeOf: MatchProviderRoute): Endpoints {
  const reaches = (routes: ReadonlySet<ProviderRouteName>, path: string) => {
    const route = routeOf(path);
    return route !== undefined && routes.has(route);
  };
  return {
    unlimited: (path) => UNLIMITED_PATHS.has(path),
    clientQuota: (method, path) => method === 'POST' && reaches(CLIENT_QUOTA_ROUTES, path),
    // every provider route that is not a page (provider-routes.ts) speaks only JSON
    oauthJson: (path) => {
      const route = routeOf(path);
      return route !== undefined && !isPageRoute(route);
    },
  };
}

/**
 * A form submitted on our own pages: login and MFA on the interaction pages and the re-authentication
 * of the account's security page (each may cost a password hash and is what a guessing attack
 * sends), consent and cancel, and the changes made on the security page. Showing the pages (GET) is
 * not counted here. (app.ts enters those routers by these same prefixes, so every alias the routers
 * answer starts with one of them.)
 */
export const isFormSubmission = (method: string, path: string) => method === 'POST' && isOwnPagePath(path);

/** The path as an audit event may show it: an interaction's uid (it names a sign-in in progress) is left out. */
export const auditedPath = (path: string) => path.replace(/^\/interaction\/[^/]+/, '/interaction/:uid').slice(0, 200);
