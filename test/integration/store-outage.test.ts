// A store going away: requests fail closed with a fast 503 (never a 500, never a token), readiness
// reports it, and everything recovers without a restart when the store is back.
import test from 'ava';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestDatabase } from '../helpers/stores.ts';
import { createTestClient, createUser, postForm } from '../helpers/fixtures.ts';
import { authorize, pkcePair, UserAgent } from '../helpers/user-agent.ts';
import { REDIRECT_URI } from '../helpers/fixtures.ts';

const authorizeUrl = (baseUrl: string, clientId: string) =>
  `${baseUrl}/auth?${new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`;

testEachBackend(
  'Redis down: authorization fails closed with temporarily_unavailable, readiness is 503, and both recover',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server);
    const redis = server.stores.redis!;
    redis.disconnect();

    const during = await new UserAgent().follow(authorizeUrl(server.url, client.clientId));
    t.is(new URL(during.url).searchParams.get('error'), 'temporarily_unavailable');
    t.is(new URL(during.url).searchParams.get('code'), null);
    const ready = await fetch(`${server.url}/readyz`);
    t.is(ready.status, 503);
    t.is(((await ready.json()) as { checks: Record<string, string> }).checks.redis, 'unavailable');

    await redis.connect();
    t.is((await fetch(`${server.url}/readyz`)).status, 200);
    const after = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });
    t.truthy(after.code, 'logins work again without a restart');
  },
  { only: ['postgres+redis'] },
);

testEachBackend(
  'PostgreSQL connections killed: no 5xx other than 503, and the pool recovers by itself',
  async (t, server) => {
    const service = await createTestClient(server, { grantTypes: ['client_credentials'] });
    t.is((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, service)).status, 200);
    const database = new URL(server.config.databaseUrl!).pathname.slice(1);
    const { Client } = (await import('pg')).default;
    const admin = new Client({ connectionString: server.config.databaseUrl!.replace(`/${database}`, '/postgres') });
    await admin.connect();
    await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [database]);
    await admin.end();
    server.portcullis.cache.clear();

    const statuses: number[] = [];
    for (let attempt = 0; attempt < 20; attempt++) {
      const response = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, service);
      statuses.push(response.status);
      if (response.status === 503) t.is(response.body.error, 'temporarily_unavailable');
      if (response.status === 200) break;
    }
    t.true(
      statuses.every((status) => status === 200 || status === 503),
      statuses.join(','),
    );
    t.is(statuses.at(-1), 200, 'recovered without a restart');
  },
  { only: ['postgres+redis'] },
);

testEachBackend(
  'a server started while Redis is down listens, reports not ready, and refuses logins with 503 instead of hanging',
  async (t, server) => {
    const { startServerProcess } = await import('../helpers/server-process.ts');
    const { createServer } = await import('node:net');
    // a port that refuses connections: bind one, note it, close it
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const deadPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const started = await startServerProcess({
      ISSUER: server.url,
      DATABASE_URL: server.config.databaseUrl!,
      REDIS_URL: `redis://127.0.0.1:${deadPort}`,
      SECRET_KEY: server.config.secretKey!,
    });
    t.teardown(async () => {
      await started.stop();
    });
    const ready = await fetch(`${started.url}/readyz`);
    t.is(ready.status, 503);
    const client = await createTestClient(server);
    const during = await new UserAgent().follow(authorizeUrl(started.url, client.clientId));
    t.is(new URL(during.url).searchParams.get('error'), 'temporarily_unavailable');
  },
  { only: ['postgres+redis'] },
);

// A connection the pool has handed out has no listener of the pool's own: `pg` reports its loss as
// an 'error' event, which with nobody listening would take the whole process down.
test('PostgreSQL: a connection lost inside a transaction fails that transaction, not the process', async (t) => {
  const database = await createTestDatabase('postgres');
  t.teardown(() => database.dispose());
  const killed = database.db.transaction(async (tx) => {
    await tx.query('SELECT pg_terminate_backend(pg_backend_pid())');
  });
  await t.throwsAsync(killed);
  // the 'end' of the killed socket arrives after the failed query; let it, then use the pool again
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.deepEqual((await database.db.query<{ one: number }>('SELECT 1 AS one')).rows, [{ one: 1 }]);
  t.is(await database.db.transaction(async (tx) => (await tx.query<{ two: number }>('SELECT 2 AS two')).rows[0]!.two), 2);
});
