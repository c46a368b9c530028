// Changing clients through the admin API: PATCH with ETag / If-Match, per-client token lifetimes,
// secret rotation with two active secrets, and every change honoured at once by every process.
// Every answer is checked against the published OpenAPI document (adminTest).
import { setTimeout as delay } from 'node:timers/promises';
import { decodeJwt } from 'jose';
import { adminTest, API, auditEvents, type Answer, type Harness } from '../helpers/admin-harness.ts';
import { createResource, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize, pkcePair } from '../helpers/user-agent.ts';

/**
 * Resolves when `server`'s client cache drops `clientId` (the change notification arrived): what the
 * next request on that process then sees is the database's current state. Guarded, never a sleep.
 */
function nextClientChange(server: TestServer, clientId: string): Promise<void> {
  const changed = new Promise<void>((resolve) =>
    server.portcullis.cache.onChange((topic, id) => topic === 'client' && id === clientId && resolve()),
  );
  const guard = delay(10_000, undefined, { ref: false }).then(() =>
    Promise.reject(new Error(`no change notification for client ${clientId}`)),
  );
  return Promise.race([changed, guard]);
}

/** Runs `change` and waits until `servers` have dropped their cached copy of the client. */
async function changeAndFollow(servers: readonly TestServer[], clientId: string, change: () => Promise<Answer>): Promise<Answer> {
  const followed = servers.map((server) => nextClientChange(server, clientId));
  const answer = await change();
  if (answer.status < 300) await Promise.all(followed);
  return answer;
}

async function adminBearer({ bootstrap, token }: Harness, scope?: string) {
  const admin = await bootstrap();
  return { admin, bearer: await token(admin, scope) };
}

/** A client-credentials token request for API (`read` unless told). */
const clientCredentials = (server: TestServer, client: TestClient, scope = 'read') =>
  postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope, resource: API }, client);

async function events(server: TestServer, type: string) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{
    actor_type: string;
    actor_id: string;
    target_id: string;
    details: Record<string, unknown> | null;
  }>('SELECT actor_type, actor_id, target_id, details FROM audit_events WHERE type = $1 ORDER BY seq', [type]);
  return rows;
}

const WEB_APP = {
  name: 'Web app',
  grantTypes: ['authorization_code', 'refresh_token'],
  redirectUris: ['https://app.example.com/cb'],
  resources: [API],
  scopes: ['read'],
};

