// clients.create: register a client; a generated secret is returned once.
import { randomBytes } from 'node:crypto';
import { generateClientSecret, hashClientSecret } from '../../security/client-secrets.ts';
import { insertClient, type StoredClient } from '../../storage/clients.ts';
import { listResourceServers } from '../../storage/resource-servers.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { adminScopesOf, assertHolds } from '../operation/authority.ts';
import { keyValues } from '../operation/cli-output.ts';
import { adminChange, conflict, defineOperation, sqlState } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { settingFlags } from './client-flags.ts';
import { AUTH_METHODS, clientCreateInput, GRANT_TYPES, planClient } from './client-input.ts';
import {
  clientLocation,
  clientTag,
  createdClientAnswer,
  rateLimit,
  STORE_SECRET_WARNING,
  toClientView,
  type ClientViewWithSecret,
} from './client-view.ts';

export type { ClientView, ClientViewWithSecret } from './client-view.ts';

/**
 * 128 random bits, base64url, starting with a letter or digit: an id that starts with `-` would
 * read as a flag on the command line (`portcullis clients show -x…`).
 */
export function newClientId(): string {
  for (;;) {
    const clientId = randomBytes(16).toString('base64url');
    if (/^[A-Za-z0-9]/.test(clientId)) return clientId;
  }
}

export const createClient = defineOperation({
  name: 'clients.create',
  summary: 'register a client; a generated secret is returned once',
  input: clientCreateInput,
  output: createdClientAnswer,
  http: {
    method: 'POST',
    path: '/clients',
    summary: 'Register a client; a generated secret is returned in this answer only',
    scopes: [ADMIN_SCOPES.write],
    body: 'json',
    status: 201,
    location: clientLocation,
    etag: clientTag,
    errors: [...BODY_ERRORS, 409],
  },
  cli: {
    command: 'clients create',
    summary: 'register a client; its secret is shown once',
    flags: {
      ...settingFlags,
      name: { ...settingFlags.name, help: 'display name (required)' },
      'grant-type': { ...settingFlags['grant-type'], help: `${GRANT_TYPES.join(' | ')} (repeatable; default authorization_code)` },
      'auth-method': { ...settingFlags['auth-method'], help: `${AUTH_METHODS.join(' | ')} (default client_secret_basic)` },
      pkce: { ...settingFlags.pkce, help: `${settingFlags.pkce.help} (default required)` },
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
    print(client, output) {
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
  async run(ctx, input): Promise<ClientViewWithSecret> {
    const plan = planClient(input, await listResourceServers(ctx.db), { maxRefreshTokenTtl: ctx.config.refreshTokenTtl });
    assertHolds(ctx.scopes, adminScopesOf(plan.resources), 'registering a client with permissions on the admin API');
    const clientId = newClientId();
    const clientSecret = plan.issueSecret ? generateClientSecret() : undefined;
    let stored: StoredClient;
    try {
      stored = await adminChange(ctx, async (tx) => {
        const result = await insertClient(tx, {
          clientId,
          name: input.name,
          metadata: plan.metadata,
          secretHash: clientSecret === undefined ? null : hashClientSecret(ctx.keys.clientSecretKey, clientSecret),
          firstParty: input.firstParty,
          requireMfa: input.requireMfa,
          resources: plan.resources,
          rateLimitPerMinute: plan.rateLimitPerMinute,
          idTokenTtl: plan.idTokenTtl,
          refreshTokenTtl: plan.refreshTokenTtl,
        });
        const details = {
          name: input.name,
          grantTypes: plan.metadata.grant_types,
          authMethod: plan.metadata.token_endpoint_auth_method,
          firstParty: input.firstParty,
          requireMfa: input.requireMfa,
          resources: plan.resources,
          ...(input.requireDpop ? { requireDpop: true } : {}),
          ...(input.pkce === 'optional' ? { pkce: 'optional' } : {}),
          ...(plan.rateLimitPerMinute === null ? {} : { rateLimitPerMinute: plan.rateLimitPerMinute }),
          idTokenAlg: input.idTokenAlg,
          ...(plan.idTokenTtl === null ? {} : { idTokenTtl: plan.idTokenTtl }),
          ...(plan.refreshTokenTtl === null ? {} : { refreshTokenTtl: plan.refreshTokenTtl }),
        };
        return { result, event: { type: 'client.created', target: { type: 'client', id: clientId }, details } };
      });
    } catch (error) {
      // A resource server deleted between the check and the insert.
      if (sqlState(error) === '23503') throw conflict('resources', 'a named resource server was deleted meanwhile; retry');
      throw error;
    }
    return { ...toClientView(stored), ...(clientSecret === undefined ? {} : { clientSecret }) };
  },
});
