// Attack 3 (issue 11): admin privilege escalation. An admin token that lacks a scope tries to get it
// anyway: register a client on the admin API with that scope, widen an existing client to it, take
// over a client that already holds it (rotate or end its secret, point it at another key set), or
// make a user an administrator, and then ask /token for the scope. Nobody grants what they do not
// hold: each of these is refused (403) unless the caller holds every admin scope involved.
import { decodeJwt } from 'jose';
import { ADMIN_AUDIENCE, ADMIN_SCOPES } from '../../src/admin/operation/admin-scopes.ts';
import { adminTest, ALL_SCOPES, API, type Harness } from '../helpers/admin-harness.ts';
import { createResource, postForm, type TestClient } from '../helpers/fixtures.ts';

const EVERY_SCOPE = Object.values(ADMIN_SCOPES);
const SERVICE = { grantTypes: ['client_credentials'], resources: [ADMIN_AUDIENCE] };
const NEW_PASSWORD = 'a long fresh passphrase for the attacker';

/** What the attacker does with a client it made or took over: ask for an admin token with `scope`. */
async function adminTokenFor(harness: Harness, client: TestClient, scope: string) {
  const answer = await postForm(
    `${harness.server.url}/token`,
    { grant_type: 'client_credentials', resource: ADMIN_AUDIENCE, scope },
    client,
  );
  return answer.status === 200 ? String(decodeJwt(answer.body.access_token as string).scope) : undefined;
}

for (const granted of EVERY_SCOPE) {
  adminTest(
    `with admin:write alone, registering an admin-API client holding ${granted} is ${granted === ADMIN_SCOPES.write ? 'allowed (the caller holds it)' : 'refused'}`,
    async (t, harness) => {
      const { call, bootstrap, token } = harness;
      const admin = await bootstrap();
      // admin:write is needed to register a client at all; the attacker holds it and nothing else
      const attacker = await token(admin, ADMIN_SCOPES.write);
      const created = await call('POST', '/clients', {
        token: attacker,
        json: { name: `Escalation to ${granted}`, ...SERVICE, scopes: [granted] },
      });
      if (granted === ADMIN_SCOPES.write) {
        // granting what one holds is allowed
        t.is(created.status, 201, JSON.stringify(created.body));
        t.is(await adminTokenFor(harness, created.body as TestClient, granted), granted);
        return;
      }
      t.is(created.status, 403, JSON.stringify(created.body));
      t.is(created.body.error, 'insufficient_scope');
      t.regex(created.body.error_description, new RegExp(granted));
      const list = await call('GET', '/clients', { token: await token(admin) });
      t.false(
        list.body.items.some((client: { name: string }) => client.name === `Escalation to ${granted}`),
        'no client was registered',
      );

      // the same grant by a caller who holds the scope goes through
      const holder = await token(admin, `${ADMIN_SCOPES.write} ${granted}`);
      const legit = await call('POST', '/clients', { token: holder, json: { name: 'Legitimate', ...SERVICE, scopes: [granted] } });
      t.is(legit.status, 201, JSON.stringify(legit.body));
    },
  );

  adminTest(
    `with admin:write alone, widening a client to ${granted} on the admin API is ${granted === ADMIN_SCOPES.write ? 'allowed (the caller holds it)' : 'refused'}`,
    async (t, harness) => {
      const { call, bootstrap, token } = harness;
      const admin = await bootstrap();
      const full = await token(admin);
      const attacker = await token(admin, ADMIN_SCOPES.write);
      await createResource(harness.server.db, API, ['read']);
      // the attacker's own harmless client, then a PATCH adding the admin API and the scope
      const own = await call('POST', '/clients', {
        token: attacker,
        json: { name: 'Own service', grantTypes: ['client_credentials'], resources: [API], scopes: ['read'] },
      });
      t.is(own.status, 201, JSON.stringify(own.body));
      const path = `/clients/${own.body.clientId}`;
      const etag = (await call('GET', path, { token: full })).headers.get('etag')!;
      const widened = await call('PATCH', path, {
        token: attacker,
        json: { resources: [API, ADMIN_AUDIENCE], scopes: ['read', granted] },
        headers: { 'if-match': etag },
      });
      if (granted === ADMIN_SCOPES.write) {
        t.is(widened.status, 200, JSON.stringify(widened.body));
        return;
      }
      t.is(widened.status, 403, JSON.stringify(widened.body));
      t.is(widened.body.error, 'insufficient_scope');
      t.is(await adminTokenFor(harness, own.body as TestClient, granted), undefined, 'the client cannot get the scope');
      t.deepEqual((await call('GET', path, { token: full })).body.resources, { [API]: ['read'] }, 'nothing was changed');
    },
  );
}