adminTest(
  'PATCH changes a client: ETags round trip, If-Match is required, stale tags are refused, the change is audited with the admin',
  async (t, harness) => {
    const { server, call } = harness;
    const { admin, bearer } = await adminBearer(harness);
    await createResource(server.db, API, ['read', 'write']);
    const created = await call('POST', '/clients', { token: bearer, json: WEB_APP });
    t.is(created.status, 201, JSON.stringify(created.body));
    const path = `/clients/${created.body.clientId}`;
    const shown = await call('GET', path, { token: bearer });
    const etag = shown.headers.get('etag')!;
    t.regex(etag, /^"[\w-]{27}"$/);
    t.is(created.headers.get('etag'), etag, 'the create answer is tagged as GET shows the client (without its secret)');
    t.like(shown.body, { idTokenTtl: null, refreshTokenTtl: null, previousSecretExpiresAt: null });

    const missing = await call('PATCH', path, { token: bearer, json: { name: 'Renamed' } });
    t.is(missing.status, 428);
    t.regex(missing.body.error_description, /^ifMatch: send the If-Match header/);

    const change = {
      name: 'Renamed',
      redirectUris: ['https://app.example.com/cb', 'https://app.example.com/cb2'],
      scopes: ['read', 'write'],
      firstParty: true,
      rateLimitPerMinute: 50,
      idTokenTtl: 300,
      refreshTokenTtl: 3600,
    };
    const updated = await call('PATCH', path, { token: bearer, json: change, headers: { 'if-match': etag } });
    t.is(updated.status, 200, JSON.stringify(updated.body));
    t.like(updated.body, {
      ...change,
      scopes: undefined,
      resources: { [API]: ['read', 'write'] },
      grantTypes: WEB_APP.grantTypes,
      authMethod: 'client_secret_basic',
    });
    const newTag = updated.headers.get('etag')!;
    t.not(newTag, etag);
    const reread = await call('GET', path, { token: bearer });
    t.deepEqual(reread.body, updated.body);
    t.is(reread.headers.get('etag'), newTag, "the answer's ETag is the one GET gives");

    // a lost update: another admin still holding the first tag
    const stale = await call('PATCH', path, { token: bearer, json: { name: 'Lost update' }, headers: { 'if-match': etag } });
    t.is(stale.status, 412);
    t.is(stale.body.error, 'precondition_failed');
    t.is(
      (await call('PATCH', path, { token: bearer, json: { name: 'Weak' }, headers: { 'if-match': `W/${newTag}` } })).status,
      412,
      'a weak tag never matches',
    );
    const afterStale = await call('GET', path, { token: bearer });
    t.is(afterStale.body.name, 'Renamed', 'nothing changed');
    t.is(afterStale.headers.get('etag'), newTag);

    // null: back to the server defaults; one of several tags may match
    const reset = await call('PATCH', path, {
      token: bearer,
      json: { rateLimitPerMinute: null, idTokenTtl: null, refreshTokenTtl: null, firstParty: false },
      headers: { 'if-match': `${etag}, ${newTag}` },
    });
    t.is(reset.status, 200, JSON.stringify(reset.body));
    t.like(reset.body, { rateLimitPerMinute: null, idTokenTtl: null, refreshTokenTtl: null, firstParty: false });

    // nothing different: nothing written, the same tag, no event
    const same = await call('PATCH', path, {
      token: bearer,
      json: { name: 'Renamed' },
      headers: { 'if-match': reset.headers.get('etag')! },
    });
    t.is(same.status, 200);
    t.is(same.headers.get('etag'), reset.headers.get('etag'));

    const updates = await events(server, 'client.updated');
    t.deepEqual(
      updates.map((event) => event.details?.changed),
      [
        ['name', 'redirectUris', 'firstParty', 'resources', 'rateLimitPerMinute', 'idTokenTtl', 'refreshTokenTtl'],
        ['firstParty', 'rateLimitPerMinute', 'idTokenTtl', 'refreshTokenTtl'],
      ],
    );
    t.true(
      updates.every(
        (event) =>
          event.actor_type === 'admin' && event.actor_id === `client:${admin.clientId}` && event.target_id === created.body.clientId,
      ),
    );
  },
);

adminTest('PATCH refuses bad input with a 4xx naming the field, and nothing is half-written', async (t, harness) => {
  const { server, call } = harness;
  const { bearer } = await adminBearer(harness);
  await createResource(server.db, API, ['read', 'write']);
  const created = await call('POST', '/clients', { token: bearer, json: WEB_APP });
  const path = `/clients/${created.body.clientId}`;
  const etag = created.headers.get('etag')!;
  const refused = async (status: number, json: unknown, description?: RegExp, options: Parameters<Harness['call']>[2] = {}) => {
    const answer = await call('PATCH', path, { token: bearer, json, headers: { 'if-match': etag }, ...options });
    t.is(answer.status, status, `${JSON.stringify(json)?.slice(0, 100)}: ${JSON.stringify(answer.body)}`);
    if (description) t.regex(answer.body.error_description, description);
    return answer;
  };

  t.is(
    (await refused(400, { redirectUris: ['https://app.example.com/cb#frag'] }, /^redirectUris: .*fragment/)).body.error,
    'invalid_input',
  );
  await refused(400, { redirectUris: ['https://*.example.com/cb'] }, /^redirectUris: .*wildcard/);
  await refused(400, { redirectUris: ['http://app.example.com/cb'] }, /^redirectUris: .*must use https/);
  await refused(400, { redirectUris: [] }, /^redirectUris: the authorization_code grant needs at least one redirect URI/);
  await refused(400, { postLogoutRedirectUris: ['https://app.example.com/bye#x'] }, /^postLogoutRedirectUris: .*fragment/);
  await refused(400, { backchannelLogoutUri: 'http://app.example.com/logout' }, /^backchannelLogoutUri: .*https/);
  await refused(400, { scopes: ['delete'] }, /^scopes: unknown scope "delete"/);
  await refused(
    400,
    { resources: ['https://nowhere.example.com'] },
    /^resources: no resource server is registered as "https:\/\/nowhere.example.com"/,
  );
  await refused(400, { scopes: ['openid'] }, /^scopes: "openid" is an OpenID Connect scope/);
  await refused(400, { colour: 'blue' }, /^input: unknown field\(s\) "colour"/);
  await refused(400, { firstParty: 'yes' }, /^firstParty: must be a boolean/);
  await refused(400, { grantTypes: [] }, /^grantTypes: at least one grant type is needed/);
  await refused(400, { grantTypes: ['password'] }, /^grantTypes\[0\]: must be one of/);
  await refused(400, { idTokenTtl: 10 }, /^idTokenTtl: must be at least 60 seconds/);
  await refused(
    400,
    { refreshTokenTtl: server.config.refreshTokenTtl + 1 },
    /^refreshTokenTtl: must be at most \d+ seconds, the server's REFRESH_TOKEN_TTL/,
  );
  await refused(400, { rateLimitPerMinute: 0 }, /^rateLimitPerMinute: must be at least 1/);
  await refused(400, { name: 'Many', redirectUris: ['https://ok.example.com/cb', 'ftp://no/cb'] }, /^redirectUris: "ftp:\/\/no\/cb"/);
  await refused(409, { authMethod: 'none' }, /^authMethod: cannot change from client_secret_basic to none/);
  await refused(409, { authMethod: 'private_key_jwt', jwksUri: 'https://keys.example.com/jwks' }, /^authMethod: /);
  await refused(400, [WEB_APP], /^input: must be a JSON object/);
  await refused(413, { name: 'x'.repeat(70 * 1024) });
  await refused(415, undefined, undefined, {
    body: 'name=x',
    headers: { 'if-match': etag, 'content-type': 'application/x-www-form-urlencoded' },
  });
  t.is((await call('PATCH', '/clients/nobody', { token: bearer, json: { name: 'X' }, headers: { 'if-match': '*' } })).status, 404);

  const after = await call('GET', path, { token: bearer });
  t.is(after.headers.get('etag'), etag, 'nothing was written');
  t.deepEqual(after.body.redirectUris, WEB_APP.redirectUris);
  t.deepEqual(await events(server, 'client.updated'), []);
});

