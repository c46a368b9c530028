// Attack 5: any client reads any token. Introspection tells whoever asks who the token's user is,
// what it may do and which client holds it; a client may learn that only of its own tokens, and of
// access tokens for an API that names it as one of its introspecting clients.
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { adminTest } from '../helpers/admin-harness.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize } from '../helpers/user-agent.ts';

const API = 'https://api.example.com';
const OTHER_API = 'https://other-api.example.com';

/** A user's tokens for `client`: a JWT access token for `resource` (none: an opaque userinfo token) and a refresh token. */
async function userTokens(server: TestServer, client: TestClient, resource: string | null = API) {
  const user = await createUser(server.db);
  const scope = resource ? 'openid offline_access read' : 'openid email';
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope,
    ...(resource ? { resource } : {}),
  });
  const token = await postForm(
    `${server.url}/token`,
    {
      grant_type: 'authorization_code',
      code: flow.code!,
      redirect_uri: REDIRECT_URI,
      code_verifier: flow.verifier,
      ...(resource ? { resource } : {}),
    },
    client,
  );
  if (token.status !== 200) throw new Error(JSON.stringify(token.body));
  return { user, accessToken: token.body.access_token as string, refreshToken: token.body.refresh_token as string | undefined };
}

const introspect = (server: TestServer, client: TestClient, token: string) =>
  postForm(`${server.url}/token/introspection`, { token }, client);

async function setUp(server: TestServer) {
  await createResource(server.db, API, ['read']);
  await createResource(server.db, OTHER_API, ['read']);
  const app = await createTestClient(server, { resources: { [API]: ['read'], [OTHER_API]: ['read'] } });
  return { app, tokens: await userTokens(server, app) };
}

testEachBackend('a client cannot introspect another client’s tokens', async (t, server) => {
  const { app, tokens } = await setUp(server);
  const intruder = await createTestClient(server, { grantTypes: ['client_credentials'] });
  // A client without APIs gets an opaque access token for userinfo (the provider's own kind).
  const plain = await createTestClient(server);
  const userinfo = await userTokens(server, plain, null);
  t.is(userinfo.accessToken.split('.').length, 1, 'an opaque token');
  const cases: [string, TestClient, string][] = [
    ['JWT access token', app, tokens.accessToken],
    ['refresh token', app, tokens.refreshToken!],
    ['opaque userinfo access token', plain, userinfo.accessToken],
  ];
  for (const [label, owner, token] of cases) {
    const answer = await introspect(server, intruder, token);
    t.is(answer.status, 200, label);
    t.deepEqual(answer.body, { active: false }, `${label}: nothing about another client's token`);
    t.is((await introspect(server, owner, token)).body.active, true, `${label}: its own client still reads it`);
  }
  // A service's client-credentials token is as private as a user's.
  const service = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API]: ['read'] } });
  const serviceToken = (await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read', resource: API }, service))
    .body.access_token as string;
  t.deepEqual((await introspect(server, intruder, serviceToken)).body, { active: false });
  t.is((await introspect(server, service, serviceToken)).body.active, true);
});

testEachBackend('an API’s introspecting client cannot read another API’s tokens, nor refresh tokens', async (t, server) => {
  const { tokens } = await setUp(server);
  const api = await createTestClient(server, { grantTypes: ['client_credentials'] });
  await runAsOperator(server, 'resources.update', { identifier: API, introspectingClients: [api.clientId] });
  const forApi = await introspect(server, api, tokens.accessToken);
  t.is(forApi.body.active, true, 'the named client reads the API’s access tokens');
  t.is(forApi.body.aud, API);

  const second = await createTestClient(server, { resources: { [OTHER_API]: ['read'] } });
  const otherTokens = await userTokens(server, second, OTHER_API);
  t.deepEqual((await introspect(server, api, otherTokens.accessToken)).body, { active: false }, 'another API’s access token');
  t.deepEqual((await introspect(server, api, tokens.refreshToken!)).body, { active: false }, 'a refresh token whose grant covers the API');
});

adminTest(
  'an API names its introspecting clients through the admin API, and they read its tokens',
  async (t, { server, bootstrap, token, call }) => {
    const admin = await token(await bootstrap(), 'admin:read admin:write');
    await createResource(server.db, API, ['read']);
    const app = await createTestClient(server, { resources: { [API]: ['read'] } });
    const gateway = await createTestClient(server, { grantTypes: ['client_credentials'] });
    const { accessToken } = await userTokens(server, app);
    t.deepEqual((await introspect(server, gateway, accessToken)).body, { active: false }, 'not yet named');

    const shown = await call('GET', `/resources/${encodeURIComponent(API)}`, { token: admin });
    t.deepEqual(shown.body.introspectingClients, []);
    const unknown = await call('PATCH', `/resources/${encodeURIComponent(API)}`, {
      token: admin,
      json: { introspectingClients: ['no-such-client'] },
      headers: { 'if-match': shown.headers.get('etag')! },
    });
    t.is(unknown.status, 400);
    t.regex(unknown.body.error_description, /introspectingClients/);
    const named = await call('PATCH', `/resources/${encodeURIComponent(API)}`, {
      token: admin,
      json: { introspectingClients: [gateway.clientId] },
      headers: { 'if-match': shown.headers.get('etag')! },
    });
    t.is(named.status, 200);
    t.deepEqual(named.body.introspectingClients, [gateway.clientId]);

    const answer = await introspect(server, gateway, accessToken);
    t.is(answer.body.active, true);
    t.is(answer.body.client_id, app.clientId);

    // The admin API's own tokens are not for this gateway.
    const adminToken = await introspect(server, gateway, admin);
    t.deepEqual(adminToken.body, { active: false }, `${ADMIN_AUDIENCE} does not name the gateway`);

    const cleared = await call('PATCH', `/resources/${encodeURIComponent(API)}`, {
      token: admin,
      json: { introspectingClients: [] },
      headers: { 'if-match': named.headers.get('etag')! },
    });
    t.deepEqual(cleared.body.introspectingClients, []);
    t.deepEqual((await introspect(server, gateway, accessToken)).body, { active: false }, 'no longer named');

    const created = await call('POST', '/resources', {
      token: admin,
      json: { identifier: OTHER_API, scopes: [{ name: 'read' }], introspectingClients: [gateway.clientId] },
    });
    t.is(created.status, 201);
    t.deepEqual(created.body.introspectingClients, [gateway.clientId]);
  },
);
