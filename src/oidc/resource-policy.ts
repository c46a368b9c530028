// Which API a token is for, and which scopes it may carry:
//   requested ∩ scopes the resource server defines ∩ scopes the client is allowed for it.
// A known scope the client may not have in this request is refused with invalid_scope, never
// silently dropped (a client must not believe it holds what it asked for): an API scope without a
// resource indicator naming its API, a scope of an API the client was not given, `offline_access`
// for a client without the refresh grant, a user's scope in client credentials. Scope values that
// no resource server defines are ignored, as OpenID Connect Core 3.1.2.1 requires: never refused,
// never granted.
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { RegistryCache } from './registry-cache.ts';
import { guardStore } from './store-unavailable.ts';

import { OIDC_SCOPES } from './oidc-scopes.ts';
import type { SigningAlgorithm } from '../security/signing-algorithms.ts';

const words = (value: unknown): string[] => (typeof value === 'string' ? value.split(' ').filter(Boolean) : []);
const list = (value: unknown): string[] =>
  typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];

export const requestedApiScopes = (scope: unknown): string[] => words(scope).filter((name) => !OIDC_SCOPES.has(name));

/**
 * The scope the client sent. At the authorization endpoints (/auth, /request) oidc-provider removes
 * `offline_access` from a client without the refresh grant before any hook of ours runs, so the
 * request as sent is read there; at the token endpoint the parsed parameter is what was sent (and
 * exists only for the grants that take a scope).
 */
function sentScope(ctx: KoaContextWithOIDC): string[] {
  if (ctx.oidc.route === 'token') return words(ctx.oidc.params?.scope);
  const sent = ctx.method === 'POST' ? ctx.oidc.body : ctx.query;
  return words(sent?.scope);
}

interface ScopeClient {
  clientId: string;
  grantTypeAllowed(type: string): boolean;
}

export interface ResourcePolicyOptions {
  cache: RegistryCache;
  defaultAccessTokenTtl: number;
}

export function createResourcePolicy({ cache, defaultAccessTokenTtl }: ResourcePolicyOptions) {
  /** The resource server and the scopes the client may hold on it (undefined: it may not use it). */
  async function lookUp(clientId: string, resource: string) {
    const [client, server] = await guardStore(() => Promise.all([cache.client(clientId), cache.resourceServer(resource)]));
    const allowed = client?.resources[resource];
    const permitted = server && allowed ? server.scopes.map((scope) => scope.name).filter((name) => allowed.includes(name)) : undefined;
    return { server, permitted };
  }

  const permittedScopes = async (clientId: string, resource: string) => (await lookUp(clientId, resource)).permitted;

  /**
   * Refuses the request when it names a known scope the client cannot be given here; `resources`
   * are the APIs this request is for (none: no API scope can be granted).
   */
  async function refuseUngrantableScopes(ctx: KoaContextWithOIDC, client: ScopeClient, resources: readonly string[]): Promise<void> {
    if (sentScope(ctx).includes('offline_access') && !client.grantTypeAllowed('refresh_token')) {
      throw new errors.InvalidScope('offline_access needs the refresh_token grant, which this client does not have', 'offline_access');
    }
    const requested = words(ctx.oidc.params?.scope);
    if (ctx.oidc.params?.grant_type === 'client_credentials') {
      const userScopes = requested.filter((name) => OIDC_SCOPES.has(name));
      if (userScopes.length > 0) {
        throw new errors.InvalidScope(
          `client credentials act for no user: ${userScopes.join(' ')} cannot be granted`,
          userScopes.join(' '),
        );
      }
    }
    const apiScopes = requestedApiScopes(ctx.oidc.params?.scope);
    if (apiScopes.length === 0) return;
    const permitted = new Set<string>();
    for (const resource of resources) for (const name of (await permittedScopes(client.clientId, resource)) ?? []) permitted.add(name);
    const outside = apiScopes.filter((name) => !permitted.has(name));
    if (outside.length === 0) return;
    const known = await guardStore(() => cache.apiScopeNames());
    const refused = outside.filter((name) => known.has(name));
    if (refused.length === 0) return; // values nobody defined: ignored
    throw new errors.InvalidScope(
      resources.length === 0
        ? `${refused.join(' ')}: an API's scopes need the resource parameter naming that API`
        : `the client may not request these scopes for ${resources.join(' ')}: ${refused.join(' ')}`,
      refused.join(' '),
    );
  }

  return {
    permittedScopes,

    /** Services using client credentials with exactly one API get it without naming it. */
    defaultResource: async (
      ctx: KoaContextWithOIDC,
      client: ScopeClient,
      oneOf?: readonly string[],
    ): Promise<string | readonly string[] | undefined> => {
      if (oneOf) return oneOf;
      let resource: string | undefined;
      if (ctx.oidc.params?.grant_type === 'client_credentials') {
        const stored = await guardStore(() => cache.client(client.clientId));
        const resources = Object.keys(stored?.resources ?? {});
        if (resources.length === 1) resource = resources[0];
      }
      // with a resource, getResourceServerInfo checks the scopes; without one, no API scope is grantable
      if (resource === undefined) await refuseUngrantableScopes(ctx, client, []);
      return resource;
    },

    getResourceServerInfo: async (ctx: KoaContextWithOIDC, resource: string, client: ScopeClient) => {
      const { server, permitted } = await lookUp(client.clientId, resource);
      if (!server) throw new errors.InvalidTarget('the requested resource is not a registered resource server');
      if (!permitted) throw new errors.InvalidTarget('the client is not allowed to request tokens for this resource');
      // a request may name several APIs (authorization); a scope is grantable when one of them permits it
      const requested = list(ctx.oidc.params?.resource);
      await refuseUngrantableScopes(ctx, client, requested.includes(resource) ? requested : [...requested, resource]);
      return {
        scope: permitted.join(' '),
        audience: server.identifier,
        accessTokenTTL: server.tokenTtl ?? defaultAccessTokenTtl,
        accessTokenFormat: 'jwt' as const,
        // the API's choice (resource_servers.token_alg); the JWKS publishes a current key for each
        jwt: { sign: { alg: server.tokenAlg as SigningAlgorithm } },
      };
    },
  };
}
