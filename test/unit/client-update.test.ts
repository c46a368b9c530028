// clients.update's rules (pure): a patch merged onto the stored client, checked as a create is.
import test, { type ExecutionContext } from 'ava';
import { AppError } from '../../src/http/app-error.ts';
import { clientUpdateInput, PLANNED_METADATA_KEYS, planClient, clientCreateInput } from '../../src/admin/clients/client-input.ts';
import { planClientUpdate } from '../../src/admin/clients/update-client.ts';
import type { StoredClient } from '../../src/storage/clients.ts';
import { resourceServer } from '../helpers/resource-server.ts';

const server = resourceServer;
const API = server('https://api.example.com', ['read', 'write']);
const BILLING = server('https://billing.example.com', ['invoices']);
const SERVERS = [API, BILLING];

const stored = (overrides: Partial<StoredClient> = {}): StoredClient => ({
  clientId: 'c1',
  name: 'Web app',
  metadata: {
    client_name: 'Web app',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://app.example.com/cb'],
    post_logout_redirect_uris: ['https://app.example.com/bye'],
    token_endpoint_auth_method: 'client_secret_basic',
    backchannel_logout_session_required: true,
  },
  secretHash: 'hmac-sha256:x',
  previousSecretHash: null,
  previousSecretExpiresAt: null,
  firstParty: false,
  resources: { [API.identifier]: ['read'] },
  rateLimitPerMinute: 100,
  requireMfa: false,
  idTokenTtl: null,
  refreshTokenTtl: null,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  ...overrides,
});

const patch = (fields: Record<string, unknown>) => clientUpdateInput.parse({ clientId: 'c1', ...fields });

function refused(t: ExecutionContext, run: () => unknown, code: string, field: string): string {
  const error = t.throws(run, { instanceOf: AppError });
  t.is(error?.code, code);
  t.true(error?.message.startsWith(`${field}: `), error?.message);
  return error?.message ?? '';
}

test('a patch changes only what it names; other metadata keys are kept; the changed fields are listed', (t) => {
  const plan = planClientUpdate(stored(), patch({ name: 'Renamed', redirectUris: ['https://app.example.com/cb2'] }), SERVERS);
  t.deepEqual(plan.changed, ['name', 'redirectUris']);
  t.is(plan.settings.name, 'Renamed');
  t.like(plan.settings.metadata, {
    client_name: 'Renamed',
    redirect_uris: ['https://app.example.com/cb2'],
    post_logout_redirect_uris: ['https://app.example.com/bye'],
    backchannel_logout_session_required: true,
  });
  t.deepEqual(plan.settings.resources, { [API.identifier]: ['read'] });
  t.false(plan.resourcesChanged);
  t.is(plan.settings.rateLimitPerMinute, 100);
});

test('an empty patch, or one that repeats the current values, changes nothing', (t) => {
  t.deepEqual(planClientUpdate(stored(), patch({}), SERVERS).changed, []);
  t.deepEqual(planClientUpdate(stored(), patch({ name: 'Web app', firstParty: false, scopes: ['read'] }), SERVERS).changed, []);
});

test('null puts optional settings back to the server default', (t) => {
  const current = stored({
    idTokenTtl: 600,
    refreshTokenTtl: 3600,
    metadata: { ...stored().metadata, backchannel_logout_uri: 'https://app.example.com/logout' },
  });
  const plan = planClientUpdate(
    current,
    patch({ rateLimitPerMinute: null, idTokenTtl: null, refreshTokenTtl: null, backchannelLogoutUri: null }),
    SERVERS,
  );
  t.deepEqual(plan.changed, ['backchannelLogoutUri', 'rateLimitPerMinute', 'idTokenTtl', 'refreshTokenTtl']);
  t.is(plan.settings.rateLimitPerMinute, null);
  t.is(plan.settings.idTokenTtl, null);
  t.false('backchannel_logout_uri' in plan.settings.metadata);
});

