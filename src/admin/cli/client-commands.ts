// `portcullis clients ...`
import { AUTH_METHODS, GRANT_TYPES } from '../client-input.ts';
import { keyValues, orDash, table, type Output } from '../operation/cli-output.ts';
import type { ClientView, ClientViewWithSecret } from '../operations/clients.ts';
import { DEFAULT_PREVIOUS_SECRET_TTL } from '../operations/clients-secret.ts';
import { entityTag } from '../operation/entity-tags.ts';
import { DEFAULT_ID_TOKEN_ALG, SIGNING_ALGORITHMS } from '../../security/signing-algorithms.ts';
import { DEFAULT_ID_TOKEN_TTL, PKCE_MODES } from '../../oidc/client-metadata.ts';
import {
  allPages,
  date,
  defined,
  integer,
  list,
  listOrNone,
  none,
  numberOrDefault,
  text,
  yesOrNo,
  type CommandSpec,
  type FlagSpec,
  type FlagValues,
} from '../operation/cli-binding.ts';

const rateLimit = (perMinute: number | null) =>
  perMinute === null ? 'server default (RATE_LIMIT_CLIENT_PER_MINUTE)' : `${perMinute} requests per minute`;
const lifetime = (seconds: number | null, serverDefault: string) =>
  seconds === null ? `server default (${serverDefault})` : `${seconds} s`;
const STORE_SECRET_WARNING = 'Store the client secret now: it is shown only this once and cannot be retrieved later.';

function printClient(client: ClientView, output: Output): void {
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

const clientIdTarget = { placeholder: 'client-id', field: 'clientId', flag: 'client-id' };
const clientIdFlag: FlagSpec = { type: 'string', value: 'id', help: 'the client (instead of the positional argument)', field: 'clientId' };
const clientRef = (values: FlagValues, target: string | undefined) => ({ clientId: target ?? text(values['client-id']) });

/** The flags that set a client's settings, shared by create and update. */
const settingFlags: Record<string, FlagSpec> = {
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
  },
  'refresh-token-ttl': {
    type: 'string',
    value: 'seconds',
    help: 'refresh token lifetime, 60 up to REFRESH_TOKEN_TTL (the default)',
    field: 'refreshTokenTtl',
  },
};

