// The admin API (/admin/v1) on both deployments: protected by Portcullis' own JWT access tokens for
// urn:portcullis:admin, REST onto the admin operations, every change audited with the admin who
// made it. Every answer the tests receive is checked against the published OpenAPI document.
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { ACR_MFA } from '../../src/accounts/second-factor-requirement.ts';
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import { ADMIN_ROUTES } from '../../src/admin/registry.ts';
import { encryptTotpSecret, generateTotpSecret } from '../../src/accounts/totp.ts';
import { createResource, createTestClient, createUser, postForm } from '../helpers/fixtures.ts';
import { adminTest, adminUserToken, API, auditEvents, type Answer, type Harness } from '../helpers/admin-harness.ts';

adminTest('the OpenAPI document is public and describes every route', async (t, { server, conformance, call }) => {
  const response = await fetch(`${server.url}/admin/v1/openapi.json`);
  t.is(response.status, 200);
  const document = (await response.json()) as any;
  t.is(document.openapi, '3.1.0');
  // every route of the table, and nothing else, each with the method it answers
  t.deepEqual(
    Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations as object).map((method) => `${method.toUpperCase()} ${path}`))
      .sort(),
    ADMIN_ROUTES.map((route) => `${route.method} ${route.path}`).sort(),
  );
  for (const path of ['/audit/events', '/clients/{clientId}', '/keys/rotate', '/resources/{identifier}', '/users/{user}/unlock'])
    t.truthy(document.paths[path], path);
  t.deepEqual(document.paths['/users'].post.security, [{ adminToken: ['admin:write', 'admin:users'] }]);
  t.false(JSON.stringify(document.paths['/clients'].post.requestBody).includes('"$schema"'));
  t.true(
    document.paths['/clients'].post.requestBody.content['application/json'].schema.additionalProperties === false,
    'strict: unknown fields are refused',
  );
  conformance.compileRequestSchemas();
  // something the document can check: an unauthenticated call
  t.is((await call('GET', '/clients')).status, 401);
});

