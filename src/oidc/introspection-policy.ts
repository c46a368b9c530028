// Who may introspect which token (least privilege; issue 11, attack 5). Introspection tells the
// caller a token's user, scopes and client, so a client may introspect:
//   - its own tokens (access and refresh);
//   - access tokens whose every audience is an API (resource server) that names the caller as one
//     of its introspecting clients: the API's own back end, or a gateway in front of it.
// Nothing else, not even a refresh token whose grant covers such an API. A refused caller is told
// `{"active": false}`, exactly what it would hear of a token that does not exist. One rule for the
// tokens oidc-provider introspects (opaque and refresh tokens: its `allowedPolicy`) and for the JWT
// access tokens Portcullis introspects itself (jwt-access-tokens.ts).
import type { RegistryCache } from './registry-cache.ts';

export interface IntrospectedToken {
  /** The client the token was issued to. */
  clientId: string | undefined;
  kind: 'access_token' | 'refresh_token' | 'other';
  /** The token's `aud`, as a string or list (absent for userinfo-only tokens). */
  audience: unknown;
}

export type IntrospectionPolicy = (callerId: string, token: IntrospectedToken) => Promise<boolean>;

const audiences = (aud: unknown): string[] =>
  typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((item): item is string => typeof item === 'string') : [];

export function createIntrospectionPolicy(cache: Pick<RegistryCache, 'resourceServer'>): IntrospectionPolicy {
  return async (callerId, token) => {
    if (token.clientId !== undefined && token.clientId === callerId) return true;
    if (token.kind !== 'access_token') return false;
    const list = audiences(token.audience);
    if (list.length === 0) return false;
    for (const identifier of list) {
      const server = await cache.resourceServer(identifier);
      if (!server?.introspectingClients.includes(callerId)) return false;
    }
    return true;
  };
}

/** The kind of an oidc-provider token model, as the policy sees it. */
export const providerTokenKind = (kind: string): IntrospectedToken['kind'] =>
  kind === 'RefreshToken' ? 'refresh_token' : kind === 'AccessToken' || kind === 'ClientCredentials' ? 'access_token' : 'other';
