// A client as admins see it (API answers, CLI output, and what its entity tag is computed over).
import { DEFAULT_ID_TOKEN_ALG, signingAlgorithmOr, type SigningAlgorithm } from '../../security/signing-algorithms.ts';
import { DPOP_BOUND_ACCESS_TOKENS, EXTRA_CLIENT_PROPERTIES, type PkceMode } from '../../oidc/client-metadata.ts';
import type { StoredClient } from '../../storage/clients.ts';

/** What admins see of the stored client as it is (never a secret or its hash). */
type StoredSettings = Pick<
  StoredClient,
  | 'clientId'
  | 'name'
  | 'firstParty'
  | 'requireMfa'
  | 'resources'
  | 'rateLimitPerMinute'
  | 'idTokenTtl'
  | 'refreshTokenTtl'
  | 'previousSecretExpiresAt'
  | 'createdAt'
  | 'updatedAt'
>;

/** The stored client with its RFC 7591 metadata spelled out. */
export interface ClientView extends StoredSettings {
  applicationType: string;
  authMethod: string;
  grantTypes: string[];
  redirectUris: string[];
  postLogoutRedirectUris: string[];
  backchannelLogoutUri: string | null;
  jwksUri: string | null;
  /** Its access tokens are always DPoP-bound (`dpop_bound_access_tokens`). */
  requireDpop: boolean;
  /** The JWS algorithm of its ID tokens (`id_token_signed_response_alg`). */
  idTokenAlg: SigningAlgorithm;
  /** `optional`: it may leave PKCE out, and must then send a nonce (`portcullis_pkce_optional`). */
  pkce: PkceMode;
}

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
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
    requireDpop: metadata[DPOP_BOUND_ACCESS_TOKENS] === true,
    pkce: metadata[EXTRA_CLIENT_PROPERTIES.pkceOptional] === true ? 'optional' : 'required',
    resources: client.resources,
    rateLimitPerMinute: client.rateLimitPerMinute,
    idTokenAlg: signingAlgorithmOr(metadata.id_token_signed_response_alg, DEFAULT_ID_TOKEN_ALG),
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