test('the merged client must pass the create rules, refused by field', (t) => {
  refused(t, () => planClientUpdate(stored(), patch({ redirectUris: [] }), SERVERS), 'invalid_input', 'redirectUris');
  refused(
    t,
    () => planClientUpdate(stored(), patch({ redirectUris: ['https://app.example.com/cb#x'] }), SERVERS),
    'invalid_input',
    'redirectUris',
  );
  refused(
    t,
    () => planClientUpdate(stored(), patch({ redirectUris: ['https://*.example.com/cb'] }), SERVERS),
    'invalid_input',
    'redirectUris',
  );
  refused(
    t,
    () => planClientUpdate(stored(), patch({ redirectUris: ['http://app.example.com/cb'] }), SERVERS),
    'invalid_input',
    'redirectUris',
  );
  // client_credentials alone while redirect URIs remain
  refused(t, () => planClientUpdate(stored(), patch({ grantTypes: ['client_credentials'] }), SERVERS), 'invalid_input', 'redirectUris');
  refused(t, () => planClientUpdate(stored(), patch({ scopes: ['delete'] }), SERVERS), 'invalid_input', 'scopes');
  refused(
    t,
    () => planClientUpdate(stored(), patch({ resources: ['https://nowhere.example.com'] }), SERVERS),
    'invalid_input',
    'resources',
  );
  const ceiling = refused(
    t,
    () => planClientUpdate(stored(), patch({ refreshTokenTtl: 7200 }), SERVERS, { maxRefreshTokenTtl: 3600 }),
    'invalid_input',
    'refreshTokenTtl',
  );
  t.regex(ceiling, /REFRESH_TOKEN_TTL/);
});

test('resources and scopes: given one, the other keeps its current value; untouched, they are kept as stored', (t) => {
  const wider = planClientUpdate(stored(), patch({ scopes: ['read', 'write'] }), SERVERS);
  t.deepEqual(wider.settings.resources, { [API.identifier]: ['read', 'write'] });
  t.true(wider.resourcesChanged);
  const moreApis = planClientUpdate(
    stored(),
    patch({ resources: [API.identifier, BILLING.identifier], scopes: ['read', 'invoices'] }),
    SERVERS,
  );
  t.deepEqual(moreApis.settings.resources, { [API.identifier]: ['read'], [BILLING.identifier]: ['invoices'] });
  t.deepEqual(moreApis.changed, ['resources']);
  // a scope the resource server no longer defines does not block an unrelated change
  const stale = stored({ resources: { [API.identifier]: ['read', 'retired'] } });
  t.deepEqual(planClientUpdate(stale, patch({ name: 'Renamed' }), SERVERS).settings.resources, stale.resources);
});

test('the authentication method: swapped between the two secret methods only', (t) => {
  const swapped = planClientUpdate(stored(), patch({ authMethod: 'client_secret_post' }), SERVERS);
  t.deepEqual(swapped.changed, ['authMethod']);
  t.is(swapped.settings.metadata.token_endpoint_auth_method, 'client_secret_post');
  t.regex(
    refused(t, () => planClientUpdate(stored(), patch({ authMethod: 'none' }), SERVERS), 'conflict', 'authMethod'),
    /register a new client/,
  );
  refused(
    t,
    () => planClientUpdate(stored(), patch({ authMethod: 'private_key_jwt', jwksUri: 'https://keys.example.com/jwks' }), SERVERS),
    'conflict',
    'authMethod',
  );
  const publicClient = stored({ secretHash: null, metadata: { ...stored().metadata, token_endpoint_auth_method: 'none' } });
  refused(t, () => planClientUpdate(publicClient, patch({ authMethod: 'client_secret_basic' }), SERVERS), 'conflict', 'authMethod');
});