adminTest(
  'an admin client manages clients, resources, users and keys, and reads the audit trail; every change is audited as it',
  async (t, { server, call, token, bootstrap }) => {
    const admin = await bootstrap();
    const bearer = await token(admin);
    const claims = decodeJwt(bearer);
    t.is(claims.aud, ADMIN_AUDIENCE);
    t.is(claims.acr, undefined, 'client-credentials tokens carry no acr');

    // resources
    const created = await call('POST', '/resources', {
      token: bearer,
      json: { identifier: API, name: 'Example', scopes: [{ name: 'read', description: 'Read' }, { name: 'write' }], tokenTtl: 600 },
    });
    t.is(created.status, 201, JSON.stringify(created.body));
    t.is(created.headers.get('location'), `/admin/v1/resources/${encodeURIComponent(API)}`);
    t.is(created.headers.get('cache-control'), 'no-store');
    t.is((await call('GET', `/resources/${encodeURIComponent(API)}`, { token: bearer })).body.tokenTtl, 600);
    t.true(
      (await call('GET', '/resources', { token: bearer })).body.items.some(
        (server: { identifier: string }) => server.identifier === ADMIN_AUDIENCE,
      ),
    );

    // clients
    const client = await call('POST', '/clients', {
      token: bearer,
      json: { name: 'Worker', grantTypes: ['client_credentials'], resources: [API], scopes: ['read'] },
    });
    t.is(client.status, 201, JSON.stringify(client.body));
    t.regex(client.body.clientSecret, /^.{32,}$/);
    const worker = { clientId: client.body.clientId as string, clientSecret: client.body.clientSecret as string };
    const workerToken = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read', resource: API }, worker);
    t.is(workerToken.status, 200, 'the secret shown once works');
    const shown = await call('GET', `/clients/${worker.clientId}`, { token: bearer });
    t.is(shown.status, 200);
    t.is(shown.body.clientSecret, undefined, 'never shown again');
    t.deepEqual(shown.body.resources, { [API]: ['read'] });
    t.is((await call('GET', '/clients', { token: bearer })).body.items.length, 2);

    // users
    const email = `ada-${randomBytes(3).toString('hex')}@example.com`;
    const user = await call('POST', '/users', { token: bearer, json: { email, name: 'Ada', password: 'a long and unusual passphrase 7' } });
    t.is(user.status, 201, JSON.stringify(user.body));
    t.is(user.body.passwordHash, undefined);
    t.is((await call('GET', `/users/${encodeURIComponent(email)}`, { token: bearer })).body.id, user.body.id, 'by email');
    t.is((await call('GET', `/users/${user.body.id}`, { token: bearer })).body.email, email, 'by id');
    t.is((await call('GET', '/users', { token: bearer })).body.items.length, 1);
    const disabled = await call('POST', `/users/${user.body.id}/disable`, { token: bearer });
    t.is(disabled.status, 200);
    t.true(disabled.body.disabled);
    t.false((await call('POST', `/users/${user.body.id}/enable`, { token: bearer })).body.disabled);
    t.is(
      (await call('POST', `/users/${user.body.id}/unlock`, { token: bearer, json: {} })).body.wasLocked,
      false,
      'an empty JSON object is no body',
    );
    t.is((await call('POST', `/users/${user.body.id}/reset-mfa`, { token: bearer })).body.removed.totp, 0);

    // keys
    const keys = await call('GET', '/keys', { token: bearer });
    t.is(keys.status, 200);
    const rotated = await call('POST', '/keys/rotate', { token: bearer });
    t.is(rotated.status, 200);
    t.notDeepEqual(
      rotated.body.filter((key: { state: string }) => key.state === 'current'),
      keys.body.filter((key: { state: string }) => key.state === 'current'),
    );
    // the verifier follows the rotation: a token signed with the new key is accepted
    let fresh: Answer | undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      fresh = await call('GET', '/keys', { token: await token(admin, 'admin:read') });
      if (fresh.status === 200) break;
    }
    t.is(fresh?.status, 200);
    t.is(
      (await call('GET', '/keys', { token: bearer })).status,
      200,
      'a token signed before the rotation is still good (the old key stays published)',
    );

    // deletions
    t.deepEqual((await call('DELETE', `/clients/${worker.clientId}`, { token: bearer })).body, {
      clientId: worker.clientId,
      deleted: true,
    });
    t.is((await call('GET', `/clients/${worker.clientId}`, { token: bearer })).status, 404);
    t.deepEqual((await call('DELETE', `/resources/${encodeURIComponent(API)}`, { token: bearer })).body, {
      identifier: API,
      deleted: true,
    });

    // the audit trail, through the API: every change with the admin client as the actor
    const actor = `client:${admin.clientId}`;
    const page = await call('GET', `/audit/events?type=client&limit=10`, { token: bearer });
    t.is(page.status, 200);
    t.deepEqual(
      page.body.events.filter((event: any) => event.actor?.id === actor).map((event: any) => event.type),
      ['client.created', 'client.deleted'],
    );
    const changes = (await auditEvents(server)).filter((event) => event.actor_id === actor).map((event) => event.type);
    t.deepEqual(changes, [
      'resource.created',
      'client.created',
      'user.created',
      'user.disabled',
      'user.enabled',
      'account.unlocked',
      'mfa.reset',
      'keys.rotated',
      'client.deleted',
      'resource.deleted',
    ]);
    t.true((await auditEvents(server)).filter((event) => event.actor_id === actor).every((event) => event.actor_type === 'admin'));
    const bootstrapped = (await auditEvents(server)).find((event) => event.type === 'client.created' && event.target_id === admin.clientId);
    t.is(bootstrapped?.actor_id, 'cli:operator');
  },
);

