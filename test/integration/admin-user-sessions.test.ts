// A user's sessions and grants through the admin API, on both deployments: listed, revoked one by
// one or all at once ("sign out everywhere"), with what the user and their clients then notice
// (prompt=none answers login_required, refresh tokens are refused, access tokens introspect
// inactive). Every answer is checked against the OpenAPI document by the harness.
import { createResource, createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import { adminTest, API, auditEvents, type Harness } from '../helpers/admin-harness.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize, UserAgent } from '../helpers/user-agent.ts';
import { signInForTokens, type SignInOptions } from '../helpers/user-tokens.ts';

interface SignedIn {
  agent: UserAgent;
  accessToken: string;
  refreshToken: string | undefined;
}

/** A browser signs `email` in to `client` and the client redeems the code; a refusal fails the test. */
async function signIn(
  server: TestServer,
  client: TestClient,
  email: string,
  options: SignInOptions & { scope: string },
): Promise<SignedIn> {
  const signedIn = await signInForTokens(server, client, email, options);
  if (!signedIn) throw new Error(`${email} could not sign in`);
  return signedIn;
}

/** What the browser gets from a silent authorization request: a code, or an error such as login_required. */
async function silently(server: TestServer, client: TestClient, agent: UserAgent, email: string) {
  return authorize({ issuer: server.url, clientId: client.clientId, email, scope: 'openid', agent, extra: { prompt: 'none' } });
}

const refresh = (server: TestServer, client: TestClient, refreshToken: string) =>
  postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
const introspect = async (server: TestServer, client: TestClient, token: string) =>
  (await postForm(`${server.url}/token/introspection`, { token }, client)).body.active;

async function adminToken(harness: Harness): Promise<string> {
  return harness.token(await harness.bootstrap());
}

adminTest(
  "a user's session and grant are listed; revoking the grant ends its refresh token, access tokens and outstanding code at once",
  async (t, harness) => {
    const { server, call } = harness;
    const bearer = await adminToken(harness);
    await createResource(server.db, API, ['read', 'write']);
    const client = await createTestClient(server, { firstParty: true, resources: { [API]: ['read'] } });
    const user = await createUser(server.db);
    const before = Date.now();
    const signedIn = await signIn(server, client, user.email, { scope: 'openid email offline_access read', resource: API });
    t.truthy(signedIn.refreshToken);
    t.is(signedIn.accessToken.split('.').length, 3, 'a JWT for the API: not stored, judged by its grant');

    const sessions = await call('GET', `/users/${encodeURIComponent(user.email)}/sessions`, { token: bearer });
    t.is(sessions.status, 200);
    t.is(sessions.body.items.length, 1);
    t.is(sessions.body.nextCursor, null);
    const [session] = sessions.body.items;
    t.like(session, { acr: 'urn:portcullis:acr:pwd', amr: ['pwd'] });
    t.true(Date.parse(session.signedInAt) >= Math.floor(before / 1000) * 1000);
    t.true(Date.parse(session.expiresAt) > Date.now());
    t.is(session.clients.length, 1);
    t.like(session.clients[0], { clientId: client.clientId, name: `Test client ${client.clientId}` });
    // the handle is not the cookie: the session's stored id (the cookie value) appears nowhere
    const { rows: stored } = await server.db.query<{ id: string }>(`SELECT id FROM oidc_models WHERE kind = 'Session'`);
    t.is(stored.length, 1);
    t.not(session.id, stored[0]!.id);
    t.false(JSON.stringify(sessions.body).includes(stored[0]!.id), 'the cookie value is never shown');

    const grants = await call('GET', `/users/${user.id}/grants`, { token: bearer });
    t.is(grants.status, 200);
    t.is(grants.body.items.length, 1);
    const [grant] = grants.body.items;
    t.is(grant.id, session.clients[0].grantId, 'the session names the grant made through it');
    t.deepEqual(grant.client, { id: client.clientId, name: `Test client ${client.clientId}` });
    t.deepEqual([...grant.scopes].sort(), ['email', 'offline_access', 'openid']);
    t.deepEqual(grant.resources, [{ resource: API, scopes: ['read'] }]);
    t.true(Date.parse(grant.expiresAt) > Date.now());
    t.truthy(grant.createdAt);

    // what the client holds works before: a refreshed access token, and a code for the same grant
    // (in Redis on that deployment) waiting to be redeemed
    t.true(await introspect(server, client, signedIn.accessToken));
    const refreshed = await refresh(server, client, signedIn.refreshToken!);
    t.is(refreshed.status, 200, JSON.stringify(refreshed.body));
    const refreshedAccess = refreshed.body.access_token as string;
    t.true(await introspect(server, client, refreshedAccess));
    const pending = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid',
      agent: signedIn.agent,
      extra: { prompt: 'none' },
    });
    t.truthy(pending.code);
    const { rows: codesInSql } = await server.db.query(
      `SELECT 1 FROM oidc_models WHERE kind = 'AuthorizationCode' AND consumed_at IS NULL`,
    );
    t.is(codesInSql.length, server.stores.redis ? 0 : 1, 'the code waits in Redis when there is one');

    const revoked = await call('DELETE', `/users/${encodeURIComponent(user.email)}/grants/${grant.id}`, { token: bearer });
    t.is(revoked.status, 200, JSON.stringify(revoked.body));
    t.like(revoked.body, { userId: user.id, email: user.email, grantId: grant.id, clientId: client.clientId });
    t.true(revoked.body.endedRecords >= 2, 'the grant and its refresh token at least');

    const refused = await refresh(server, client, signedIn.refreshToken!);
    t.is(refused.status, 400);
    t.is(refused.body.error, 'invalid_grant');
    t.false(await introspect(server, client, signedIn.accessToken));
    t.false(await introspect(server, client, refreshedAccess));
    t.false(await introspect(server, client, signedIn.refreshToken!));
    const redeemed = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: pending.code!, redirect_uri: REDIRECT_URI, code_verifier: pending.verifier },
      client,
    );
    t.is(redeemed.body.error, 'invalid_grant', 'the outstanding code dies with its grant');

    t.deepEqual((await call('GET', `/users/${user.id}/grants`, { token: bearer })).body.items, []);
    const after = (await call('GET', `/users/${user.id}/sessions`, { token: bearer })).body.items;
    t.is(after.length, 1, 'the session itself stays');
    t.is(after[0].clients[0].grantId, null, 'and no longer names the ended grant');
    t.is((await call('DELETE', `/users/${user.id}/grants/${grant.id}`, { token: bearer })).status, 404, 'gone');

    const event = (await auditEvents(server)).find((row) => row.type === 'user.grant_revoked');
    t.like(event, { actor_type: 'admin', target_id: user.id });
    t.regex(event!.actor_id!, /^client:/);
    const { rows: details } = await server.db.query<{ details: Record<string, unknown> }>(
      `SELECT details FROM audit_events WHERE type = 'user.grant_revoked'`,
    );
    t.like(details[0]!.details, { grantId: grant.id, clientId: client.clientId });
    t.false(JSON.stringify(details).includes(signedIn.refreshToken!));
  },
);