adminTest('admin:read cannot update a client, rotate its secret or end the previous one', async (t, harness) => {
  const { server, call, token } = harness;
  const { admin, bearer } = await adminBearer(harness);
  await createResource(server.db, API, ['read']);
  const created = await call('POST', '/clients', {
    token: bearer,
    json: { name: 'W', grantTypes: ['client_credentials'], resources: [API], scopes: ['read'] },
  });
  const path = `/clients/${created.body.clientId}`;
  const reader = await token(admin, 'admin:read');
  const etag = (await call('GET', path, { token: reader })).headers.get('etag')!;
  for (const [method, suffix, json] of [
    ['PATCH', '', { name: 'X' }],
    ['POST', '/secret/rotate', undefined],
    ['DELETE', '/secret/previous', undefined],
  ] as const) {
    const answer = await call(method, `${path}${suffix}`, { token: reader, ...(json ? { json } : {}), headers: { 'if-match': etag } });
    t.is(answer.status, 403, `${method} ${suffix}`);
    t.is(answer.body.error, 'insufficient_scope');
  }
  t.is((await call('GET', path, { token: reader })).headers.get('etag'), etag, 'nothing changed');
  t.is(
    (await clientCredentials(server, { clientId: created.body.clientId, clientSecret: created.body.clientSecret })).status,
    200,
    'the secret was not rotated',
  );
});

