// What the audit trail says about a login: the events of the flow, in order, with actor, client,
// IP and request id — and never a credential.
import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, createUser, PASSWORD, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { authorize } from '../helpers/user-agent.ts';

interface EventRow {
  seq_text: string;
  type: string;
  outcome: string;
  actor_type: string | null;
  actor_id: string | null;
  client_id: string | null;
  ip: string | null;
  request_id: string | null;
  details: Record<string, unknown>;
}

testEachBackend('a login flow leaves its events in order, with actor, client, IP and request id, and no secret', async (t, server) => {
  await createResource(server.db, 'https://api.example.com', ['read']);
  const user = await createUser(server.db);
  const client = await createTestClient(server, { resources: { 'https://api.example.com': ['read'] } });
  const failed = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    password: 'wrong password here',
    scope: 'openid',
  });
  t.is(failed.code, undefined);
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid offline_access read',
    resource: 'https://api.example.com',
  });
  const tokens = await postForm(
    `${server.url}/token`,
    {
      grant_type: 'authorization_code',
      code: flow.code!,
      redirect_uri: REDIRECT_URI,
      code_verifier: flow.verifier,
      resource: 'https://api.example.com',
    },
    client,
  );
  const refreshToken = tokens.body.refresh_token as string;
  await postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
  await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  await postForm(`${server.url}/token/revocation`, { token: tokens.body.access_token as string }, client);
  await server.portcullis.audit.flush();

  const { rows } = await server.db.query<EventRow>(
    'SELECT seq::text AS seq_text, type, outcome, actor_type, actor_id, client_id, ip, request_id, details FROM audit_events ORDER BY audit_events.seq',
  );
  const types = rows.map((row) => row.type);
  // the replayed code: its grant is revoked, then the refusal is recorded as a reuse
  const expected = [
    'login.failed',
    'login.succeeded',
    'consent.granted',
    'token.issued',
    'token.issued',
    'grant.revoked',
    'token.reuse_detected',
    'token.revoked',
  ];
  let cursor = 0;
  for (const type of types) if (type === expected[cursor]) cursor++;
  t.is(cursor, expected.length, `events in order: ${rows.map((row) => `${row.seq_text}:${row.type}`).join(', ')}`);

  const login = rows.find((row) => row.type === 'login.succeeded')!;
  t.is(login.actor_type, 'user');
  t.is(login.actor_id, user.id);
  t.is(login.client_id, client.clientId);
  t.regex(login.ip ?? '', /127\.0\.0\.1/);
  t.regex(login.request_id ?? '', /^[0-9a-f-]{36}$/);
  const failure = rows.find((row) => row.type === 'login.failed')!;
  t.is(failure.details.reason, 'invalid_credentials');
  const issued = rows.filter((row) => row.type === 'token.issued');
  t.deepEqual(
    issued.map((row) => row.details.grantType),
    ['authorization_code', 'refresh_token'],
  );
  t.is(issued[0]!.actor_id, user.id);

  const dump = JSON.stringify(rows);
  for (const secret of [
    PASSWORD,
    'wrong password here',
    client.clientSecret!,
    flow.code!,
    flow.verifier,
    refreshToken,
    tokens.body.access_token as string,
    tokens.body.id_token as string,
  ]) {
    t.false(dump.includes(secret), 'no credential in the audit trail');
  }
});

testEachBackend(
  'admin changes made with the CLI are recorded durably with the admin who made them',
  async (t, server) => {
    const { runCommand } = await import('../../src/admin/cli/cli-runner.ts');
    const { userInfo } = await import('node:os');
    await runCommand(server.config, 'resources.create', { identifier: 'https://api.example.com', scopes: [{ name: 'read' }] });
    const client = (await runCommand(server.config, 'clients.create', {
      name: 'Audited app',
      grantTypes: ['client_credentials'],
      resources: ['https://api.example.com'],
      scopes: ['read'],
    })) as { clientId: string; clientSecret: string };
    await runCommand(server.config, 'keys.rotate', {});
    await runCommand(server.config, 'clients.delete', { clientId: client.clientId });

    const { rows } = await server.db.query<{ type: string; actor_type: string; actor_id: string; target_id: string; details: unknown }>(
      `SELECT type, actor_type, actor_id, target_id, details FROM audit_events WHERE actor_type = 'admin' ORDER BY seq`,
    );
    t.deepEqual(
      rows.map((row) => row.type),
      ['resource.created', 'client.created', 'keys.rotated', 'client.deleted'],
    );
    for (const row of rows) t.is(row.actor_id, `cli:${userInfo().username}`);
    t.is(rows[1]!.target_id, client.clientId);
    t.false(JSON.stringify(rows).includes(client.clientSecret), 'the generated secret is not in the trail');
  },
  { only: ['postgres+redis'] },
);