adminTest(
  'a token with admin:write alone cannot take over an admin client: rotate or end its secret, change its settings, narrow or delete it',
  async (t, harness) => {
    const { call, bootstrap, token } = harness;
    const admin = await bootstrap(); // holds admin:read admin:write admin:users
    const attacker = await token(admin, ADMIN_SCOPES.write);
    const path = `/clients/${admin.clientId}`;
    const full = await token(admin);
    const etag = (await call('GET', path, { token: full })).headers.get('etag')!;

    const rotated = await call('POST', `${path}/secret/rotate`, { token: attacker, json: { previousSecretTtl: 0 } });
    t.is(rotated.status, 403, JSON.stringify(rotated.body));
    t.is(rotated.body.error, 'insufficient_scope');
    t.is(rotated.body.clientSecret, undefined, 'no new secret handed out');
    t.is(await adminTokenFor(harness, admin, ALL_SCOPES), ALL_SCOPES, "the admin client's secret still works");

    t.is((await call('DELETE', `${path}/secret/previous`, { token: attacker })).status, 403);
    const changed = await call('PATCH', path, {
      token: attacker,
      json: { authMethod: 'client_secret_post' },
      headers: { 'if-match': etag },
    });
    t.is(changed.status, 403, JSON.stringify(changed.body));
    const narrowed = await call('PATCH', path, { token: attacker, json: { scopes: [ADMIN_SCOPES.write] }, headers: { 'if-match': etag } });
    t.is(narrowed.status, 403, 'nor take scopes away from a client holding more than the caller');
    t.is((await call('DELETE', path, { token: attacker })).status, 403);
    const after = await call('GET', path, { token: full });
    t.is(after.headers.get('etag'), etag, 'the admin client is unchanged');

    // the operator's full token may rotate it
    const legit = await call('POST', `${path}/secret/rotate`, { token: full, json: { previousSecretTtl: 0 } });
    t.is(legit.status, 200, JSON.stringify(legit.body));
  },
);

adminTest('making a user an administrator needs every admin scope: admin:write with admin:users alone is refused', async (t, harness) => {
  const { call, bootstrap, token } = harness;
  const admin = await bootstrap();
  const attacker = await token(admin, `${ADMIN_SCOPES.write} ${ADMIN_SCOPES.users}`);
  const full = await token(admin);

  const created = await call('POST', '/users', {
    token: attacker,
    json: { email: 'mallory@example.com', password: NEW_PASSWORD, isAdmin: true },
  });
  t.is(created.status, 403, JSON.stringify(created.body));
  t.is(created.body.error, 'insufficient_scope');
  t.is((await call('GET', '/users/mallory@example.com', { token: full })).status, 404, 'no account was created');

  const plain = await call('POST', '/users', { token: attacker, json: { email: 'mallory@example.com', password: NEW_PASSWORD } });
  t.is(plain.status, 201, 'a plain user may be created with admin:write admin:users');
  const path = `/users/${plain.body.id}`;
  const promoted = await call('PATCH', path, {
    token: attacker,
    json: { isAdmin: true },
    headers: { 'if-match': plain.headers.get('etag')! },
  });
  t.is(promoted.status, 403, JSON.stringify(promoted.body));
  t.false((await call('GET', path, { token: full })).body.isAdmin);

  const legit = await call('PATCH', path, { token: full, json: { isAdmin: true }, headers: { 'if-match': plain.headers.get('etag')! } });
  t.is(legit.status, 200, JSON.stringify(legit.body));
  t.true(legit.body.isAdmin);
});

adminTest(
  "an administrator's account cannot be taken over by a caller lacking an admin scope (password, second factors, role)",
  async (t, harness) => {
    const { call, bootstrap, token } = harness;
    const admin = await bootstrap();
    const full = await token(admin);
    const victim = await call('POST', '/users', {
      token: full,
      json: { email: 'root@example.com', password: NEW_PASSWORD, isAdmin: true },
    });
    t.is(victim.status, 201, JSON.stringify(victim.body));
    const path = `/users/${victim.body.id}`;
    const etag = victim.headers.get('etag')!;
    const attacker = await token(admin, `${ADMIN_SCOPES.write} ${ADMIN_SCOPES.users}`);

    t.is((await call('POST', `${path}/password`, { token: attacker, json: { password: 'the attacker now knows this one' } })).status, 403);
    t.is((await call('POST', `${path}/reset-mfa`, { token: attacker })).status, 403);
    t.is(
      (await call('PATCH', path, { token: attacker, json: { email: 'attacker@example.com' }, headers: { 'if-match': etag } })).status,
      403,
    );
    t.is((await call('GET', path, { token: full })).headers.get('etag'), etag, "the administrator's account is unchanged");
  },
);

adminTest(
  'a token with admin:write alone cannot change the admin API\u2019s own entry: name itself an introspecting client of admin tokens, or stretch their lifetime',
  async (t, harness) => {
    const { server, call, bootstrap, token } = harness;
    const admin = await bootstrap();
    const attacker = await token(admin, ADMIN_SCOPES.write);
    const full = await token(admin);
    const path = `/resources/${encodeURIComponent(ADMIN_AUDIENCE)}`;
    const etag = (await call('GET', path, { token: full })).headers.get('etag')!;
    const spy = (await call('POST', '/clients', { token: attacker, json: { name: 'Spy', grantTypes: ['client_credentials'] } }))
      .body as TestClient;

    for (const json of [{ introspectingClients: [spy.clientId] }, { tokenTtl: 86400 }]) {
      const answer = await call('PATCH', path, { token: attacker, json, headers: { 'if-match': etag } });
      t.is(answer.status, 403, `${JSON.stringify(json)}: ${JSON.stringify(answer.body)}`);
      t.is(answer.body.error, 'insufficient_scope');
    }
    t.is((await call('GET', path, { token: full })).headers.get('etag'), etag, 'the admin API\u2019s entry is unchanged');
    const peek = await postForm(`${server.url}/token/introspection`, { token: full }, spy);
    t.deepEqual(peek.body, { active: false }, 'the attacker\u2019s client reads no admin token');

    const legit = await call('PATCH', path, { token: full, json: { tokenTtl: 600 }, headers: { 'if-match': etag } });
    t.is(legit.status, 200, 'a caller holding every admin scope may');
  },
);