export const CLIENT_COMMANDS: readonly CommandSpec[] = [
  {
    command: 'clients create',
    operation: 'clients.create',
    summary: 'register a client; its secret is shown once',
    flags: {
      ...settingFlags,
      name: { ...settingFlags.name!, help: 'display name (required)' },
      'grant-type': { ...settingFlags['grant-type']!, help: `${GRANT_TYPES.join(' | ')} (repeatable; default authorization_code)` },
      'auth-method': { ...settingFlags['auth-method']!, help: `${AUTH_METHODS.join(' | ')} (default client_secret_basic)` },
      pkce: { ...settingFlags.pkce!, help: `${settingFlags.pkce!.help} (default required)` },
      'first-party': { type: 'boolean', help: 'a first-party app: no consent screen', field: 'firstParty' },
      'require-mfa': { type: 'boolean', help: 'its users must sign in with a second factor', field: 'requireMfa' },
      'require-dpop': {
        type: 'boolean',
        help: 'its access tokens are always DPoP-bound (RFC 9449): no token without a DPoP proof',
        field: 'requireDpop',
      },
    },
    examples: [
      'portcullis clients create --name "My app" --grant-type authorization_code --grant-type refresh_token \\\n      --redirect-uri http://localhost:8080/callback --resource https://api.example.com --scope read',
      'portcullis clients create --name "Worker" --grant-type client_credentials --resource https://api.example.com --scope read',
    ],
    input: (values) =>
      defined({
        name: text(values.name),
        grantTypes: values['grant-type'] === undefined ? undefined : list(values['grant-type']),
        redirectUris: list(values['redirect-uri']),
        postLogoutRedirectUris: list(values['post-logout-redirect-uri']),
        backchannelLogoutUri: text(values['backchannel-logout-uri']),
        resources: list(values.resource),
        scopes: list(values.scope),
        authMethod: text(values['auth-method']),
        jwksUri: text(values['jwks-uri']),
        pkce: text(values.pkce),
        firstParty: values['first-party'] === true,
        requireMfa: values['require-mfa'] === true,
        requireDpop: values['require-dpop'] === true,
        rateLimitPerMinute: integer(text(values['rate-limit'])),
        idTokenAlg: text(values['id-token-alg']),
        idTokenTtl: integer(text(values['id-token-ttl'])),
        refreshTokenTtl: integer(text(values['refresh-token-ttl'])),
      }),
    print(result, output) {
      const client = result as ClientViewWithSecret;
      output.out(`Created client "${client.name}"`);
      for (const line of keyValues([
        ['client_id', client.clientId],
        ...(client.clientSecret ? ([['client_secret', client.clientSecret]] as const) : []),
        ['auth method', client.authMethod],
        ...(client.rateLimitPerMinute === null ? [] : ([['rate limit', rateLimit(client.rateLimitPerMinute)]] as const)),
      ])) {
        output.out(`  ${line}`);
      }
      if (client.clientSecret) output.err(STORE_SECRET_WARNING);
      else if (client.authMethod === 'none') output.err('Public client: no secret; it must use PKCE.');
      if (client.pkce === 'optional')
        output.err(
          'PKCE optional: every authorization request of this client must carry a nonce and the openid scope, and its secret alone guards its codes (README: "What --pkce optional costs").',
        );
    },
  },
  {
    command: 'clients list',
    operation: 'clients.list',
    summary: 'list clients',
    flags: {},
    input: () => ({}),
    print: () => {},
    run: allPages((items, output) => {
      const clients = items as ClientView[];
      if (clients.length === 0) {
        none(output, 'clients');
        return;
      }
      const rows = clients.map((client) => [
        client.clientId,
        client.name,
        client.authMethod,
        client.grantTypes.join(','),
        Object.keys(client.resources).join(',') || '-',
      ]);
      for (const line of table(['client id', 'name', 'auth method', 'grant types', 'resources'], rows)) output.out(line);
    }),
  },
  {
    command: 'clients show',
    operation: 'clients.show',
    summary: 'show a client (never its secret)',
    target: clientIdTarget,
    flags: { 'client-id': clientIdFlag },
    input: clientRef,
    print: (result, output) => printClient(result as ClientView, output),
  },
  {
    command: 'clients update',
    operation: 'clients.update',
    summary: 'change a client: only the settings given; lists given replace the current ones',
    target: clientIdTarget,
    flags: {
      'client-id': clientIdFlag,
      ...settingFlags,
      'redirect-uri': { ...settingFlags['redirect-uri']!, help: `${settingFlags['redirect-uri']!.help}; "none" empties the list` },
      'post-logout-redirect-uri': {
        ...settingFlags['post-logout-redirect-uri']!,
        help: `${settingFlags['post-logout-redirect-uri']!.help}; "none" empties the list`,
      },
      'backchannel-logout-uri': {
        ...settingFlags['backchannel-logout-uri']!,
        help: `${settingFlags['backchannel-logout-uri']!.help}; "none" removes it`,
      },
      resource: { ...settingFlags.resource!, help: `${settingFlags.resource!.help}; "none" (with --scope none) removes every resource` },
      scope: { ...settingFlags.scope!, help: `${settingFlags.scope!.help}; "none" removes every scope` },
      'auth-method': { ...settingFlags['auth-method']!, help: 'client_secret_basic | client_secret_post (only these two can be swapped)' },
      'rate-limit': {
        ...settingFlags['rate-limit']!,
        help: 'requests per minute to the token-family endpoints; "default": RATE_LIMIT_CLIENT_PER_MINUTE',
      },
      'id-token-ttl': { ...settingFlags['id-token-ttl']!, help: `ID token lifetime, 60 to 86400; "default": ${DEFAULT_ID_TOKEN_TTL}` },
      'refresh-token-ttl': {
        ...settingFlags['refresh-token-ttl']!,
        help: 'refresh token lifetime, 60 up to REFRESH_TOKEN_TTL; "default": REFRESH_TOKEN_TTL',
      },
      'first-party': { type: 'string', value: 'yes|no', help: 'a first-party app (no consent screen)', field: 'firstParty' },
      'require-mfa': { type: 'string', value: 'yes|no', help: 'its users must sign in with a second factor', field: 'requireMfa' },
      'require-dpop': { type: 'string', value: 'yes|no', help: 'its access tokens are always DPoP-bound (RFC 9449)', field: 'requireDpop' },
      'if-match': {
        type: 'string',
        value: 'etag',
        help: 'change only if the client is unchanged since this ETag was read (clients show, or the admin API)',
        field: 'ifMatch',
      },
    },
    examples: [
      'portcullis clients update <client-id> --redirect-uri https://app.example.com/cb --redirect-uri https://app.example.com/cb2',
      'portcullis clients update <client-id> --rate-limit default --refresh-token-ttl 86400 --if-match \'"Zx8…"\'',
    ],
    input: (values, target) =>
      defined({
        clientId: target ?? text(values['client-id']),
        ifMatch: text(values['if-match']),
        name: text(values.name),
        grantTypes: values['grant-type'] === undefined ? undefined : list(values['grant-type']),
        redirectUris: listOrNone(values['redirect-uri']),
        postLogoutRedirectUris: listOrNone(values['post-logout-redirect-uri']),
        backchannelLogoutUri: text(values['backchannel-logout-uri']) === 'none' ? null : text(values['backchannel-logout-uri']),
        resources: listOrNone(values.resource),
        scopes: listOrNone(values.scope),
        authMethod: text(values['auth-method']),
        jwksUri: text(values['jwks-uri']),
        pkce: text(values.pkce),
        firstParty: yesOrNo(values['first-party']),
        requireMfa: yesOrNo(values['require-mfa']),
        requireDpop: yesOrNo(values['require-dpop']),
        rateLimitPerMinute: numberOrDefault(values['rate-limit']),
        idTokenAlg: text(values['id-token-alg']),
        idTokenTtl: numberOrDefault(values['id-token-ttl']),
        refreshTokenTtl: numberOrDefault(values['refresh-token-ttl']),
      }),
    print(result, output) {
      const client = result as ClientView;
      output.out(`Updated client "${client.name}"`);
      printClient(client, output);
    },
  },
  {
    command: 'clients rotate-secret',
    operation: 'clients.rotate-secret',
    summary: 'issue a new client secret, shown once; the old one keeps working for a while',
    target: clientIdTarget,
    flags: {
      'client-id': clientIdFlag,
      'previous-secret-ttl': {
        type: 'string',
        value: 'seconds',
        field: 'previousSecretTtl',
        help: `how long the old secret keeps working, 0 to 2592000 (default ${DEFAULT_PREVIOUS_SECRET_TTL}; 0 ends it at once). An older previous secret still active is dropped`,
      },
    },
    examples: ['portcullis clients rotate-secret <client-id> --previous-secret-ttl 3600'],
    input: (values, target) =>
      defined({ clientId: target ?? text(values['client-id']), previousSecretTtl: integer(text(values['previous-secret-ttl'])) }),
    print(result, output) {
      const client = result as ClientView & { clientSecret: string };
      output.out(`Rotated the secret of client "${client.name}"`);
      for (const line of keyValues([
        ['client_id', client.clientId],
        ['client_secret', client.clientSecret],
        ['previous secret', client.previousSecretExpiresAt ? `works until ${date(client.previousSecretExpiresAt)}` : 'ended'],
      ])) {
        output.out(`  ${line}`);
      }
      output.err(STORE_SECRET_WARNING);
    },
  },
  {
    command: 'clients revoke-previous-secret',
    operation: 'clients.revoke-previous-secret',
    summary: 'end the previous client secret now (the one the last rotation replaced)',
    target: clientIdTarget,
    flags: { 'client-id': clientIdFlag },
    input: clientRef,
    print: (result, output) =>
      output.out(`Ended the previous secret of client "${(result as ClientView).name}"; only the current secret works now`),
  },
  {
    command: 'clients delete',
    operation: 'clients.delete',
    summary: 'delete a client with its grants and tokens',
    target: clientIdTarget,
    flags: { 'client-id': clientIdFlag },
    input: clientRef,
    print: (result, output) => output.out(`Deleted client ${(result as { clientId: string }).clientId}`),
  },
];
