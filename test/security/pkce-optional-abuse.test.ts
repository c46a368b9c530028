// Abusing `pkce: 'optional'` (a confidential client registered for a library that cannot send PKCE):
// an admin or attacker tries to give it to a client it must never cover (a public client, whose code
// nothing else protects; a client without the code flow), to sign in through such a client without
// the nonce that then stands in for PKCE (RFC 9700 §2.1.1), or to redeem its codes where PKCE, the
// nonce and the client secret should stop them. PKCE stays required of every other client.
import test from 'ava';
import { randomBytes } from 'node:crypto';
import { decodeJwt } from 'jose';
import { adminTest, type Harness } from '../helpers/admin-harness.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { runCli } from '../helpers/cli-process.ts';
import { createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import { runAsOperator } from '../helpers/operator.ts';
import type { TestServer } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/stores.ts';
import { authorize, pkcePair } from '../helpers/user-agent.ts';

const CONFIDENTIAL = { name: 'Legacy app', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI], pkce: 'optional' };

async function createOptionalClient(server: TestServer): Promise<TestClient> {
  const created = (await runAsOperator(server, 'clients.create', CONFIDENTIAL)) as { clientId: string; clientSecret: string };
  return { clientId: created.clientId, clientSecret: created.clientSecret };
}

const redeem = (server: TestServer, client: TestClient, form: Record<string, string>) =>
  postForm(`${server.url}/token`, { grant_type: 'authorization_code', redirect_uri: REDIRECT_URI, ...form }, client);

async function adminBearer({ bootstrap, token }: Harness) {
  return token(await bootstrap());
}

adminTest(
  'pkce optional is refused for a public client and for a client without the code flow, on create and update',
  async (t, harness) => {
    const { call } = harness;
    const bearer = await adminBearer(harness);
    const refused = (answer: { status: number; body: any }, what: string) => {
      t.is(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
      t.is(answer.body.error, 'invalid_input');
      t.regex(answer.body.error_description, /^pkce: /, what);
    };

    refused(await call('POST', '/clients', { token: bearer, json: { ...CONFIDENTIAL, authMethod: 'none' } }), 'a public client');
    refused(
      await call('POST', '/clients', { token: bearer, json: { name: 'Worker', grantTypes: ['client_credentials'], pkce: 'optional' } }),
      'client_credentials only',
    );
    const unknown = await call('POST', '/clients', { token: bearer, json: { ...CONFIDENTIAL, pkce: 'off' } });
    t.is(unknown.status, 400);
    t.regex(unknown.body.error_description, /^pkce: /);

    // a public client cannot be switched to optional afterwards
    const spa = await call('POST', '/clients', { token: bearer, json: { ...CONFIDENTIAL, pkce: undefined, authMethod: 'none' } });
    t.is(spa.status, 201, JSON.stringify(spa.body));
    t.is(spa.body.pkce, 'required');
    refused(
      await call('PATCH', `/clients/${spa.body.clientId}`, {
        token: bearer,
        json: { pkce: 'optional' },
        headers: { 'if-match': spa.headers.get('etag')! },
      }),
      'update of a public client',
    );

    // an optional client cannot become public nor lose the code flow while it stays optional
    const legacy = await call('POST', '/clients', { token: bearer, json: CONFIDENTIAL });
    t.is(legacy.status, 201, JSON.stringify(legacy.body));
    t.is(legacy.body.pkce, 'optional');
    const path = `/clients/${legacy.body.clientId}`;
    const etag = legacy.headers.get('etag')!;
    refused(
      await call('PATCH', path, {
        token: bearer,
        json: { grantTypes: ['client_credentials'], redirectUris: [] },
        headers: { 'if-match': etag },
      }),
      'update dropping the code flow',
    );
    const toPublic = await call('PATCH', path, { token: bearer, json: { authMethod: 'none' }, headers: { 'if-match': etag } });
    t.true(toPublic.status >= 400 && toPublic.status < 500, JSON.stringify(toPublic.body));
    t.regex(toPublic.body.error_description, /^authMethod: /);
    const after = await call('GET', path, { token: bearer });
    t.like(after.body, { pkce: 'optional', authMethod: 'client_secret_basic', grantTypes: ['authorization_code'] });
    t.is(after.headers.get('etag'), etag, 'nothing was written');
  },
);

adminTest('the pkce choice is in the client.created and client.updated audit events', async (t, harness) => {
  const { call, server } = harness;
  const bearer = await adminBearer(harness);
  const legacy = await call('POST', '/clients', { token: bearer, json: CONFIDENTIAL });
  const strict = await call('POST', '/clients', { token: bearer, json: { ...CONFIDENTIAL, pkce: undefined, name: 'Strict app' } });
  const back = await call('PATCH', `/clients/${legacy.body.clientId}`, {
    token: bearer,
    json: { pkce: 'required' },
    headers: { 'if-match': legacy.headers.get('etag')! },
  });
  t.is(back.status, 200, JSON.stringify(back.body));
  t.is(back.body.pkce, 'required');
  await call('PATCH', `/clients/${strict.body.clientId}`, {
    token: bearer,
    json: { pkce: 'optional' },
    headers: { 'if-match': strict.headers.get('etag')! },
  });

  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ type: string; target_id: string; details: Record<string, unknown> }>(
    "SELECT type, target_id, details FROM audit_events WHERE type IN ('client.created', 'client.updated') ORDER BY seq",
  );
  const of = (clientId: string) =>
    rows.filter((row) => row.target_id === clientId).map((row) => [row.type, row.details.pkce, row.details.changed]);
  t.deepEqual(of(legacy.body.clientId), [
    ['client.created', 'optional', undefined],
    ['client.updated', 'required', ['pkce']],
  ]);
  t.deepEqual(of(strict.body.clientId), [
    ['client.created', undefined, undefined],
    ['client.updated', 'optional', ['pkce']],
  ]);
});

