// Registration rules for clients and resource servers (pure; no I/O).
import test from 'ava';
import { AppError } from '../../src/http/app-error.ts';
import { runOperation } from '../../src/admin/registry.ts';
import { newClientId } from '../../src/admin/clients/create-client.ts';
import {
  clientCreateInput,
  planClient,
  planResources,
  redirectUriProblem,
  type ClientCreateInput,
} from '../../src/admin/clients/client-input.ts';
import { resourceCreateInput, resourceIdentifierProblem, scopeNameProblem } from '../../src/admin/resources/resource-input.ts';
import { resourceServer } from '../helpers/resource-server.ts';

const server = resourceServer;

const API = server('https://api.example.com', ['read', 'write']);
const BILLING = server('https://billing.example.com', ['read', 'invoices']);

const input = (overrides: Record<string, unknown>): ClientCreateInput => clientCreateInput.parse({ name: 'App', ...overrides });

/** The refusal thrown by `run`, asserted to be an invalid_input AppError. */
function refusal(t: import('ava').ExecutionContext, run: () => unknown): string {
  const error = t.throws(run, { instanceOf: AppError });
  t.is(error?.code, 'invalid_input');
  t.is(error?.status, 400);
  return error?.message ?? '';
}

test('redirect URIs: https anywhere, http only on loopback hosts, private-use schemes with a dot', (t) => {
  for (const uri of [
    'https://app.example.com/callback',
    'https://app.example.com:8443/cb?tenant=a',
    'http://localhost:8080/callback',
    'http://127.0.0.1/cb',
    'http://[::1]:3000/cb',
    'com.example.app:/oauth2redirect',
    'com.example.app://callback',
  ]) {
    t.is(redirectUriProblem(uri), undefined, uri);
  }
});

test('redirect URIs: refused when relative, wildcarded, with a fragment, on plain http or a dotless scheme', (t) => {
  const cases: [string, RegExp][] = [
    ['/callback', /absolute/],
    ['app.example.com/callback', /absolute/],
    ['https://*.example.com/callback', /wildcard/],
    ['https://app.example.com/*', /wildcard/],
    ['https://app.example.com/cb#frag', /fragment/],
    ['https://app.example.com/cb#', /fragment/],
    ['http://app.example.com/callback', /https/],
    ['http://localhost.example.com/cb', /https/],
    ['http://10.0.0.1/cb', /https/],
    ['myapp:/callback', /private-use scheme/],
    ['javascript:alert(1)', /private-use scheme/],
    ['https://user:pass@app.example.com/cb', /credentials/],
    ['https://app.example.com/c b', /spaces/],
    ['', /empty/],
    [`https://app.example.com/${'a'.repeat(2100)}`, /at most/],
  ];
  for (const [uri, problem] of cases) t.regex(redirectUriProblem(uri) ?? 'accepted', problem, uri);
});

test('planClient builds oidc-provider metadata for a web app with authorization_code', (t) => {
  const plan = planClient(
    input({
      grantTypes: ['authorization_code', 'refresh_token', 'authorization_code'],
      redirectUris: ['https://app.example.com/cb'],
      postLogoutRedirectUris: ['https://app.example.com/'],
      backchannelLogoutUri: 'https://app.example.com/logout',
      resources: ['https://api.example.com'],
      scopes: ['read'],
    }),
    [API, BILLING],
  );
  t.deepEqual(plan.metadata, {
    client_name: 'App',
    grant_types: ['authorization_code', 'refresh_token'],
    response_types: ['code'],
    redirect_uris: ['https://app.example.com/cb'],
    post_logout_redirect_uris: ['https://app.example.com/'],
    backchannel_logout_uri: 'https://app.example.com/logout',
    token_endpoint_auth_method: 'client_secret_basic',
    id_token_signed_response_alg: 'RS256',
  });
  t.deepEqual(plan.resources, { 'https://api.example.com': ['read'] });
  t.true(plan.issueSecret);
});

test('planClient: defaults to authorization_code, which needs a redirect URI', (t) => {
  t.regex(
    refusal(t, () => planClient(input({}), [])),
    /^redirectUris: .*at least one redirect URI/,
  );
});