test('the update input is strict and bounded; the lifetimes too at create', (t) => {
  const issues = (input: Record<string, unknown>) =>
    clientUpdateInput.safeParse({ clientId: 'c1', ...input }).error?.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`) ??
    [];
  t.regex(issues({ colour: 'blue' }).join(), /colour/);
  t.regex(issues({ idTokenTtl: 59 }).join(), /^idTokenTtl: must be at least 60 seconds/);
  t.regex(issues({ idTokenTtl: 86_401 }).join(), /^idTokenTtl: must be at most 86400 seconds/);
  t.regex(issues({ refreshTokenTtl: 1.5 }).join(), /^refreshTokenTtl: must be a whole number/);
  t.regex(issues({ rateLimitPerMinute: 0 }).join(), /^rateLimitPerMinute: must be at least 1/);
  t.regex(issues({ firstParty: 'yes' }).join(), /^firstParty: /);
  t.deepEqual(issues({ rateLimitPerMinute: null, idTokenTtl: null, refreshTokenTtl: null, backchannelLogoutUri: null }), []);
  const created = planClient(
    clientCreateInput.parse({ name: 'App', redirectUris: ['https://a.example/cb'], idTokenTtl: 300, refreshTokenTtl: 600 }),
    SERVERS,
    { maxRefreshTokenTtl: 3600 },
  );
  t.like(created, { idTokenTtl: 300, refreshTokenTtl: 600 });
});

test('planClient decides only the metadata keys an update replaces', (t) => {
  const plan = planClient(
    clientCreateInput.parse({
      name: 'Native',
      redirectUris: ['com.example.app:/cb'],
      postLogoutRedirectUris: ['com.example.app:/bye'],
      backchannelLogoutUri: 'https://app.example.com/logout',
      authMethod: 'private_key_jwt',
      jwksUri: 'https://keys.example.com/jwks',
    }),
    SERVERS,
  );
  for (const key of Object.keys(plan.metadata)) t.true(PLANNED_METADATA_KEYS.includes(key), key);
});

test('pkce optional: only for a confidential client with the code flow, at create and through any update', (t) => {
  const created = planClient(
    clientCreateInput.parse({ name: 'Legacy', redirectUris: ['https://a.example/cb'], pkce: 'optional' }),
    SERVERS,
  );
  t.is(created.metadata.portcullis_pkce_optional, true);
  t.false(
    'portcullis_pkce_optional' in
      planClient(clientCreateInput.parse({ name: 'App', redirectUris: ['https://a.example/cb'] }), SERVERS).metadata,
    'required: no flag',
  );
  for (const key of Object.keys(created.metadata)) t.true(PLANNED_METADATA_KEYS.includes(key), key);
  t.regex(
    refused(
      t,
      () =>
        planClient(
          clientCreateInput.parse({ name: 'SPA', redirectUris: ['https://a.example/cb'], authMethod: 'none', pkce: 'optional' }),
          SERVERS,
        ),
      'invalid_input',
      'pkce',
    ),
    /public client/,
  );
  t.regex(
    refused(
      t,
      () => planClient(clientCreateInput.parse({ name: 'Worker', grantTypes: ['client_credentials'], pkce: 'optional' }), SERVERS),
      'invalid_input',
      'pkce',
    ),
    /authorization_code/,
  );

  const legacy = stored({ metadata: { ...stored().metadata, portcullis_pkce_optional: true } });
  const renamed = planClientUpdate(legacy, patch({ name: 'Renamed' }), SERVERS);
  t.is(renamed.settings.metadata.portcullis_pkce_optional, true, 'kept through an unrelated change');
  const strict = planClientUpdate(legacy, patch({ pkce: 'required' }), SERVERS);
  t.deepEqual(strict.changed, ['pkce']);
  t.false('portcullis_pkce_optional' in strict.settings.metadata);
  t.deepEqual(planClientUpdate(stored(), patch({ pkce: 'optional' }), SERVERS).changed, ['pkce']);
  refused(
    t,
    () => planClientUpdate(legacy, patch({ grantTypes: ['client_credentials'], redirectUris: [], postLogoutRedirectUris: [] }), SERVERS),
    'invalid_input',
    'pkce',
  );
  const publicClient = stored({ secretHash: null, metadata: { ...stored().metadata, token_endpoint_auth_method: 'none' } });
  refused(t, () => planClientUpdate(publicClient, patch({ pkce: 'optional' }), SERVERS), 'invalid_input', 'pkce');
  refused(t, () => planClientUpdate(legacy, patch({ authMethod: 'none' }), SERVERS), 'conflict', 'authMethod');
});
