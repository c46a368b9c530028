import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { authorize } from '../helpers/user-agent.ts';

async function codeFor(server: TestServer, client: TestClient) {
  const user = await createUser(server.db);
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid offline_access' });
  if (!flow.code) throw new Error(flow.pages.at(-1));
  return flow;
}

const redeem = (url: string, client: TestClient, flow: { code?: string; verifier: string }) =>
  postForm(
    `${url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );

const refresh = (url: string, client: TestClient, refreshToken: string) =>
  postForm(`${url}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);

// Rotation for public clients and reuse detection (the grant revoked): test/security/replay.test.ts

testEachBackend('confidential clients keep their refresh token and get fresh access tokens', async (t, server) => {
  const client = await createTestClient(server);
  const tokens = await redeem(server.url, client, await codeFor(server, client));
  const again = await refresh(server.url, client, tokens.body.refresh_token as string);
  t.is(again.status, 200);
  t.is(again.body.refresh_token, tokens.body.refresh_token);
  t.not(again.body.access_token, tokens.body.access_token);
  const stranger = await createTestClient(server);
  t.is(
    (await refresh(server.url, stranger, tokens.body.refresh_token as string)).body.error,
    'invalid_grant',
    'another client cannot use it',
  );
});

testEachBackend('parallel redemption of one code in one process: exactly one 200, then the grant is revoked', async (t, server) => {
  const client = await createTestClient(server);
  const flow = await codeFor(server, client);
  const results = await Promise.all(Array.from({ length: 8 }, () => redeem(server.url, client, flow)));
  t.is(results.filter((result) => result.status === 200).length, 1);
  t.true(results.filter((result) => result.status !== 200).every((result) => result.body.error === 'invalid_grant'));
  const winner = results.find((result) => result.status === 200)!;
  t.is((await refresh(server.url, client, winner.body.refresh_token as string)).body.error, 'invalid_grant');
});

testEachBackend(
  'parallel redemption of one code across two server processes: one 200, grant revoked',
  async (t, server) => {
    const sibling = await startServerProcess({
      ISSUER: server.url,
      DATABASE_URL: server.config.databaseUrl!,
      REDIS_URL: server.config.redisUrl!,
      SECRET_KEY: server.config.secretKey!,
    });
    t.teardown(async () => {
      await sibling.stop();
    });
    const client = await createTestClient(server);
    const flow = await codeFor(server, client);
    const results = await Promise.all([0, 1, 2, 3].map((index) => redeem(index % 2 ? sibling.url : server.url, client, flow)));
    t.is(results.filter((result) => result.status === 200).length, 1, JSON.stringify(results.map((result) => result.body)));
    t.true(results.every((result) => result.status < 500));
    const winner = results.find((result) => result.status === 200)!;
    t.is((await refresh(sibling.url, client, winner.body.refresh_token as string)).body.error, 'invalid_grant');
  },
  { only: ['postgres+redis'] },
);

testEachBackend(
  'parallel use of one rotating refresh token across two server processes: one 200, grant revoked',
  async (t, server) => {
    const sibling = await startServerProcess({
      ISSUER: server.url,
      DATABASE_URL: server.config.databaseUrl!,
      REDIS_URL: server.config.redisUrl!,
      SECRET_KEY: server.config.secretKey!,
    });
    t.teardown(async () => {
      await sibling.stop();
    });
    const client = await createTestClient(server, { authMethod: 'none' });
    const tokens = await redeem(server.url, client, await codeFor(server, client));
    const refreshToken = tokens.body.refresh_token as string;
    const results = await Promise.all([0, 1, 2, 3].map((index) => refresh(index % 2 ? sibling.url : server.url, client, refreshToken)));
    t.is(results.filter((result) => result.status === 200).length, 1, JSON.stringify(results.map((result) => result.body)));
    t.true(results.every((result) => result.status < 500));
    const winner = results.find((result) => result.status === 200)!;
    t.is(
      (await refresh(server.url, client, winner.body.refresh_token as string)).body.error,
      'invalid_grant',
      'the loser revoked the grant',
    );
  },
  { only: ['postgres+redis'] },
);