test('planClient: client_credentials has no response types, no redirect URIs and a secret', (t) => {
  const plan = planClient(input({ grantTypes: ['client_credentials'], resources: ['https://api.example.com'] }), [API]);
  t.deepEqual(plan.metadata.response_types, []);
  t.deepEqual(plan.metadata.redirect_uris, []);
  t.deepEqual(plan.resources, { 'https://api.example.com': [] });
  t.true(plan.issueSecret);
  t.regex(
    refusal(t, () => planClient(input({ grantTypes: ['client_credentials'], redirectUris: ['https://a.example/cb'] }), [])),
    /^redirectUris: /,
  );
  t.regex(
    refusal(t, () => planClient(input({ grantTypes: ['client_credentials', 'refresh_token'] }), [])),
    /^grantTypes: refresh_token/,
  );
});

test('planClient: grant types are limited to authorization_code, refresh_token and client_credentials', (t) => {
  for (const grant of ['implicit', 'password', 'urn:ietf:params:oauth:grant-type:device_code']) {
    const result = clientCreateInput.safeParse({ name: 'App', grantTypes: [grant] });
    t.false(result.success, grant);
    t.deepEqual(result.error?.issues[0]?.path, ['grantTypes', 0]);
  }
  t.false(clientCreateInput.safeParse({ name: 'App', grantTypes: [] }).success);
});

test('planClient: a public client gets no secret and cannot use client_credentials', (t) => {
  const plan = planClient(
    input({ authMethod: 'none', redirectUris: ['http://127.0.0.1:7000/cb'], grantTypes: ['authorization_code', 'refresh_token'] }),
    [],
  );
  t.false(plan.issueSecret);
  t.is(plan.metadata.token_endpoint_auth_method, 'none');
  t.regex(
    refusal(t, () => planClient(input({ authMethod: 'none', grantTypes: ['client_credentials'] }), [])),
    /^grantTypes: .*public client/,
  );
});

test('planClient: client_secret_post also gets a secret', (t) => {
  t.true(planClient(input({ authMethod: 'client_secret_post', grantTypes: ['client_credentials'] }), []).issueSecret);
});

test('planClient: private_key_jwt needs an https jwks_uri and gets no secret', (t) => {
  const base = { authMethod: 'private_key_jwt', grantTypes: ['client_credentials'] };
  t.regex(
    refusal(t, () => planClient(input(base), [])),
    /^jwksUri: /,
  );
  t.regex(
    refusal(t, () => planClient(input({ ...base, jwksUri: 'http://keys.example.com/jwks' }), [])),
    /^jwksUri: .*https/,
  );
  t.regex(
    refusal(t, () => planClient(input({ ...base, jwksUri: 'http://localhost/jwks' }), [])),
    /^jwksUri: .*https/,
  );
  t.regex(
    refusal(t, () => planClient(input({ ...base, jwksUri: 'https://keys.example.com/jwks#x' }), [])),
    /^jwksUri: .*fragment/,
  );
  const plan = planClient(input({ ...base, jwksUri: 'https://keys.example.com/jwks' }), []);
  t.false(plan.issueSecret);
  t.is(plan.metadata.jwks_uri, 'https://keys.example.com/jwks');
  t.regex(
    refusal(t, () => planClient(input({ grantTypes: ['client_credentials'], jwksUri: 'https://keys.example.com/jwks' }), [])),
    /^jwksUri: .*private_key_jwt/,
  );
});

test('planClient: a private-use scheme makes a native app, which may not use https on loopback', (t) => {
  const plan = planClient(input({ authMethod: 'none', redirectUris: ['com.example.app:/cb', 'http://127.0.0.1/cb'] }), []);
  t.is(plan.metadata.application_type, 'native');
  t.regex(
    refusal(t, () => planClient(input({ authMethod: 'none', redirectUris: ['com.example.app:/cb', 'https://localhost/cb'] }), [])),
    /^redirectUris: "https:\/\/localhost\/cb".*native/,
  );
  t.is(planClient(input({ redirectUris: ['https://localhost/cb'] }), []).metadata.application_type, undefined);
});

test('planClient: every redirect and post-logout URI is checked, the message naming the field and the URI', (t) => {
  t.regex(
    refusal(t, () => planClient(input({ redirectUris: ['https://ok.example/cb', 'http://bad.example/cb'] }), [])),
    /^redirectUris: "http:\/\/bad\.example\/cb" must use https/,
  );
  t.regex(
    refusal(t, () => planClient(input({ redirectUris: ['https://ok.example/cb'], postLogoutRedirectUris: ['https://ok.example/#x'] }), [])),
    /^postLogoutRedirectUris: .*fragment/,
  );
  t.regex(
    refusal(t, () => planClient(input({ redirectUris: ['https://ok.example/cb'], backchannelLogoutUri: 'http://ok.example/logout' }), [])),
    /^backchannelLogoutUri: /,
  );
});