adminTest(
  'revoking a session signs the browser out (prompt=none: login_required); grants without offline access end with it, offline ones are kept',
  async (t, harness) => {
    const { server, call } = harness;
    const bearer = await adminToken(harness);
    const web = await createTestClient(server, { firstParty: true });
    const mobile = await createTestClient(server);
    const user = await createUser(server.db);
    const online = await signIn(server, web, user.email, { scope: 'openid' });
    const offline = await signIn(server, mobile, user.email, { scope: 'openid offline_access', agent: online.agent });
    t.truthy(offline.refreshToken);
    t.truthy((await silently(server, web, online.agent, user.email)).code, 'signed in before');

    const [session] = (await call('GET', `/users/${user.id}/sessions`, { token: bearer })).body.items;
    t.deepEqual(session.clients.map((client: { clientId: string }) => client.clientId).sort(), [web.clientId, mobile.clientId].sort());
    const grantOf = (client: TestClient) =>
      session.clients.find((entry: { clientId: string }) => entry.clientId === client.clientId).grantId as string;

    const revoked = await call('DELETE', `/users/${user.id}/sessions/${session.id}`, { token: bearer });
    t.is(revoked.status, 200, JSON.stringify(revoked.body));
    t.deepEqual(revoked.body, {
      userId: user.id,
      email: user.email,
      sessionId: session.id,
      revokedGrantIds: [grantOf(web)],
      keptGrantIds: [grantOf(mobile)],
    });

    const silent = await silently(server, web, online.agent, user.email);
    t.is(silent.error, 'login_required', 'the browser has no session any more');
    t.false(await introspect(server, web, online.accessToken), 'the grant made through the session ended with it');
    t.is((await refresh(server, mobile, offline.refreshToken!)).status, 200, 'offline access outlives the session, as at sign-out');
    t.deepEqual((await call('GET', `/users/${user.id}/sessions`, { token: bearer })).body.items, []);
    t.deepEqual(
      (await call('GET', `/users/${user.id}/grants`, { token: bearer })).body.items.map((grant: { id: string }) => grant.id),
      [grantOf(mobile)],
    );
    t.is((await call('DELETE', `/users/${user.id}/sessions/${session.id}`, { token: bearer })).status, 404);

    const { rows } = await server.db.query<{ actor_type: string; target_id: string; details: Record<string, unknown> }>(
      `SELECT actor_type, target_id, details FROM audit_events WHERE type = 'user.session_revoked'`,
    );
    t.deepEqual(rows, [
      {
        actor_type: 'admin',
        target_id: user.id,
        details: { sessionId: session.id, revokedGrantIds: [grantOf(web)], keptGrantIds: [grantOf(mobile)] },
      },
    ]);
  },
);