adminTest(
  'tokens that are missing, garbage, for another audience, expired, revoked or of a deleted client are refused (RFC 6750)',
  async (t, { server, call, token, bootstrap, advance }) => {
    const admin = await bootstrap();

    const none = await call('GET', '/clients');
    t.is(none.status, 401);
    t.is(none.headers.get('www-authenticate'), 'Bearer realm="portcullis-admin"', 'no error attribute without a token');

    const basic = await call('GET', '/clients', { headers: { authorization: `Basic ${Buffer.from('a:b').toString('base64')}` } });
    t.is(basic.status, 401);
    t.regex(basic.headers.get('www-authenticate')!, /error="invalid_token"/);

    const garbage = await call('GET', '/clients', { token: 'not-a-jwt' });
    t.is(garbage.status, 401);
    t.is(garbage.body.error, 'invalid_token');
    t.regex(
      garbage.headers.get('www-authenticate')!,
      /^Bearer realm="portcullis-admin", error="invalid_token", error_description="[^"]+"$/,
    );

    await createResource(server.db, API, ['read']);
    const service = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API]: ['read'] } });
    const apiToken = (await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read', resource: API }, service))
      .body.access_token as string;
    const otherAudience = await call('GET', '/clients', { token: apiToken });
    t.is(otherAudience.status, 401);
    t.regex(otherAudience.body.error_description, /not for the admin API/);

    const bearer = await token(admin);
    const forged = `${bearer.split('.').slice(0, 2).join('.')}.${'A'.repeat(86)}`;
    t.is((await call('GET', '/clients', { token: forged })).status, 401);

    t.is((await call('GET', '/clients', { token: bearer })).status, 200);
    advance(server.config.accessTokenTtl + 120);
    const expired = await call('GET', '/clients', { token: bearer });
    t.is(expired.status, 401);
    t.regex(expired.headers.get('www-authenticate')!, /error_description="the access token has expired"/);
    advance(-(server.config.accessTokenTtl + 120));

    // revoked at the revocation endpoint
    const revocable = await token(admin);
    t.is((await postForm(`${server.url}/token/revocation`, { token: revocable }, admin)).status, 200);
    t.is((await call('GET', '/clients', { token: revocable })).status, 401);

    // its client deleted: refused at once (read from the database, not the cache)
    const second = await call('POST', '/clients', {
      token: bearer,
      json: { name: 'Second admin', grantTypes: ['client_credentials'], resources: [ADMIN_AUDIENCE], scopes: ['admin:read'] },
    });
    t.is(second.status, 201);
    const secondToken = await token({ clientId: second.body.clientId, clientSecret: second.body.clientSecret }, 'admin:read');
    t.is((await call('GET', '/keys', { token: secondToken })).status, 200);
    t.is((await call('DELETE', `/clients/${second.body.clientId}`, { token: bearer })).status, 200);
    t.is((await call('GET', '/keys', { token: secondToken })).status, 401);
  },
);

adminTest('scopes: admin:read cannot change anything; /users needs admin:users as well', async (t, { call, token, bootstrap }) => {
  const admin = await bootstrap();
  const reader = await token(admin, 'admin:read');
  t.is((await call('GET', '/clients', { token: reader })).status, 200);
  const write = await call('POST', '/resources', { token: reader, json: { identifier: API } });
  t.is(write.status, 403);
  t.is(write.body.error, 'insufficient_scope');
  t.is(
    write.headers.get('www-authenticate'),
    'Bearer realm="portcullis-admin", error="insufficient_scope", error_description="the access token lacks the scope(s) admin:write", scope="admin:write"',
  );
  t.is((await call('POST', '/keys/rotate', { token: reader })).status, 403);
  t.is((await call('DELETE', `/resources/${encodeURIComponent(ADMIN_AUDIENCE)}`, { token: reader })).status, 403);

  const users = await call('GET', '/users', { token: reader });
  t.is(users.status, 403);
  t.regex(users.headers.get('www-authenticate')!, /scope="admin:read admin:users"/);
  const writerWithoutUsers = await token(admin, 'admin:read admin:write');
  t.is(
    (
      await call('POST', '/users', {
        token: writerWithoutUsers,
        json: { email: 'x@example.com', password: 'a long and unusual passphrase 7' },
      })
    ).status,
    403,
  );
  t.is((await call('GET', '/users', { token: await token(admin, 'admin:read admin:users') })).status, 200);
  // nothing was written by the refused calls
  t.is((await call('GET', '/users', { token: await token(admin, 'admin:read admin:users') })).body.items.length, 0);
});