test('planResources: each scope goes to the named resources that define it', (t) => {
  t.deepEqual(planResources(['https://api.example.com', 'https://billing.example.com'], ['read', 'invoices'], [API, BILLING]), {
    'https://api.example.com': ['read'],
    'https://billing.example.com': ['read', 'invoices'],
  });
});

test('planResources: unknown resources and scopes are refused by name', (t) => {
  t.regex(
    refusal(t, () => planResources(['https://nope.example.com'], [], [API])),
    /^resources: .*"https:\/\/nope\.example\.com"/,
  );
  t.regex(
    refusal(t, () => planResources(['https://api.example.com'], ['invoices'], [API, BILLING])),
    /^scopes: unknown scope "invoices"/,
  );
  t.regex(
    refusal(t, () => planResources([], ['read'], [API])),
    /^scopes: unknown scope "read"/,
  );
  t.regex(
    refusal(t, () => planResources(['https://api.example.com'], ['openid'], [API])),
    /^scopes: "openid" is an OpenID Connect scope/,
  );
});

test('resource identifiers are absolute URIs without a fragment', (t) => {
  t.is(resourceIdentifierProblem('https://api.example.com'), undefined);
  t.is(resourceIdentifierProblem('urn:example:api'), undefined);
  t.regex(resourceIdentifierProblem('api.example.com') ?? '', /absolute/);
  t.regex(resourceIdentifierProblem('https://api.example.com/#v1') ?? '', /fragment/);
  t.regex(resourceIdentifierProblem('') ?? '', /empty/);
});

test('scope names: RFC 6749 characters, not the OpenID Connect scopes', (t) => {
  for (const name of ['read', 'orders:write', 'https://api.example.com/read', 'a.b-c_d!']) t.is(scopeNameProblem(name), undefined, name);
  for (const name of ['has space', 'quote"', 'back\\slash', 'naïve', '']) t.truthy(scopeNameProblem(name), name);
  for (const name of ['openid', 'profile', 'email', 'offline_access']) t.regex(scopeNameProblem(name) ?? '', /OpenID Connect/, name);
});

test('resource input: token TTL between 30 and 86400 whole seconds, unique scopes', (t) => {
  const parse = (overrides: Record<string, unknown>) =>
    resourceCreateInput.safeParse({ identifier: 'https://api.example.com', ...overrides });
  t.is(parse({}).data?.tokenTtl, null);
  t.is(parse({ tokenTtl: 30 }).data?.tokenTtl, 30);
  t.is(parse({ tokenTtl: 86_400 }).data?.tokenTtl, 86_400);
  for (const tokenTtl of [29, 86_401, 1.5, '600']) {
    const result = parse({ tokenTtl });
    t.false(result.success, String(tokenTtl));
    t.deepEqual(result.error?.issues[0]?.path, ['tokenTtl']);
  }
  const duplicate = parse({ scopes: [{ name: 'read' }, { name: 'read', description: 'again' }] });
  t.false(duplicate.success);
  t.regex(duplicate.error?.issues[0]?.message ?? '', /listed twice/);
  t.deepEqual(parse({ scopes: [{ name: 'read' }] }).data?.scopes, [{ name: 'read', description: '' }]);
});

test('operations refuse invalid input before touching the database, naming each field', async (t) => {
  const noDatabase = {} as Parameters<typeof runOperation>[0];
  const missing = await t.throwsAsync(runOperation(noDatabase, 'clients.create', {}), { instanceOf: AppError });
  t.is(missing?.message, 'name: is required');
  const wrong = await t.throwsAsync(runOperation(noDatabase, 'clients.create', { name: 3, redirectUris: 'x', extra: true }), {
    instanceOf: AppError,
  });
  t.regex(wrong?.message ?? '', /input: unknown field\(s\) "extra"/);
  t.regex(wrong?.message ?? '', /name: must be a string/);
  t.regex(wrong?.message ?? '', /redirectUris: must be an array/);
  const unknown = await t.throwsAsync(runOperation(noDatabase, 'clients.explode', {}), { instanceOf: AppError });
  t.is(unknown?.status, 404);
});

test('generated client ids are 128-bit base64url and never start with a character a shell reads as a flag', (t) => {
  const ids = Array.from({ length: 2_000 }, () => newClientId());
  for (const id of ids) t.regex(id, /^[A-Za-z0-9][\w-]{21}$/);
  t.is(new Set(ids).size, ids.length);
});
