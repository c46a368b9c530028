// `portcullis clients ...`
import { AUTH_METHODS, GRANT_TYPES } from '../client-input.ts';
import { keyValues, orDash, table, type Output } from '../cli-output.ts';
import type { ClientView } from '../operations/clients.ts';
import { date, defined, integer, list, none, text, allPages, type CommandSpec, type FlagSpec } from './command-spec.ts';

const rateLimit = (perMinute: number | null) => (perMinute === null ? 'server default (RATE_LIMIT_CLIENT_PER_MINUTE)' : `${perMinute} requests per minute`);

function printClient(client: ClientView, output: Output): void {
  for (const line of keyValues([
    ['client_id', client.clientId],
    ['name', client.name],
    ['type', `${client.applicationType}${client.firstParty ? ', first party' : ''}${client.requireMfa ? ', requires MFA' : ''}`],
    ['auth method', client.authMethod],
    ['grant types', client.grantTypes],
    ['redirect URIs', client.redirectUris],
    ['post-logout URIs', client.postLogoutRedirectUris],
    ['back-channel logout', orDash(client.backchannelLogoutUri)],
    ...(client.jwksUri ? ([['jwks_uri', client.jwksUri]] as const) : []),
    ['resources', Object.entries(client.resources).map(([resource, scopes]) => `${resource}  ${scopes.length > 0 ? scopes.join(' ') : '(no scopes)'}`)],
    ['rate limit', rateLimit(client.rateLimitPerMinute)],
    ['created', date(client.createdAt)],
  ])) {
    output.out(line);
  }
}


const clientIdTarget = { placeholder: 'client-id', field: 'clientId', flag: 'client-id' };
const clientIdFlag: FlagSpec = { type: 'string', value: 'id', help: 'the client (instead of the positional argument)', field: 'clientId' };

export const CLIENT_COMMANDS: readonly CommandSpec[] = [
  {
    command: 'clients create',
    operation: 'clients.create',
    summary: 'register a client; its secret is shown once',
    flags: {
      name: { type: 'string', value: 'name', help: 'display name (required)', field: 'name' },
      'grant-type': { type: 'string', multiple: true, value: 'type', help: `${GRANT_TYPES.join(' | ')} (repeatable; default authorization_code)`, field: 'grantTypes' },
      'redirect-uri': { type: 'string', multiple: true, value: 'uri', help: 'exact redirect URI: https, http on localhost/127.0.0.1/[::1], or com.example.app:/path (repeatable)', field: 'redirectUris' },
      'post-logout-redirect-uri': { type: 'string', multiple: true, value: 'uri', help: 'where to return after logout (repeatable)', field: 'postLogoutRedirectUris' },
      'backchannel-logout-uri': { type: 'string', value: 'uri', help: 'back-channel logout endpoint of the client', field: 'backchannelLogoutUri' },
      resource: { type: 'string', multiple: true, value: 'uri', help: 'resource server the client may get tokens for (repeatable)', field: 'resources' },
      scope: { type: 'string', multiple: true, value: 'name', help: 'scope of those resources the client may request (repeatable)', field: 'scopes' },
      'auth-method': { type: 'string', value: 'method', help: `${AUTH_METHODS.join(' | ')} (default client_secret_basic)`, field: 'authMethod' },
      'jwks-uri': { type: 'string', value: 'url', help: 'https URL of the client\'s JWKS (private_key_jwt)', field: 'jwksUri' },
      'first-party': { type: 'boolean', help: 'a first-party app: no consent screen', field: 'firstParty' },
      'require-mfa': { type: 'boolean', help: 'its users must sign in with a second factor', field: 'requireMfa' },
      'rate-limit': { type: 'string', value: 'per-minute', help: 'requests per minute to the token, introspection and revocation endpoints (default RATE_LIMIT_CLIENT_PER_MINUTE)', field: 'rateLimitPerMinute' },
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
        firstParty: values['first-party'] === true,
        requireMfa: values['require-mfa'] === true,
        rateLimitPerMinute: integer(text(values['rate-limit'])),
      }),
    print(result, output) {
      const client = result as ClientView & { clientSecret?: string };
      output.out(`Created client "${client.name}"`);
      for (const line of keyValues([
        ['client_id', client.clientId],
        ...(client.clientSecret ? ([['client_secret', client.clientSecret]] as const) : []),
        ['auth method', client.authMethod],
        ...(client.rateLimitPerMinute === null ? [] : ([['rate limit', rateLimit(client.rateLimitPerMinute)]] as const)),
      ])) {
        output.out(`  ${line}`);
      }
      if (client.clientSecret) output.err('Store the client secret now: it is shown only this once and cannot be retrieved later.');
      else if (client.authMethod === 'none') output.err('Public client: no secret; it must use PKCE.');
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
      if (clients.length === 0) return none(output, 'clients');
      const rows = clients.map((client) => [client.clientId, client.name, client.authMethod, client.grantTypes.join(','), Object.keys(client.resources).join(',') || '-']);
      for (const line of table(['client id', 'name', 'auth method', 'grant types', 'resources'], rows)) output.out(line);
    }),
  },
  {
    command: 'clients show',
    operation: 'clients.show',
    summary: 'show a client (never its secret)',
    target: clientIdTarget,
    flags: { 'client-id': clientIdFlag },
    input: (values, target) => ({ clientId: target ?? text(values['client-id']) }),
    print: (result, output) => printClient(result as ClientView, output),
  },
  {
    command: 'clients delete',
    operation: 'clients.delete',
    summary: 'delete a client with its grants and tokens',
    target: clientIdTarget,
    flags: { 'client-id': clientIdFlag },
    input: (values, target) => ({ clientId: target ?? text(values['client-id']) }),
    print: (result, output) => output.out(`Deleted client ${(result as { clientId: string }).clientId}`),
  },
];
