// A client as admins see it (API answers, CLI output, and what its entity tag is computed over).
import type { StoredClient } from '../../storage/clients.ts';

/** Never its secrets or their hashes. */
export interface ClientView {
  clientId: string;
  name: string;
  applicationType: string;
  authMethod: string;
  grantTypes: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  jwksUri: string | null;
  firstParty: boolean;
  /** Its users must sign in with a second factor. */
  requireMfa: boolean;
  /** resource identifier -> scopes the client may request for it */
  resources: Record<string, string[]>;
  /** Requests per minute to the token-family endpoints; null: the server default. */
  rateLimitPerMinute: number | null;
  /** ID token lifetime in seconds; null: the server default. */
  idTokenTtl: number | null;
  /** Refresh token lifetime in seconds; null: the server default (REFRESH_TOKEN_TTL). */
  refreshTokenTtl: number | null;
  /** Until when the secret replaced by the last rotation is still accepted; null: none is. */
  previousSecretExpiresAt: string | null;
  createdAt: string;
  updatedAt: string;
}

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []);
const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function toClientView(client: StoredClient): ClientView {
  const { metadata } = client;
  return {
    clientId: client.clientId,
    name: client.name,
    applicationType: stringOrNull(metadata.application_type) ?? 'web',
    authMethod: metadata.token_endpoint_auth_method,
    grantTypes: strings(metadata.grant_types),
    redirectUris: strings(metadata.redirect_uris),
    postLogoutRedirectUris: strings(metadata.post_logout_redirect_uris),
    backchannelLogoutUri: stringOrNull(metadata.backchannel_logout_uri),
    jwksUri: stringOrNull(metadata.jwks_uri),
    firstParty: client.firstParty,
    requireMfa: client.requireMfa,
    resources: client.resources,
    rateLimitPerMinute: client.rateLimitPerMinute,
    idTokenTtl: client.idTokenTtl,
    refreshTokenTtl: client.refreshTokenTtl,
    previousSecretExpiresAt: client.previousSecretHash === null ? null : client.previousSecretExpiresAt,
    createdAt: client.createdAt,
    updatedAt: client.updatedAt,
  };
}

/** A change that returns a new secret (create, rotate): shown in this answer only. */
export type ClientViewWithSecret = ClientView & { clientSecret?: string };

/** The view without a one-time secret: what GET returns, so what the entity tag is computed over. */
export function withoutSecret(result: Record<string, unknown>): Record<string, unknown> {
  const { clientSecret: _secret, ...view } = result;
  return view;
}
