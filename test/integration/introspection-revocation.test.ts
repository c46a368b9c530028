import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { replaceIntrospectingClients } from '../../src/storage/resource-servers.ts';
import { authorize } from '../helpers/user-agent.ts';

const API = 'https://api.example.com';

async function userTokens(server: TestServer, client: TestClient) {
  const user = await createUser(server.db);
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid offline_access read',
    resource: API,
  });
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier, resource: API },
    client,
  );
  if (token.status !== 200) throw new Error(JSON.stringify(token.body));
  return { user, accessToken: token.body.access_token as string, refreshToken: token.body.refresh_token as string };
}

const introspect = (server: TestServer, client: TestClient, token: string) =>
  postForm(`${server.url}/token/introspection`, { token }, client);

testEachBackend('a JWT access token introspects active, then inactive after its revocation', async (t, server) => {
  await createResource(server.db, API, ['read']);
  const client = await createTestClient(server, { resources: { [API]: ['read'] } });
  const { user, accessToken } = await userTokens(server, client);
  const before = await introspect(server, client, accessToken);
  t.is(before.status, 200);
  t.is(before.body.active, true);
  t.is(before.body.sub, user.id);
  t.is(before.body.aud, API);
  t.is(before.body.scope, 'read');
  const revoked = await postForm(`${server.url}/token/revocation`, { token: accessToken }, client);
  t.is(revoked.status, 200);
  t.deepEqual((await introspect(server, client, accessToken)).body, { active: false });
});

testEachBackend('revoking the refresh token revokes the grant: its JWT access token turns inactive', async (t, server) => {
  await createResource(server.db, API, ['read']);
  const client = await createTestClient(server, { resources: { [API]: ['read'] } });
  const { accessToken, refreshToken } = await userTokens(server, client);
  t.is((await introspect(server, client, refreshToken)).body.active, true);
  t.is((await postForm(`${server.url}/token/revocation`, { token: refreshToken, token_type_hint: 'refresh_token' }, client)).status, 200);
  t.is((await introspect(server, client, refreshToken)).body.active, false);
  t.is((await introspect(server, client, accessToken)).body.active, false);
});

testEachBackend('a disabled user or a deleted client makes every token inactive', async (t, server) => {
  await createResource(server.db, API, ['read']);
  const client = await createTestClient(server, { resources: { [API]: ['read'] } });
  // the API's own back end, named by the API as one of its introspecting clients
  const resourceServer = await createTestClient(server, { grantTypes: ['client_credentials'] });
  await replaceIntrospectingClients(server.db, API, [resourceServer.clientId]);
  const { user, accessToken, refreshToken } = await userTokens(server, client);
  t.is((await introspect(server, resourceServer, accessToken)).body.active, true);
  t.is((await introspect(server, client, refreshToken)).body.active, true);
  await server.db.query('UPDATE accounts SET disabled_at = now() WHERE id = $1', [user.id]);
  t.is((await introspect(server, resourceServer, accessToken)).body.active, false);
  t.is((await introspect(server, client, refreshToken)).body.active, false);
  const refresh = await postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
  t.is(refresh.body.error, 'invalid_grant');

  const other = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API]: ['read'] } });
  const serviceToken = (await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, other)).body
    .access_token as string;
  t.is((await introspect(server, resourceServer, serviceToken)).body.active, true);
  const { deleteClient } = await import('../../src/storage/clients.ts');
  await deleteClient(server.db, other.clientId);
  let active = true;
  for (let attempt = 0; attempt < 50 && active; attempt++)
    active = (await introspect(server, resourceServer, serviceToken)).body.active === true;
  t.false(active);
});

testEachBackend('tokens of another issuer, garbage and another client’s revocation attempt do nothing', async (t, server) => {
  await createResource(server.db, API, ['read']);
  const client = await createTestClient(server, { resources: { [API]: ['read'] } });
  const intruder = await createTestClient(server, { grantTypes: ['client_credentials'] });
  const { accessToken } = await userTokens(server, client);
  const forged = `${accessToken.split('.').slice(0, 2).join('.')}.${'A'.repeat(86)}`;
  t.deepEqual((await introspect(server, client, forged)).body, { active: false });
  t.deepEqual((await introspect(server, client, 'not-a-token')).body, { active: false });
  t.is((await postForm(`${server.url}/token/revocation`, { token: accessToken }, intruder)).status, 200);
  t.is((await introspect(server, client, accessToken)).body.active, true, 'another client cannot revoke the token');
  const anonymous = await postForm(`${server.url}/token/introspection`, { token: accessToken });
  t.is(anonymous.status, 400);
});