test.serial('postgres: the CLI refuses --pkce optional for a public client and shows the choice', async (t) => {
  const database = await createTestDatabase('postgres');
  t.teardown(() => database.dispose());
  const env = { DATABASE_URL: database.url!, SECRET_KEY: randomBytes(32).toString('hex') };
  const base = ['clients', 'create', '--name', 'App', '--redirect-uri', REDIRECT_URI];

  const publicOptional = await runCli(env, [...base, '--auth-method', 'none', '--pkce', 'optional']);
  t.is(publicOptional.code, 1, publicOptional.stdout);
  t.regex(publicOptional.stderr, /--pkce: .*public client/);

  const spa = await runCli(env, [...base, '--auth-method', 'none', '--json']);
  t.is(spa.code, 0, spa.stderr);
  const spaId = (JSON.parse(spa.stdout) as { clientId: string }).clientId;
  const update = await runCli(env, ['clients', 'update', spaId, '--pkce', 'optional']);
  t.is(update.code, 1, update.stdout);
  t.regex(update.stderr, /--pkce: .*public client/);

  const legacy = await runCli(env, [...base, '--pkce', 'optional', '--json']);
  t.is(legacy.code, 0, legacy.stderr);
  const printed = await runCli(env, [...base, '--pkce', 'optional']);
  t.is(printed.code, 0, printed.stderr);
  t.regex(printed.stderr, /PKCE optional: .*nonce/, 'the admin is told what the choice costs');
  const legacyId = (JSON.parse(legacy.stdout) as { clientId: string; pkce: string }).clientId;
  const shown = await runCli(env, ['clients', 'show', legacyId]);
  t.regex(shown.stdout, /^PKCE\s+optional/m);
  t.regex((await runCli(env, ['clients', 'show', spaId])).stdout, /^PKCE\s+required/m);
  const { rows } = await database.db.query<{ metadata: Record<string, unknown> }>('SELECT metadata FROM clients WHERE client_id = $1', [
    legacyId,
  ]);
  t.is(rows[0]!.metadata.portcullis_pkce_optional, true);
  const strict = await runCli(env, ['clients', 'update', legacyId, '--pkce', 'required', '--json']);
  t.is((JSON.parse(strict.stdout) as { pkce: string }).pkce, 'required');
  const { rows: after } = await database.db.query<{ metadata: Record<string, unknown> }>(
    'SELECT metadata FROM clients WHERE client_id = $1',
    [legacyId],
  );
  t.false('portcullis_pkce_optional' in after[0]!.metadata, 'required is the absence of the flag');
});

