// Parameter tampering: objects of one user reached through another user's path (BOLA). An admin
// API path names the user and the object; the object must belong to that user, or the answer is 404
// and nothing ends. (The scope matrix of every admin route is admin-bola.test.ts; a user's own
// objects on the account page are test/integration/account-security.test.ts.)
import { adminTest, auditEvents, type Harness } from '../helpers/admin-harness.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize } from '../helpers/user-agent.ts';

/** A browser signs `email` in to `client` with offline access; the client redeems the code. */
async function signIn(server: TestServer, client: TestClient, email: string): Promise<{ refreshToken: string }> {
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email, scope: 'openid offline_access' });
  if (!flow.code) throw new Error(`no code: ${flow.error ?? ''}`);
  const answer = await postForm(`${server.url}/token`, { grant_type: 'authorization_code', code: flow.code, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier }, client);
  if (answer.status !== 200) throw new Error(`token: ${JSON.stringify(answer.body)}`);
  return { refreshToken: answer.body.refresh_token as string };
}

async function twoSignedInUsers(harness: Harness) {
  const client = await createTestClient(harness.server, { firstParty: true });
  const victim = await createUser(harness.server.db);
  const other = await createUser(harness.server.db);
  const signedIn = await signIn(harness.server, client, victim.email);
  await signIn(harness.server, client, other.email);
  return { client, victim, other, signedIn };
}

adminTest('a grant of one user cannot be revoked, nor a session ended, through another user\u2019s path', async (t, harness) => {
  const { server, call } = harness;
  const bearer = await harness.token(await harness.bootstrap());
  const { client, victim, other, signedIn } = await twoSignedInUsers(harness);
  const [grant] = (await call('GET', `/users/${victim.id}/grants`, { token: bearer })).body.items;
  const [session] = (await call('GET', `/users/${victim.id}/sessions`, { token: bearer })).body.items;

  for (const path of [`/users/${other.id}/grants/${grant.id}`, `/users/${encodeURIComponent(other.email)}/grants/${grant.id}`, `/users/${other.id}/sessions/${session.id}`]) {
    t.is((await call('DELETE', path, { token: bearer })).status, 404, path);
  }
  t.is((await call('GET', `/users/${victim.id}/grants`, { token: bearer })).body.items.length, 1, 'the victim keeps the grant');
  t.is((await call('GET', `/users/${victim.id}/sessions`, { token: bearer })).body.items.length, 1, 'and the session');
  const refreshed = await postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: signedIn.refreshToken }, client);
  t.is(refreshed.status, 200, 'the victim\u2019s refresh token still works');
  const ended = (await auditEvents(server)).filter((row) => row.type === 'user.grant_revoked' || row.type === 'user.session_revoked');
  t.deepEqual(ended, [], 'nothing was recorded as ended');
});

adminTest('ids that are not ids (another user\u2019s email, SQL or LIKE metacharacters) find no grant or session', async (t, harness) => {
  const { call } = harness;
  const bearer = await harness.token(await harness.bootstrap());
  const { victim, other } = await twoSignedInUsers(harness);
  for (const id of [encodeURIComponent(victim.email), "'%20OR%20'1'='1", '%25', '_', '*']) {
    const answer = await call('DELETE', `/users/${other.id}/grants/${id}`, { token: bearer });
    t.true(answer.status === 404 || answer.status === 400, `${id}: ${answer.status}`);
  }
  t.is((await call('GET', `/users/${victim.id}/grants`, { token: bearer })).body.items.length, 1, 'the victim keeps the grant');
  t.is((await call('GET', `/users/${other.id}/grants`, { token: bearer })).body.items.length, 1, 'the other user too');
});

adminTest('a user search with LIKE metacharacters matches them literally, never every user', async (t, harness) => {
  const { server, call } = harness;
  const bearer = await harness.token(await harness.bootstrap());
  await createUser(server.db, 'alice@example.com');
  await createUser(server.db, 'bob@example.com');
  for (const query of ['%', '_', '%@%', "' OR '1'='1", '\\']) {
    const answer = await call('GET', `/users?query=${encodeURIComponent(query)}`, { token: bearer });
    t.is(answer.status, 200, query);
    t.deepEqual(answer.body.items, [], `${JSON.stringify(query)} matches no user`);
  }
  const literal = await call('GET', `/users?query=${encodeURIComponent('alice@')}`, { token: bearer });
  t.deepEqual(literal.body.items.map((user: { email: string }) => user.email), ['alice@example.com'], 'an ordinary search still finds');
});

adminTest('__proto__ and constructor keys in a JSON body neither change the object made nor crash the server', async (t, harness) => {
  const { server, call } = harness;
  const bearer = await harness.token(await harness.bootstrap());
  const body = '{"email":"proto@example.com","password":"correct horse battery staple","__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}}}';
  const answer = await call('POST', '/users', { token: bearer, body, headers: { 'content-type': 'application/json' } });
  t.true(answer.status === 400 || answer.status === 201, `status ${answer.status}`);
  if (answer.status === 201) t.false(answer.body.isAdmin, 'no administrator made through the prototype');
  const { rows } = await server.db.query<{ is_admin: boolean }>('SELECT is_admin FROM accounts WHERE email = $1', ['proto@example.com']);
  t.true(rows.every((row) => !row.is_admin));
  t.false(({} as Record<string, unknown>).isAdmin === true, 'Object.prototype was not polluted');
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
});
