// Which requests meet which limit, by path. The provider's paths are oidc-provider's default
// `routes` (create-provider.ts keeps them); a feature that is not enabled simply answers 404 there.

/**
 * Never limited: load balancers and orchestrators probe these often, from a handful of addresses
 * that also carry real traffic; a throttled probe would take a healthy instance out of rotation.
 */
export const UNLIMITED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz']);

/**
 * The endpoints where a client authenticates and spends its quota: token, introspection, revocation,
 * pushed authorization requests, device authorization and dynamic registration.
 */
export const CLIENT_QUOTA_PATHS: ReadonlySet<string> = new Set(['/token', '/token/introspection', '/token/revocation', '/request', '/device/auth', '/reg']);

/** The provider's machine-to-machine JSON endpoints: a refusal there is an OAuth error object. */
const OAUTH_JSON_PATHS: ReadonlySet<string> = new Set([
  ...CLIENT_QUOTA_PATHS,
  '/me',
  '/jwks',
  '/backchannel',
  '/challenge',
  '/.well-known/openid-configuration',
  '/.well-known/oauth-authorization-server',
]);

export const isOAuthJsonPath = (path: string) => OAUTH_JSON_PATHS.has(path) || path.startsWith('/reg/');

/**
 * A form submitted on our own pages: login and MFA on the interaction pages and the re-authentication
 * of the account's security page (each may cost a password hash and is what a guessing attack
 * sends), consent and cancel, and the changes made on the security page. Showing the pages (GET) is
 * not counted here.
 */
export const isFormSubmission = (method: string, path: string) => method === 'POST' && (path.startsWith('/interaction/') || path.startsWith('/account/'));

/** The path as an audit event may show it: an interaction's uid (it names a sign-in in progress) is left out. */
export const auditedPath = (path: string) => path.replace(/^\/interaction\/[^/]+/, '/interaction/:uid').slice(0, 200);
