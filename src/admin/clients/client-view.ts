// What an admin sees of a client, declared once: the answer schemas (their TypeScript types and the
// OpenAPI components `Client`, `ClientList`, `CreatedClient` and `RotatedClientSecret` come from
// them), the view built from a stored client (what its entity tag is computed over), and how the
// CLI prints it.
import { z } from 'zod';
import { DEFAULT_ID_TOKEN_ALG, SIGNING_ALGORITHMS, signingAlgorithmOr } from '../../security/signing-algorithms.ts';
import { DEFAULT_ID_TOKEN_TTL, DPOP_BOUND_ACCESS_TOKENS, EXTRA_CLIENT_PROPERTIES, PKCE_MODES } from '../../oidc/client-metadata.ts';
import type { StoredClient } from '../../storage/clients.ts';
import { answer, dateTime, pageOf } from '../operation/answer-schemas.ts';
import { date } from '../operation/cli-binding.ts';
import { keyValues, orDash, type Output } from '../operation/cli-output.ts';
import { entityTag } from '../operation/entity-tags.ts';

/** A lifetime in seconds; null: the server default. */
const seconds = z.number().int().min(1).nullable();

/** The stored client with its RFC 7591 metadata spelled out (never a secret or its hash). */
export const clientAnswer = answer(
  'Client',
  z.object({
    clientId: z.string(),
    name: z.string(),
    applicationType: z.enum(['web', 'native']),
    authMethod: z.string(),
    grantTypes: z.array(z.string()),
    redirectUris: z.array(z.string()),
    postLogoutRedirectUris: z.array(z.string()),
    backchannelLogoutUri: z.string().nullable(),
    jwksUri: z.string().nullable(),
    firstParty: z.boolean(),
    requireMfa: z.boolean(),
    requireDpop: z
      .boolean()
      .describe(
        'its access tokens are always DPoP-bound (RFC 9449 dpop_bound_access_tokens): the token endpoint refuses it a token without a DPoP proof',
      ),
    pkce: z
      .enum(PKCE_MODES)
      .describe(
        'optional: a confidential authorization_code client may leave PKCE out; each of its authorization requests must then carry a nonce and the openid scope (RFC 9700 §2.1.1). Never for a public client or a native app (its secret ships inside the app)',
      ),
    resources: z.record(z.string(), z.array(z.string())).describe('resource identifier -> the scopes the client may request for it'),
    rateLimitPerMinute: z.number().int().min(1).nullable(),
    idTokenAlg: z
      .enum(SIGNING_ALGORITHMS)
      .describe('the JWS algorithm of its ID tokens (id_token_signed_response_alg); RS256 unless chosen'),
    idTokenTtl: seconds.describe('ID token lifetime in seconds; null: the server default (3600)'),
    refreshTokenTtl: seconds.describe('refresh token lifetime in seconds; null: the server default (REFRESH_TOKEN_TTL)'),
    previousSecretExpiresAt: dateTime
      .nullable()
      .describe('until when the secret replaced by the last rotation is still accepted (a past time: it has expired); null: there is none'),
    createdAt: dateTime,
    updatedAt: dateTime,
  }),
);

export type ClientView = z.output<typeof clientAnswer>;

export const clientPage = pageOf('ClientList', clientAnswer);

const clientSecret = z.string().describe('shown in this answer only; stored as a keyed hash');

/** clients.create: the client, with its generated secret when it has one (shown in this answer only). */
export const createdClientAnswer = answer('CreatedClient', clientAnswer.extend({ clientSecret: clientSecret.optional() }));

/** A change that returns a new secret (create, rotate): shown in this answer only. */
export type ClientViewWithSecret = z.output<typeof createdClientAnswer>;

/** clients.rotate-secret: the client with its new secret. */
export const rotatedClientSecretAnswer = answer(
  'RotatedClientSecret',
  clientAnswer.extend({
    clientSecret: clientSecret.describe('the new secret, shown in this answer only; the previous one works until previousSecretExpiresAt'),
  }),
);

const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : [];
const stringOrNull = (value: unknown): string | null => (typeof value === 'string' ? value : null);

export function toClientView(client: StoredClient): ClientView {
  const { metadata } = client;
  return {
    clientId: client.clientId,
    name: client.name,
    // planClient writes `native` or leaves it out (web).
    applicationType: (stringOrNull(metadata.application_type) ?? 'web') as ClientView['applicationType'],
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

/** The view without a one-time secret: what GET returns, so what the entity tag is computed over. */
export function withoutSecret(result: ClientViewWithSecret): ClientView {
  const { clientSecret: _secret, ...view } = result;
  return view;
}

/** The answer's ETag and Location, for the routes that answer a client (one carrying a one-time secret is tagged without it). */
export const clientTag = (client: ClientViewWithSecret) => entityTag(withoutSecret(client));
export const clientLocation = (client: ClientView) => `/clients/${encodeURIComponent(client.clientId)}`;

export const rateLimit = (perMinute: number | null) =>
  perMinute === null ? 'server default (RATE_LIMIT_CLIENT_PER_MINUTE)' : `${perMinute} requests per minute`;
const lifetime = (seconds: number | null, serverDefault: string) =>
  seconds === null ? `server default (${serverDefault})` : `${seconds} s`;

export const STORE_SECRET_WARNING = 'Store the client secret now: it is shown only this once and cannot be retrieved later.';

/** The CLI's text of a client. */
export function printClient(client: ClientView, output: Output): void {
  for (const line of keyValues([
    ['client_id', client.clientId],
    ['name', client.name],
    [
      'type',
      `${client.applicationType}${client.firstParty ? ', first party' : ''}${client.requireMfa ? ', requires MFA' : ''}${client.requireDpop ? ', requires DPoP' : ''}`,
    ],
    ['auth method', client.authMethod],
    [
      'PKCE',
      client.pkce === 'optional'
        ? 'optional (without it, every authorization request must carry a nonce and the openid scope)'
        : 'required',
    ],
    ['grant types', client.grantTypes],
    ['redirect URIs', client.redirectUris],
    ['post-logout URIs', client.postLogoutRedirectUris],
    ['back-channel logout', orDash(client.backchannelLogoutUri)],
    ...(client.jwksUri ? ([['jwks_uri', client.jwksUri]] as const) : []),
    [
      'resources',
      Object.entries(client.resources).map(([resource, scopes]) => `${resource}  ${scopes.length > 0 ? scopes.join(' ') : '(no scopes)'}`),
    ],
    ['rate limit', rateLimit(client.rateLimitPerMinute)],
    ['ID tokens signed', client.idTokenAlg],
    ['ID tokens live', lifetime(client.idTokenTtl, `${DEFAULT_ID_TOKEN_TTL} s`)],
    ['refresh tokens live', lifetime(client.refreshTokenTtl, 'REFRESH_TOKEN_TTL')],
    ...(client.previousSecretExpiresAt ? ([['previous secret until', date(client.previousSecretExpiresAt)]] as const) : []),
    ['created', date(client.createdAt)],
    ['updated', date(client.updatedAt)],
    // what `clients update --if-match` takes (the same as the admin API's ETag)
    ['etag', entityTag(client)],
  ])) {
    output.out(line);
  }
}