adminTest('user tokens: only an administrator who signed in with a second factor; acr/amr are in the token', async (t, harness) => {
  const { server, call } = harness;
  const console = await createTestClient(server, {
    firstParty: true,
    resources: { [ADMIN_AUDIENCE]: ['admin:read', 'admin:write', 'admin:users'] },
  });

  // a regular user, password only: the token has the scopes, but the user is no administrator
  const regular = await createUser(server.db);
  const regularToken = await adminUserToken(harness, regular.email, console);
  t.like(decodeJwt(regularToken), { sub: regular.id, aud: ADMIN_AUDIENCE, acr: 'urn:portcullis:acr:pwd', amr: ['pwd'] });
  const notAdmin = await call('GET', '/clients', { token: regularToken });
  t.is(notAdmin.status, 403);
  t.regex(notAdmin.body.error_description, /not an administrator/);

  // made an administrator later, the same password-only token is still refused: no second factor
  await server.db.query('UPDATE accounts SET is_admin = true WHERE id = $1', [regular.id]);
  const noMfa = await call('GET', '/clients', { token: regularToken });
  t.is(noMfa.status, 401);
  t.is(noMfa.body.error, 'insufficient_user_authentication');
  t.regex(noMfa.headers.get('www-authenticate')!, new RegExp(`error="insufficient_user_authentication".*acr_values="${ACR_MFA}"`));

  // an administrator with an authenticator app: accepted, and their changes are audited as theirs
  const admin = await createUser(server.db);
  const secret = generateTotpSecret();
  await server.db.query('UPDATE accounts SET is_admin = true WHERE id = $1', [admin.id]);
  await server.db.query('INSERT INTO mfa_totp (account_id, secret_encrypted, confirmed_at) VALUES ($1, $2, now())', [
    admin.id,
    encryptTotpSecret(server.portcullis.keys.encryptionKey, admin.id, secret),
  ]);
  const adminToken = await adminUserToken(harness, admin.email, console, secret);
  const claims = decodeJwt(adminToken);
  t.is(claims.acr, ACR_MFA);
  t.deepEqual(claims.amr, ['pwd', 'otp']);
  t.is(typeof claims.auth_time, 'number');
  const created = await call('POST', '/resources', { token: adminToken, json: { identifier: API } });
  t.is(created.status, 201);
  const event = (await auditEvents(server)).find((row) => row.type === 'resource.created');
  t.deepEqual([event?.actor_type, event?.actor_id], ['admin', `user:${admin.id}`]);

  // disabled: the token dies with the account
  await server.db.query('UPDATE accounts SET disabled_at = now() WHERE id = $1', [admin.id]);
  t.is((await call('GET', '/clients', { token: adminToken })).status, 401);
});

adminTest(
  'bad input is refused with a 4xx naming the field, and nothing is half-written',
  async (t, { server, call, token, bootstrap }) => {
    const admin = await bootstrap();
    const bearer = await token(admin);
    await createResource(server.db, API, ['read']);
    const refused = async (status: number, method: string, path: string, options: Parameters<Harness['call']>[2], description?: RegExp) => {
      const answer = await call(method, path, { token: bearer, ...options });
      t.is(answer.status, status, `${method} ${path}: ${JSON.stringify(answer.body)}`);
      if (description) t.regex(answer.body.error_description, description);
      return answer;
    };
    const worker = { name: 'W', grantTypes: ['client_credentials'], resources: [API], scopes: ['read'] };

    t.is(
      (await refused(400, 'POST', '/clients', { json: { ...worker, colour: 'blue' } }, /^input: unknown field\(s\) "colour"/)).body.error,
      'invalid_input',
    );
    await refused(400, 'POST', '/clients', { json: { ...worker, firstParty: 'yes' } }, /^firstParty: must be a boolean/);
    await refused(
      400,
      'POST',
      '/clients',
      { json: { name: 'App', redirectUris: ['https://app.example.com/cb#frag'] } },
      /^redirectUris: .*fragment/,
    );
    await refused(
      400,
      'POST',
      '/clients',
      { json: { name: 'App', redirectUris: ['https://*.example.com/cb'] } },
      /^redirectUris: .*wildcard/,
    );
    await refused(
      400,
      'POST',
      '/clients',
      { json: { name: 'App', redirectUris: ['http://app.example.com/cb'] } },
      /^redirectUris: .*https/,
    );
    await refused(400, 'POST', '/clients', { json: { ...worker, scopes: ['delete'] } }, /^scopes: unknown scope "delete"/);
    await refused(400, 'POST', '/clients', { json: { ...worker, resources: ['https://nowhere.example.com'] } }, /^resources: /);
    await refused(400, 'POST', '/clients', { json: [worker] }, /^input: must be a JSON object/);
    await refused(400, 'POST', '/clients', { body: '{"name":', headers: { 'content-type': 'application/json' } }, /not valid JSON/);
    await refused(400, 'POST', '/clients', { body: '', headers: { 'content-type': 'application/json' } }, /JSON object is required/);
    await refused(415, 'POST', '/clients', { body: 'name=W', headers: { 'content-type': 'application/x-www-form-urlencoded' } });
    await refused(415, 'POST', '/clients', {});
    await refused(413, 'POST', '/clients', { json: { ...worker, name: 'x'.repeat(70 * 1024) } });
    await refused(400, 'POST', '/resources', { json: { identifier: 'not a uri' } }, /^identifier: /);
    await refused(
      400,
      'POST',
      '/resources',
      { json: { identifier: 'https://b.example.com', tokenTtl: 5 } },
      /^tokenTtl: must be at least 30/,
    );
    await refused(409, 'POST', '/resources', { json: { identifier: API } }, /already exists/);
    await refused(409, 'DELETE', `/resources/${encodeURIComponent(ADMIN_AUDIENCE)}`, {}, /admin API itself/);
    await refused(404, 'GET', `/resources/${encodeURIComponent('https://nowhere.example.com')}`, {});
    await refused(404, 'GET', '/clients/nobody', {});
    await refused(404, 'POST', '/users/nobody@example.com/disable', {});
    await refused(400, 'POST', '/users', { json: { email: 'not-an-email', password: 'a long and unusual passphrase 7' } }, /^email: /);
    await refused(400, 'POST', '/users', { json: { email: 'weak@example.com', password: 'password' } }, /^password: /);
    await refused(400, 'POST', '/users/nobody/unlock', { json: { user: 'someone-else' } }, /takes no body/);
    await refused(400, 'GET', '/audit/events?limit=0', {}, /^limit: must be at least 1/);
    await refused(400, 'GET', '/audit/events?limit=ten', {}, /^limit: must be a number/);
    await refused(400, 'GET', '/audit/events?since=yesterday', {}, /^since: must be an ISO 8601 date/);
    await refused(400, 'GET', '/audit/events?colour=blue', {}, /unknown field/);
    await refused(400, 'GET', '/clients?colour=blue', {}, /unknown field/);

    // nothing half-written: only the admin client, no second resource, no user
    t.is((await call('GET', '/clients', { token: bearer })).body.items.length, 1);
    t.deepEqual(
      (await call('GET', '/resources', { token: bearer })).body.items.map((server: { identifier: string }) => server.identifier).sort(),
      [API, ADMIN_AUDIENCE].sort(),
    );
    t.is((await call('GET', '/users', { token: bearer })).body.items.length, 0);

    // outside the route table: JSON answers, not the document's concern
    const unknown = await fetch(`${server.url}/admin/v1/nothing`, { headers: { authorization: `Bearer ${bearer}` } });
    t.is(unknown.status, 404);
    t.is(((await unknown.json()) as { error: string }).error, 'not_found');
    const wrongMethod = await fetch(`${server.url}/admin/v1/keys`, { method: 'PUT', headers: { authorization: `Bearer ${bearer}` } });
    t.is(wrongMethod.status, 405);
    t.is(wrongMethod.headers.get('allow'), 'GET');
  },
);