testEachBackend('a pkce-optional client without a nonce, or without the openid scope, is refused at /auth', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createOptionalClient(server);
  const attempts: Record<string, { scope: string; extra: Record<string, string>; pkce: boolean }> = {
    'no nonce, no PKCE': { scope: 'openid', extra: {}, pkce: false },
    'an empty nonce': { scope: 'openid', extra: { nonce: '' }, pkce: false },
    'no nonce even with PKCE': { scope: 'openid', extra: {}, pkce: true },
    'a nonce but no openid scope': { scope: 'email', extra: { nonce: 'n-123' }, pkce: false },
  };
  for (const [name, attempt] of Object.entries(attempts)) {
    const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, ...attempt });
    t.is(flow.code, undefined, name);
    t.is(flow.error, 'invalid_request', `${name}: ${flow.callback}`);
    t.regex(flow.callback!.searchParams.get('error_description') ?? '', attempt.scope === 'openid' ? /nonce/ : /openid/, name);
    t.is(flow.callback!.searchParams.get('state'), flow.state, 'the error goes back to the client, with its state');
  }
});

testEachBackend('a pkce-optional client pushing a request (PAR) without a nonce is refused', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createOptionalClient(server);
  const base = { client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid' };
  const withoutNonce = await postForm(`${server.url}/request`, base, client);
  t.is(withoutNonce.status, 400);
  t.is(withoutNonce.body.error, 'invalid_request');
  t.regex(String(withoutNonce.body.error_description), /nonce/);
  const withNonce = await postForm(`${server.url}/request`, { ...base, nonce: 'n-123' }, client);
  t.is(withNonce.status, 201, JSON.stringify(withNonce.body));
  // the pushed request, with its nonce, is what /auth uses: the sign-in goes through
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid',
    pkce: false,
    extra: { request_uri: withNonce.body.request_uri as string },
  });
  t.truthy(flow.code, `${flow.callback} ${flow.pages.at(-1)}`);
  const token = await redeem(server, client, { code: flow.code! });
  t.is(token.status, 200, JSON.stringify(token.body));
  t.is(decodeJwt(token.body.id_token as string).nonce, 'n-123');
});

testEachBackend('a pkce-optional client that sent a code_challenge cannot redeem its code without the verifier', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createOptionalClient(server);
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid',
    extra: { nonce: 'n-123' },
  });
  t.truthy(flow.code, flow.pages.at(-1));
  for (const [name, extra] of Object.entries<Record<string, string>>({
    'no verifier': {},
    'another verifier': { code_verifier: pkcePair().verifier },
  })) {
    const answer = await redeem(server, client, { code: flow.code!, ...extra });
    t.is(answer.body.error, 'invalid_grant', `${name}: ${JSON.stringify(answer.body)}`);
    t.is(answer.body.access_token, undefined);
  }
});

testEachBackend('a code of a pkce-optional client cannot be redeemed by another client, nor without its secret', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createOptionalClient(server);
  const attacker = await createOptionalClient(server);
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid',
    pkce: false,
    extra: { nonce: 'n-123' },
  });
  t.truthy(flow.code, flow.pages.at(-1));

  const byOther = await redeem(server, attacker, { code: flow.code! });
  t.is(byOther.body.error, 'invalid_grant', JSON.stringify(byOther.body));
  const wrongSecret = await redeem(
    server,
    { clientId: client.clientId, clientSecret: randomBytes(32).toString('base64url') },
    { code: flow.code! },
  );
  t.is(wrongSecret.body.error, 'invalid_client');
  const noSecret = await postForm(`${server.url}/token`, {
    grant_type: 'authorization_code',
    redirect_uri: REDIRECT_URI,
    code: flow.code!,
    client_id: client.clientId,
  });
  t.is(noSecret.body.error, 'invalid_client');
  t.is(noSecret.body.access_token, undefined);
});
