// Which web origins may read the provider's client endpoints from a browser (oidc-provider's
// `clientBasedCORS`, asked once the client of a cross-origin request is known; /jwks and the
// discovery documents are public and open to every origin). A browser app calls /token and pushed
// authorization as a public client (a confidential client's secret never lives in a browser) and
// /me with its access token, from the origin of one of its own redirect URIs. Introspection,
// revocation and device authorization are server-to-server (RFC 7662, RFC 7009, RFC 8628): no web
// origin reads them. A malformed Origin never gets this far (input-guard.ts refuses it).
import type { Configuration } from 'oidc-provider';

const PUBLIC_CLIENT_ROUTES: ReadonlySet<string> = new Set(['token', 'pushed_authorization_request']);

export const clientBasedCors: NonNullable<Configuration['clientBasedCORS']> = (ctx, origin, client) => {
  if (origin === 'null') return false; // a sandboxed frame or a file: no redirect URI is that
  const route = ctx.oidc.route;
  const allowed = route === 'userinfo' || (PUBLIC_CLIENT_ROUTES.has(route) && client.clientAuthMethod === 'none');
  return allowed && (client.redirectUris ?? []).some((uri) => URL.parse(uri)?.origin === origin);
};