adminTest(
  'rotating a secret: both work until the old one expires or is revoked, never more than two; clients without a secret are refused',
  async (t, harness) => {
    const { server, call, advance } = harness;
    const { admin, bearer } = await adminBearer(harness);
    await createResource(server.db, API, ['read']);
    const created = await call('POST', '/clients', {
      token: bearer,
      json: { name: 'Worker', grantTypes: ['client_credentials'], resources: [API], scopes: ['read'] },
    });
    const clientId = created.body.clientId as string;
    const path = `/clients/${clientId}`;
    const works = async (clientSecret: string) => {
      const answer = await clientCredentials(server, { clientId, clientSecret });
      if (answer.status !== 200) t.is(answer.body.error, 'invalid_client');
      return answer.status === 200;
    };
    const rotate = (json?: unknown) =>
      changeAndFollow([server], clientId, () =>
        call('POST', `${path}/secret/rotate`, { token: bearer, ...(json === undefined ? {} : { json }) }),
      );
    const secrets = [created.body.clientSecret as string];
    t.true(await works(secrets[0]!));

    // a new secret, once; the old one keeps working for an hour
    const first = await rotate({ previousSecretTtl: 3600 });
    t.is(first.status, 200, JSON.stringify(first.body));
    secrets.push(first.body.clientSecret);
    t.regex(secrets[1]!, /^.{43}$/);
    t.not(secrets[1], secrets[0]);
    t.true(
      Math.abs(Date.parse(first.body.previousSecretExpiresAt) - (Date.now() + 3_600_000)) < 60_000,
      first.body.previousSecretExpiresAt,
    );
    const shown = await call('GET', path, { token: bearer });
    t.is(shown.body.clientSecret, undefined, 'never shown again');
    t.is(shown.body.previousSecretExpiresAt, first.body.previousSecretExpiresAt);
    t.is(first.headers.get('etag'), shown.headers.get('etag'), 'tagged as GET shows the client');
    t.true(await works(secrets[1]!));
    t.true(await works(secrets[0]!), 'the old secret still works during the grace period');
    t.false(await works('not-the-secret'));

    // past its expiry (on the server's clock), the old one is refused
    advance(3601);
    t.false(await works(secrets[0]!));
    t.true(await works(secrets[1]!));
    advance(-3601);
    t.true(await works(secrets[0]!), 'expiry is a point in time, not a deletion');

    // rotating again while the old one is active drops it: never more than two secrets
    const second = await rotate();
    t.is(second.status, 200, 'no body: the default grace period');
    secrets.push(second.body.clientSecret);
    t.true(Math.abs(Date.parse(second.body.previousSecretExpiresAt) - (Date.now() + 86_400_000)) < 60_000);
    t.false(await works(secrets[0]!), 'the oldest secret was dropped');
    t.true(await works(secrets[1]!));
    t.true(await works(secrets[2]!));

    // ending the previous secret early
    const revoked = await changeAndFollow([server], clientId, () => call('DELETE', `${path}/secret/previous`, { token: bearer }));
    t.is(revoked.status, 200);
    t.is(revoked.body.previousSecretExpiresAt, null);
    t.is(revoked.headers.get('etag'), (await call('GET', path, { token: bearer })).headers.get('etag'));
    t.false(await works(secrets[1]!));
    t.true(await works(secrets[2]!));
    const again = await call('DELETE', `${path}/secret/previous`, { token: bearer });
    t.is(again.status, 404);
    t.regex(again.body.error_description, /^clientId: .*has no previous secret/);

    // 0: the old one ends at once
    const immediate = await rotate({ previousSecretTtl: 0 });
    secrets.push(immediate.body.clientSecret);
    t.is(immediate.body.previousSecretExpiresAt, null);
    t.false(await works(secrets[2]!));
    t.true(await works(secrets[3]!));

    // refusals
    for (const [json, pattern] of [
      [{ previousSecretTtl: -1 }, /^previousSecretTtl: must be at least 0/],
      [{ previousSecretTtl: 31 * 86_400 }, /^previousSecretTtl: must be at most 2592000 seconds/],
      [{ previousSecretTtl: '3600' }, /^previousSecretTtl: must be a/],
      [{ colour: 'blue' }, /unknown field/],
    ] as const) {
      const answer = await call('POST', `${path}/secret/rotate`, { token: bearer, json });
      t.is(answer.status, 400, JSON.stringify(json));
      t.regex(answer.body.error_description, pattern);
    }
    t.is((await call('POST', '/clients/nobody/secret/rotate', { token: bearer })).status, 404);
    const spa = await call('POST', '/clients', {
      token: bearer,
      json: { name: 'SPA', authMethod: 'none', redirectUris: ['https://spa.example.com/cb'] },
    });
    const publicRotation = await call('POST', `/clients/${spa.body.clientId}/secret/rotate`, { token: bearer });
    t.is(publicRotation.status, 409);
    t.regex(publicRotation.body.error_description, /^clientId: client ".+" authenticates with none: it has no secret to rotate/);
    t.is((await call('DELETE', `/clients/${spa.body.clientId}/secret/previous`, { token: bearer })).status, 409);
    const signed = await call('POST', '/clients', {
      token: bearer,
      json: { name: 'Signed', grantTypes: ['client_credentials'], authMethod: 'private_key_jwt', jwksUri: 'https://keys.example.com/jwks' },
    });
    const signedRotation = await call('POST', `/clients/${signed.body.clientId}/secret/rotate`, { token: bearer });
    t.is(signedRotation.status, 409);
    t.regex(signedRotation.body.error_description, /private_key_jwt: it has no secret/);
    t.is(secrets[3], secrets.at(-1));
    t.true(await works(secrets[3]!), 'the refused rotations changed nothing');

    // audited with the admin, never with a secret
    const rotations = await events(server, 'client.secret_rotated');
    t.deepEqual(
      rotations.map((event) => event.details?.droppedOlder),
      [false, true, false],
    );
    t.deepEqual(
      (await events(server, 'client.previous_secret_revoked')).map((event) => [event.actor_id, event.target_id]),
      [[`client:${admin.clientId}`, clientId]],
    );
    t.true(rotations.every((event) => event.actor_type === 'admin' && event.actor_id === `client:${admin.clientId}`));
    const trail = JSON.stringify(await auditEvents(server)) + JSON.stringify(rotations);
    t.false(secrets.some((secret) => trail.includes(secret)));
  },
);

