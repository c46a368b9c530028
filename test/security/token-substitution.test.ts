// Token substitution and mix-up: a token is only good where it was issued for. An access token for
// API A is not one for API B (nor for the admin API, nor userinfo); an ID token or a refresh token is
// not an access token anywhere; a code belongs to the client it was issued to, and the authorization
// response names the issuer that issued it (RFC 9207) so a client talking to several servers can
// tell them apart (RFC 9700 §4.4).
import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize } from '../helpers/user-agent.ts';

const API_A = 'https://a.api.example.com';
const API_B = 'https://b.api.example.com';

/** A user's tokens for API A (access, refresh and ID token), through a third-party client. */
async function tokensForApiA(server: TestServer) {
  await createResource(server.db, API_A, ['read']);
  await createResource(server.db, API_B, ['read']);
  const client = await createTestClient(server, { resources: { [API_A]: ['read'], [API_B]: ['read'] } });
  const user = await createUser(server.db);
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid offline_access read',
    resource: API_A,
  });
  if (!flow.code) throw new Error(flow.pages.at(-1));
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier, resource: API_A },
    client,
  );
  if (token.status !== 200) throw new Error(JSON.stringify(token.body));
  return {
    client,
    user,
    accessToken: token.body.access_token as string,
    refreshToken: token.body.refresh_token as string,
    idToken: token.body.id_token as string,
  };
}

const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
const userinfo = (server: TestServer, token: string) => fetch(`${server.url}/me`, { headers: bearer(token) });
const adminApi = (server: TestServer, token: string) =>
  fetch(`${server.url}/admin/v1/clients`, { headers: { ...bearer(token), accept: 'application/json' } });
const introspect = (server: TestServer, client: TestClient, token: string, hint?: string) =>
  postForm(`${server.url}/token/introspection`, { token, ...(hint ? { token_type_hint: hint } : {}) }, client);

/** The client API B checks its callers' tokens with (by introspection): a confidential service client. */
const apiBIntrospector = (server: TestServer) =>
  createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API_B]: ['read'] } });

testEachBackend('an access token for API A presented to API B’s introspection is inactive there', async (t, server) => {
  const { accessToken } = await tokensForApiA(server);
  const apiB = await apiBIntrospector(server);
  const answer = await introspect(server, apiB, accessToken);
  t.is(answer.status, 200);
  // Known defect owned by attack 5 (introspection privacy): today any confidential client learns it is active.
  t.deepEqual(answer.body, { active: false }, 'API B learns nothing about a token for API A');
});

testEachBackend('an access token for API A is refused by the admin API and by userinfo', async (t, server) => {
  const { accessToken } = await tokensForApiA(server);
  const admin = await adminApi(server, accessToken);
  t.is(admin.status, 401, 'the admin API is another resource server');
  t.regex(admin.headers.get('www-authenticate') ?? '', /invalid_token/);
  const info = await userinfo(server, accessToken);
  t.is(info.status, 401, 'userinfo takes only tokens issued for userinfo, not for an API');
  t.false('sub' in ((await info.json()) as Record<string, unknown>));
});

testEachBackend('an ID token used as an access token is refused at userinfo, the admin API and introspection', async (t, server) => {
  const { idToken, client } = await tokensForApiA(server);
  const info = await userinfo(server, idToken);
  t.is(info.status, 401);
  t.regex(info.headers.get('www-authenticate') ?? '', /invalid_token/);
  const admin = await adminApi(server, idToken);
  t.is(admin.status, 401, 'an ID token (typ JWT, aud the client) is not an at+jwt for the admin API');
  t.deepEqual(
    (await introspect(server, client, idToken, 'access_token')).body,
    { active: false },
    'not even to the client it was issued to',
  );
  t.deepEqual((await introspect(server, await apiBIntrospector(server), idToken)).body, { active: false });
});

testEachBackend(
  'a refresh token used as an access token is refused at userinfo, the admin API and a resource server’s introspection',
  async (t, server) => {
    const { refreshToken } = await tokensForApiA(server);
    const info = await userinfo(server, refreshToken);
    t.is(info.status, 401);
    t.false('sub' in ((await info.json()) as Record<string, unknown>));
    t.is((await adminApi(server, refreshToken)).status, 401);
    // Known defect owned by attack 5: a resource server must not learn that another client's refresh token is active.
    t.deepEqual((await introspect(server, await apiBIntrospector(server), refreshToken, 'access_token')).body, { active: false });
  },
);

testEachBackend('a refresh token granted for API A does not mint an access token for API B', async (t, server) => {
  // The user granted API A only; the client may use API B, but this grant does not reach it.
  const { client, refreshToken } = await tokensForApiA(server);
  const refreshed = await postForm(
    `${server.url}/token`,
    { grant_type: 'refresh_token', refresh_token: refreshToken, resource: API_B },
    client,
  );
  t.not(refreshed.status, 200, JSON.stringify(refreshed.body));
  t.is(refreshed.body.access_token, undefined);
  t.regex(String(refreshed.body.error), /invalid_target|invalid_grant|invalid_scope/);
});

testEachBackend('mix-up: the authorization response names this issuer (iss), on success and on error', async (t, server) => {
  const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
  t.is(discovery.authorization_response_iss_parameter_supported, true);
  const user = await createUser(server.db);
  const client = await createTestClient(server);
  const granted = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });
  t.truthy(granted.code);
  t.is(granted.callback?.searchParams.get('iss'), server.url);
  const denied = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid', consent: false });
  t.is(denied.error, 'access_denied');
  t.is(denied.callback?.searchParams.get('iss'), server.url, 'an error response names the issuer too');
});

testEachBackend('mix-up: a code from this issuer redeemed with another client’s credentials is refused', async (t, server) => {
  const user = await createUser(server.db);
  const victim = await createTestClient(server);
  const attacker = await createTestClient(server);
  const flow = await authorize({ issuer: server.url, clientId: victim.clientId, email: user.email, scope: 'openid offline_access' });
  const stolen = { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier };
  const asAttacker = await postForm(`${server.url}/token`, stolen, attacker);
  t.is(asAttacker.status, 400);
  t.is(asAttacker.body.error, 'invalid_grant');
  t.is(asAttacker.body.access_token, undefined);
  const asAttackerNamingVictim = await postForm(`${server.url}/token`, { ...stolen, client_id: victim.clientId }, attacker);
  t.true(asAttackerNamingVictim.status >= 400 && asAttackerNamingVictim.status < 500);
  t.is(asAttackerNamingVictim.body.access_token, undefined, 'naming the victim in the body does not change who authenticated');
});