adminTest(
  "an admin cannot reach one user's session or grant through another user's path; bad ids are refused by name; scopes are enforced",
  async (t, harness) => {
    const { server, call, token, bootstrap } = harness;
    const admin = await bootstrap();
    const bearer = await token(admin);
    const client = await createTestClient(server, { firstParty: true });
    const alice = await createUser(server.db);
    const bob = await createUser(server.db);
    await signIn(server, client, alice.email, { scope: 'openid' });
    const bobs = await signIn(server, client, bob.email, { scope: 'openid offline_access' });
    const [bobSession] = (await call('GET', `/users/${bob.id}/sessions`, { token: bearer })).body.items;
    const [bobGrant] = (await call('GET', `/users/${bob.id}/grants`, { token: bearer })).body.items;

    const throughAlice = await call('DELETE', `/users/${alice.id}/sessions/${bobSession.id}`, { token: bearer });
    t.is(throughAlice.status, 404);
    t.regex(throughAlice.body.error_description, /^sessionId: /);
    const grantThroughAlice = await call('DELETE', `/users/${alice.id}/grants/${bobGrant.id}`, { token: bearer });
    t.is(grantThroughAlice.status, 404);
    t.regex(grantThroughAlice.body.error_description, /^grantId: /);
    t.truthy((await silently(server, client, bobs.agent, bob.email)).code, "Bob's session is untouched");
    t.is((await refresh(server, client, bobs.refreshToken!)).status, 200, "and so is Bob's grant");
    t.is((await call('GET', `/users/${alice.id}/sessions`, { token: bearer })).body.items.length, 1, "Alice's too");

    const refusedWith = async (status: number, method: string, path: string, field: string) => {
      const answer = await call(method, path, { token: bearer });
      t.is(answer.status, status, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      t.regex(answer.body.error_description, new RegExp(`^${field}: `));
    };
    await refusedWith(400, 'DELETE', `/users/${alice.id}/sessions/not%20a%20session`, 'sessionId');
    await refusedWith(400, 'DELETE', `/users/${alice.id}/grants/${'x'.repeat(129)}`, 'grantId');
    await refusedWith(404, 'GET', '/users/nobody@example.com/sessions', 'user');
    await refusedWith(404, 'POST', '/users/nobody@example.com/sign-out-everywhere', 'user');
    await refusedWith(400, 'GET', `/users/${alice.id}/sessions?limit=0`, 'limit');
    await refusedWith(400, 'GET', `/users/${alice.id}/grants?cursor=bogus`, 'cursor');
    await refusedWith(400, 'GET', `/users/${alice.id}/grants?colour=blue`, 'input');

    // the document says the same: the user comes from the path only, the page from the query
    const document = (await (await fetch(`${server.url}/admin/v1/openapi.json`)).json()) as any;
    const listing = document.paths['/users/{user}/sessions'].get;
    t.deepEqual(
      listing.parameters.map((parameter: { in: string; name: string }) => `${parameter.in}:${parameter.name}`),
      ['path:user', 'query:limit', 'query:cursor'],
    );
    t.deepEqual(listing.security, [{ adminToken: ['admin:read', 'admin:users'] }]);
    t.deepEqual(document.paths['/users/{user}/grants/{grantId}'].delete.security, [{ adminToken: ['admin:write', 'admin:users'] }]);

    // admin:users is needed besides admin:read / admin:write, and changes need admin:write
    const withoutUsers = await token(admin, 'admin:read admin:write');
    for (const [method, path] of [
      ['GET', `/users/${alice.id}/sessions`],
      ['GET', `/users/${alice.id}/grants`],
      ['DELETE', `/users/${bob.id}/sessions/${bobSession.id}`],
      ['DELETE', `/users/${bob.id}/grants/${bobGrant.id}`],
      ['POST', `/users/${bob.id}/sign-out-everywhere`],
    ] as const) {
      const answer = await call(method, path, { token: withoutUsers });
      t.is(answer.status, 403, `${method} ${path}`);
      t.regex(answer.headers.get('www-authenticate')!, /insufficient_scope/);
    }
    const readOnly = await token(admin, 'admin:read admin:users');
    t.is((await call('GET', `/users/${bob.id}/sessions`, { token: readOnly })).status, 200);
    t.is((await call('DELETE', `/users/${bob.id}/sessions/${bobSession.id}`, { token: readOnly })).status, 403);
    t.is((await call('POST', `/users/${bob.id}/sign-out-everywhere`, { token: readOnly })).status, 403);
    t.truthy((await silently(server, client, bobs.agent, bob.email)).code, 'nothing was revoked by the refused calls');
    t.false(
      (await auditEvents(server)).some((row) => row.type.startsWith('user.') && row.type !== 'user.created'),
      'nor audited',
    );
  },
);

adminTest('sign out everywhere ends every session and grant of the user without disabling them; listings page', async (t, harness) => {
  const { server, call } = harness;
  const bearer = await adminToken(harness);
  const client = await createTestClient(server, { firstParty: true });
  const user = await createUser(server.db);
  const other = await createUser(server.db);
  const browsers = [
    await signIn(server, client, user.email, { scope: 'openid offline_access' }),
    await signIn(server, client, user.email, { scope: 'openid offline_access' }),
    await signIn(server, client, user.email, { scope: 'openid' }),
  ];
  const bystander = await signIn(server, client, other.email, { scope: 'openid offline_access' });

  // three sessions, two to a page, each once
  const first = await call('GET', `/users/${user.id}/sessions?limit=2`, { token: bearer });
  t.is(first.body.items.length, 2);
  t.truthy(first.body.nextCursor);
  const second = await call('GET', `/users/${user.id}/sessions?limit=2&cursor=${encodeURIComponent(first.body.nextCursor)}`, {
    token: bearer,
  });
  t.is(second.body.items.length, 1);
  t.is(second.body.nextCursor, null);
  const sessionIds = [...first.body.items, ...second.body.items].map((session: { id: string }) => session.id);
  t.is(new Set(sessionIds).size, 3);
  const grantPage = await call('GET', `/users/${user.id}/grants?limit=2`, { token: bearer });
  const grantIds = [
    ...grantPage.body.items,
    ...(await call('GET', `/users/${user.id}/grants?cursor=${encodeURIComponent(grantPage.body.nextCursor)}`, { token: bearer })).body
      .items,
  ].map((grant: { id: string }) => grant.id);
  t.is(new Set(grantIds).size, 3);

  const ended = await call('POST', `/users/${encodeURIComponent(user.email)}/sign-out-everywhere`, { token: bearer });
  t.is(ended.status, 200, JSON.stringify(ended.body));
  t.like(ended.body, { userId: user.id, email: user.email, sessionIds: [...sessionIds].sort(), grantIds: [...grantIds].sort() });
  t.true(ended.body.otherRecords >= 2, 'the refresh tokens');

  for (const browser of browsers) {
    t.is((await silently(server, client, browser.agent, user.email)).error, 'login_required');
    t.false(await introspect(server, client, browser.accessToken));
    if (browser.refreshToken) t.is((await refresh(server, client, browser.refreshToken)).body.error, 'invalid_grant');
  }
  t.deepEqual((await call('GET', `/users/${user.id}/sessions`, { token: bearer })).body.items, []);
  t.deepEqual((await call('GET', `/users/${user.id}/grants`, { token: bearer })).body.items, []);
  t.false((await call('GET', `/users/${user.id}`, { token: bearer })).body.disabled, 'still enabled');
  t.truthy((await signIn(server, client, user.email, { scope: 'openid' })).accessToken, 'and may sign in again');
  t.truthy((await silently(server, client, bystander.agent, other.email)).code, "another user's session is untouched");
  t.is((await refresh(server, client, bystander.refreshToken!)).status, 200);

  const { rows } = await server.db.query<{ actor_type: string; details: Record<string, unknown> }>(
    `SELECT actor_type, details FROM audit_events WHERE type = 'user.signed_out_everywhere'`,
  );
  t.deepEqual(rows, [
    {
      actor_type: 'admin',
      details: { sessionIds: [...sessionIds].sort(), grantIds: [...grantIds].sort(), otherRecords: ended.body.otherRecords },
    },
  ]);
});

adminTest(
  'revoked through the API on one process, a grant and a session are refused at once by another',
  async (t, harness) => {
    const { server, call } = harness;
    const sibling = await server.startSibling();
    const bearer = await adminToken(harness);
    const client = await createTestClient(server, { firstParty: true });
    const user = await createUser(server.db);
    // the browser and the client talk to the sibling only; the admin to the primary
    const offline = await signIn(sibling, client, user.email, { scope: 'openid offline_access' });
    t.is((await refresh(sibling, client, offline.refreshToken!)).status, 200);
    const [grant] = (await call('GET', `/users/${user.id}/grants`, { token: bearer })).body.items;
    t.is((await call('DELETE', `/users/${user.id}/grants/${grant.id}`, { token: bearer })).status, 200);
    t.is(
      (await refresh(sibling, client, offline.refreshToken!)).body.error,
      'invalid_grant',
      'refused by the sibling on the very next request',
    );

    const [session] = (await call('GET', `/users/${user.id}/sessions`, { token: bearer })).body.items;
    t.truthy((await silently(sibling, client, offline.agent, user.email)).code);
    t.is((await call('DELETE', `/users/${user.id}/sessions/${session.id}`, { token: bearer })).status, 200);
    t.is((await silently(sibling, client, offline.agent, user.email)).error, 'login_required');
  },
  { only: 'postgres+redis' },
);