/** Signs a user in through `client` and redeems the code (openid offline_access: an ID token and a refresh token). */
async function signInTokens(server: TestServer, client: TestClient) {
  const user = await createUser(server.db);
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid offline_access' });
  if (!flow.code) throw new Error(`no code: ${flow.error ?? flow.pages.at(-1)}`);
  const answer = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
  const idToken = decodeJwt(answer.body.id_token as string);
  const refresh = await postForm(`${server.url}/token/introspection`, { token: answer.body.refresh_token as string }, client);
  return {
    idTokenLifetime: idToken.exp! - idToken.iat!,
    refreshTokenLifetime: (refresh.body.exp as number) - (refresh.body.iat as number),
  };
}

adminTest(
  'per-client token lifetimes: the ID and refresh tokens a client gets follow its settings, null the server defaults',
  async (t, harness) => {
    const { server, call } = harness;
    const { bearer } = await adminBearer(harness);
    const created = await call('POST', '/clients', {
      token: bearer,
      json: {
        name: 'Short-lived',
        grantTypes: ['authorization_code', 'refresh_token'],
        redirectUris: [REDIRECT_URI],
        idTokenTtl: 120,
        refreshTokenTtl: 600,
      },
    });
    t.is(created.status, 201, JSON.stringify(created.body));
    t.like(created.body, { idTokenTtl: 120, refreshTokenTtl: 600 });
    const client = { clientId: created.body.clientId as string, clientSecret: created.body.clientSecret as string };
    t.deepEqual(await signInTokens(server, client), { idTokenLifetime: 120, refreshTokenLifetime: 600 });

    const path = `/clients/${client.clientId}`;
    const longer = await changeAndFollow([server], client.clientId, () =>
      call('PATCH', path, {
        token: bearer,
        json: { idTokenTtl: 7200, refreshTokenTtl: null },
        headers: { 'if-match': created.headers.get('etag')! },
      }),
    );
    t.is(longer.status, 200, JSON.stringify(longer.body));
    t.deepEqual(await signInTokens(server, client), { idTokenLifetime: 7200, refreshTokenLifetime: server.config.refreshTokenTtl });

    const defaults = await changeAndFollow([server], client.clientId, () =>
      call('PATCH', path, { token: bearer, json: { idTokenTtl: null }, headers: { 'if-match': longer.headers.get('etag')! } }),
    );
    t.is(defaults.body.idTokenTtl, null);
    t.is((await signInTokens(server, client)).idTokenLifetime, 3600);

    const tooLong = await call('POST', '/clients', {
      token: bearer,
      json: { name: 'X', redirectUris: [REDIRECT_URI], refreshTokenTtl: server.config.refreshTokenTtl + 60 },
    });
    t.is(tooLong.status, 400);
    t.regex(tooLong.body.error_description, /^refreshTokenTtl: /);
  },
);

