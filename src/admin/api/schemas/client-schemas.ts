import { PKCE_MODES } from '../../../oidc/client-metadata.ts';
import { page, dateTime, extend, nullable, object, string, strings } from './json-schema.ts';
import { SIGNING_ALGORITHMS } from '../../../security/signing-algorithms.ts';

const client = object({
  clientId: string,
  name: string,
  applicationType: { enum: ['web', 'native'] },
  authMethod: string,
  grantTypes: strings,
  redirectUris: strings,
  postLogoutRedirectUris: strings,
  backchannelLogoutUri: nullable(string),
  jwksUri: nullable(string),
  firstParty: { type: 'boolean' },
  requireMfa: { type: 'boolean' },
  requireDpop: {
    type: 'boolean',
    description:
      'its access tokens are always DPoP-bound (RFC 9449 dpop_bound_access_tokens): the token endpoint refuses it a token without a DPoP proof',
  },
  pkce: {
    enum: [...PKCE_MODES],
    description:
      'optional: a confidential authorization_code client may leave PKCE out; each of its authorization requests must then carry a nonce and the openid scope (RFC 9700 §2.1.1). Never for a public client or a native app (its secret ships inside the app)',
  },
  resources: {
    type: 'object',
    additionalProperties: strings,
    description: 'resource identifier -> the scopes the client may request for it',
  },
  rateLimitPerMinute: nullable({ type: 'integer', minimum: 1 }),
  idTokenAlg: {
    enum: [...SIGNING_ALGORITHMS],
    description: 'the JWS algorithm of its ID tokens (id_token_signed_response_alg); RS256 unless chosen',
  },
  idTokenTtl: {
    ...nullable({ type: 'integer', minimum: 1 }),
    description: 'ID token lifetime in seconds; null: the server default (3600)',
  },
  refreshTokenTtl: {
    ...nullable({ type: 'integer', minimum: 1 }),
    description: 'refresh token lifetime in seconds; null: the server default (REFRESH_TOKEN_TTL)',
  },
  previousSecretExpiresAt: {
    ...nullable(dateTime),
    description: 'until when the secret replaced by the last rotation is still accepted (a past time: it has expired); null: there is none',
  },
  createdAt: dateTime,
  updatedAt: dateTime,
});

const clientSecret = { type: 'string', description: 'shown in this answer only; stored as a keyed hash' };

export const CLIENT_SCHEMAS = {
  Client: client,
  ClientList: page('Client'),
  CreatedClient: extend(client, { clientSecret }, ['clientSecret']),
  RotatedClientSecret: extend(client, {
    clientSecret: {
      ...clientSecret,
      description: 'the new secret, shown in this answer only; the previous one works until previousSecretExpiresAt',
    },
  }),
  DeletedClient: object({ clientId: string, deleted: { const: true } }),
};
