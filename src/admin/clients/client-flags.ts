// The `portcullis clients ...` flags that more than one command takes: the positional client id
// and the client's settings (create and update). Each names the input field it fills.
import { DEFAULT_ID_TOKEN_ALG, SIGNING_ALGORITHMS } from '../../security/signing-algorithms.ts';
import { DEFAULT_ID_TOKEN_TTL, PKCE_MODES } from '../../oidc/client-metadata.ts';
import { integer, text, type CliBinding, type FlagSpec } from '../operation/cli-binding.ts';
import { AUTH_METHODS, GRANT_TYPES } from './client-input.ts';

export const clientIdTarget: NonNullable<CliBinding['target']> = { placeholder: 'client-id', field: 'clientId', flag: 'client-id' };

export const clientIdFlag: FlagSpec = {
  type: 'string',
  value: 'id',
  help: 'the client (instead of the positional argument)',
  field: 'clientId',
};

/** `--rate-limit 600` (and the lifetimes) -> 600. */
const wholeNumber = (value: string | boolean | string[]) => integer(text(value));

/** The flags that set a client's settings, as `clients create` takes them (update changes some helps and parsers). */
export const settingFlags = {
  name: { type: 'string', value: 'name', help: 'display name', field: 'name' },
  'grant-type': { type: 'string', multiple: true, value: 'type', help: `${GRANT_TYPES.join(' | ')} (repeatable)`, field: 'grantTypes' },
  'redirect-uri': {
    type: 'string',
    multiple: true,
    value: 'uri',
    help: 'exact redirect URI: https, http on localhost/127.0.0.1/[::1], or com.example.app:/path (repeatable)',
    field: 'redirectUris',
  },
  'post-logout-redirect-uri': {
    type: 'string',
    multiple: true,
    value: 'uri',
    help: 'where to return after logout (repeatable)',
    field: 'postLogoutRedirectUris',
  },
  'backchannel-logout-uri': {
    type: 'string',
    value: 'uri',
    help: 'back-channel logout endpoint of the client',
    field: 'backchannelLogoutUri',
  },
  resource: {
    type: 'string',
    multiple: true,
    value: 'uri',
    help: 'resource server the client may get tokens for (repeatable)',
    field: 'resources',
  },
  scope: {
    type: 'string',
    multiple: true,
    value: 'name',
    help: 'scope of those resources the client may request (repeatable)',
    field: 'scopes',
  },
  'auth-method': { type: 'string', value: 'method', help: AUTH_METHODS.join(' | '), field: 'authMethod' },
  'jwks-uri': { type: 'string', value: 'url', help: "https URL of the client's JWKS (private_key_jwt)", field: 'jwksUri' },
  pkce: {
    type: 'string',
    value: PKCE_MODES.join('|'),
    help: 'optional: a confidential code-flow client may leave PKCE out (for a library that cannot send it), and must then send a nonce and the openid scope; never for a public client or a native app',
    field: 'pkce',
  },
  'rate-limit': {
    type: 'string',
    value: 'per-minute',
    help: 'requests per minute to the token, introspection and revocation endpoints (default RATE_LIMIT_CLIENT_PER_MINUTE)',
    field: 'rateLimitPerMinute',
    parse: wholeNumber,
  },
  'id-token-alg': {
    type: 'string',
    value: SIGNING_ALGORITHMS.join('|'),
    help: `the signing algorithm of its ID tokens, what the app's library verifies (default ${DEFAULT_ID_TOKEN_ALG})`,
    field: 'idTokenAlg',
  },
  'id-token-ttl': {
    type: 'string',
    value: 'seconds',
    help: `ID token lifetime, 60 to 86400 (default ${DEFAULT_ID_TOKEN_TTL})`,
    field: 'idTokenTtl',
    parse: wholeNumber,
  },
  'refresh-token-ttl': {
    type: 'string',
    value: 'seconds',
    help: 'refresh token lifetime, 60 up to REFRESH_TOKEN_TTL (the default)',
    field: 'refreshTokenTtl',
    parse: wholeNumber,
  },
} satisfies Record<string, FlagSpec>;
