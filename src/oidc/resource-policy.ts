// Which API a token is for, and which scopes it may carry:
//   requested ∩ scopes the resource server defines ∩ scopes the client is allowed for it.
// A requested scope outside that set is refused with invalid_scope (never silently dropped).
import { errors, type KoaContextWithOIDC } from 'oidc-provider';
import type { RegistryCache } from './registry-cache.ts';
import { guardStore } from './store-unavailable.ts';

import { OIDC_SCOPES } from './oidc-scopes.ts';

export const requestedApiScopes = (scope: unknown): string[] =>
  typeof scope === 'string' ? scope.split(' ').filter((name) => name && !OIDC_SCOPES.has(name)) : [];

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

  return {
    permittedScopes,

    /** Services using client credentials with exactly one API get it without naming it. */
    async defaultResource(ctx: KoaContextWithOIDC, client: { clientId: string }, oneOf?: readonly string[]): Promise<string | readonly string[] | undefined> {
      if (oneOf) return oneOf;
      if (ctx.oidc.params?.grant_type !== 'client_credentials') return undefined;
      const stored = await guardStore(() => cache.client(client.clientId));
      const resources = Object.keys(stored?.resources ?? {});
      return resources.length === 1 ? resources[0] : undefined;
    },

    async getResourceServerInfo(ctx: KoaContextWithOIDC, resource: string, client: { clientId: string }) {
      const { server, permitted } = await lookUp(client.clientId, resource);
      if (!server) throw new errors.InvalidTarget('the requested resource is not a registered resource server');
      if (!permitted) throw new errors.InvalidTarget('the client is not allowed to request tokens for this resource');
      const refused = requestedApiScopes(ctx.oidc.params?.scope).filter((name) => !permitted.includes(name));
      if (refused.length > 0) {
        throw new errors.InvalidScope(`the client may not request these scopes for ${resource}: ${refused.join(' ')}`, refused.join(' '));
      }
      return {
        scope: permitted.join(' '),
        audience: server.identifier,
        accessTokenTTL: server.tokenTtl ?? defaultAccessTokenTtl,
        accessTokenFormat: 'jwt' as const,
        jwt: { sign: { alg: 'ES256' as const } },
      };
    },
  };
}