adminTest(
  'a change through the API on one process is honoured at once by another: scopes, redirect URIs, secrets',
  async (t, harness) => {
    const { server, call } = harness;
    const sibling = await server.startSibling();
    const { bearer } = await adminBearer(harness);
    await createResource(server.db, API, ['read', 'write']);
    const created = await call('POST', '/clients', {
      token: bearer,
      json: {
        name: 'Both',
        grantTypes: ['authorization_code', 'client_credentials'],
        redirectUris: ['https://app.example.com/a', 'https://app.example.com/b'],
        resources: [API],
        scopes: ['read', 'write'],
      },
    });
    const clientId = created.body.clientId as string;
    const path = `/clients/${clientId}`;
    const original = { clientId, clientSecret: created.body.clientSecret as string };
    const { challenge } = pkcePair();
    const authorizeOn = async (target: TestServer, redirectUri: string) => {
      const query = new URLSearchParams({
        client_id: clientId,
        response_type: 'code',
        redirect_uri: redirectUri,
        scope: 'openid',
        code_challenge: challenge,
        code_challenge_method: 'S256',
      });
      return (await fetch(`${target.url}/auth?${query}`, { redirect: 'manual' })).status;
    };
    // the sibling knows the client (and caches it)
    t.is((await clientCredentials(sibling, original, 'write')).status, 200);
    t.is(await authorizeOn(sibling, 'https://app.example.com/b'), 303);

    // scopes and a redirect URI removed on the primary
    const narrowed = await changeAndFollow([sibling], clientId, () =>
      call('PATCH', path, {
        token: bearer,
        json: { scopes: ['read'], redirectUris: ['https://app.example.com/a'] },
        headers: { 'if-match': created.headers.get('etag')! },
      }),
    );
    t.is(narrowed.status, 200, JSON.stringify(narrowed.body));
    const write = await clientCredentials(sibling, original, 'write');
    t.is(write.status, 400, 'the removed scope is refused by the other process');
    t.is(write.body.error, 'invalid_scope');
    t.is((await clientCredentials(sibling, original, 'read')).status, 200);
    t.is(await authorizeOn(sibling, 'https://app.example.com/b'), 400, 'the removed redirect URI is refused by the other process');
    t.is(await authorizeOn(sibling, 'https://app.example.com/a'), 303);

    // a rotation on the primary: the sibling takes the new secret and, once revoked, refuses the old
    const rotated = await changeAndFollow([sibling], clientId, () => call('POST', `${path}/secret/rotate`, { token: bearer }));
    const current = { clientId, clientSecret: rotated.body.clientSecret as string };
    t.is((await clientCredentials(sibling, current)).status, 200);
    t.is((await clientCredentials(sibling, original)).status, 200);
    await changeAndFollow([sibling], clientId, () => call('DELETE', `${path}/secret/previous`, { token: bearer }));
    const old = await clientCredentials(sibling, original);
    t.is(old.status, 401);
    t.is(old.body.error, 'invalid_client');
    t.is((await clientCredentials(sibling, current)).status, 200);
  },
  { only: 'postgres+redis' },
);

adminTest(
  'the path and the If-Match header decide: a body naming another client or its own ifMatch retargets nothing and skips no check',
  async (t, harness) => {
    const { server, call } = harness;
    const { bearer } = await adminBearer(harness);
    await createResource(server.db, API, ['read']);
    const first = await call('POST', '/clients', { token: bearer, json: WEB_APP });
    const second = await call('POST', '/clients', { token: bearer, json: { ...WEB_APP, name: 'Other app' } });
    const firstPath = `/clients/${first.body.clientId}`;

    // `ifMatch` in the body does not stand in for the header
    const bodyOnly = await call('PATCH', firstPath, { token: bearer, json: { name: 'Renamed', ifMatch: '*' } });
    t.is(bodyOnly.status, 428);
    t.is(bodyOnly.body.error, 'precondition_required');

    // a body naming the other client changes the one in the path, and only that one
    const etag = (await call('GET', firstPath, { token: bearer })).headers.get('etag')!;
    const retarget = await call('PATCH', firstPath, {
      token: bearer,
      json: { clientId: second.body.clientId, name: 'Renamed', ifMatch: '*' },
      headers: { 'if-match': '"stale"' },
    });
    t.is(retarget.status, 412, 'the header, not the body, is the precondition');
    const patched = await call('PATCH', firstPath, {
      token: bearer,
      json: { clientId: second.body.clientId, name: 'Renamed' },
      headers: { 'if-match': etag },
    });
    t.is(patched.status, 200, JSON.stringify(patched.body));
    t.is(patched.body.clientId, first.body.clientId);
    t.is((await call('GET', firstPath, { token: bearer })).body.name, 'Renamed');
    t.is((await call('GET', `/clients/${second.body.clientId}`, { token: bearer })).body.name, 'Other app');
  },
);