adminTest(
  'a client deleted through the API on one process is refused at once by another',
  async (t, { server, call, token, bootstrap }) => {
    const sibling = await server.startSibling();
    const admin = await bootstrap();
    const bearer = await token(admin);
    const second = await call('POST', '/clients', {
      token: bearer,
      json: { name: 'Ops robot', grantTypes: ['client_credentials'], resources: [ADMIN_AUDIENCE], scopes: ['admin:read'] },
    });
    const robot = { clientId: second.body.clientId as string, clientSecret: second.body.clientSecret as string };
    // the test's processes listen on different ports, so each is its own issuer: the token the sibling
    // checks comes from the sibling (behind a load balancer they share one issuer)
    const fromSibling = await postForm(
      `${sibling.url}/token`,
      { grant_type: 'client_credentials', resource: ADMIN_AUDIENCE, scope: 'admin:read' },
      robot,
    );
    const robotToken = fromSibling.body.access_token as string;
    t.is((await call('GET', '/clients', { token: robotToken, on: sibling })).status, 200, 'the sibling knows the client (and caches it)');

    t.is((await call('DELETE', `/clients/${robot.clientId}`, { token: bearer })).status, 200);
    t.is(
      (await call('GET', '/clients', { token: robotToken, on: sibling })).status,
      401,
      'refused by the sibling on the very next request',
    );
    // the sibling's token endpoint, which reads the cache, follows on the notification
    let status = 200;
    for (let attempt = 0; attempt < 50 && status === 200; attempt++) {
      status = (
        await postForm(`${sibling.url}/token`, { grant_type: 'client_credentials', resource: ADMIN_AUDIENCE, scope: 'admin:read' }, robot)
      ).status;
    }
    t.is(status, 401);
  },
  { only: 'postgres+redis' },
);
