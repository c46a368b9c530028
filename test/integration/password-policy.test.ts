// The password policy where a password meets the outside world: `portcullis users create` (a real
// CLI process against PostgreSQL) refuses unsuitable passwords with the reason, and neither the CLI
// nor the login form spends time on a megabyte of password.
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { searchAccounts } from '../../src/storage/accounts.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { runCli } from '../helpers/cli-process.ts';
import { createTestClient, REDIRECT_URI } from '../helpers/fixtures.ts';
import { createTestDatabase } from '../helpers/stores.ts';
import { pkcePair, UserAgent } from '../helpers/user-agent.ts';

const ONE_MB = 1024 * 1024;

async function postgres(t: ExecutionContext) {
  const database = await createTestDatabase('postgres');
  t.teardown(() => database.dispose());
  return { db: database.db, env: { DATABASE_URL: database.url!, SECRET_KEY: randomBytes(32).toString('hex') } };
}

const createUser = (env: Record<string, string>, email: string, password: string) =>
  runCli(env, ['users', 'create', '--email', email, '--json'], password);

test.serial('users create refuses a common, a personal and a short password, each saying why, and accepts a good one', async (t) => {
  const { db, env } = await postgres(t);
  const refusals: [string, string, RegExp][] = [
    ['ada@example.com', 'passwordstandard', /^error: password: is on a list of commonly used or breached passwords/m],
    ['marguerite.okafor@example.com', 'Marguerite.Okafor@example.com!!', /^error: password: is mostly made of your email address/m],
    ['ada@example.com', 'PortcullisPortcullis1', /^error: password: is mostly made of this service's name/m],
    ['ada@example.com', 'short', /^error: password: must be at least 15 characters/m],
    ['ada@example.com', 'aaaaaaaaaaaaaaaaaaaa', /^error: password: is too easy to guess \(Repeated characters/m],
  ];
  const accounts = () => searchAccounts(db, { limit: 10 });
  for (const [email, password, reason] of refusals) {
    const run = await createUser(env, email, password);
    t.is(run.code, 1, `${password}: ${run.stderr}`);
    t.is(run.stdout, '');
    t.regex(run.stderr, reason);
  }
  t.deepEqual(await accounts(), [], 'no refused password created an account');

  const good = await createUser(env, 'ada@example.com', 'velvet thunder mosaic lantern\n');
  t.is(good.code, 0, good.stderr);
  t.like(JSON.parse(good.stdout), { email: 'ada@example.com' });
  t.is((await accounts()).length, 1);
});

test.serial('users create refuses a 1 MB password on standard input fast and creates nothing', async (t) => {
  const { db, env } = await postgres(t);
  const started = performance.now();
  const run = await createUser(env, 'ada@example.com', 'x'.repeat(ONE_MB));
  const elapsed = performance.now() - started;
  t.is(run.code, 1, run.stderr);
  t.regex(run.stderr, /^error: password: must be at most 1024 characters/m);
  t.true(elapsed < 5_000, `${elapsed.toFixed(0)} ms including process start`);
  t.deepEqual(await searchAccounts(db, { limit: 10 }), []);
});

testEachBackend('the login form answers a 1 MB password with a fast 4xx', async (t, server) => {
  const client = await createTestClient(server);
  const agent = new UserAgent();
  const authorize = `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`;
  const start = await agent.follow(authorize);
  const action = new URL(/action="([^"]+\/login)"/.exec(await start.response.text())![1]!, server.url).toString();
  t.regex(action, /\/interaction\/[^/]+\/login$/);

  const started = performance.now();
  const response = await agent.request(action, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, accept: 'text/html' },
    body: new URLSearchParams({ email: 'ada@example.com', password: 'x'.repeat(ONE_MB) }).toString(),
  });
  await response.arrayBuffer();
  const elapsed = performance.now() - started;
  t.true(response.status >= 400 && response.status < 500, String(response.status));
  t.true(elapsed < 2_000, `${elapsed.toFixed(0)} ms`);
});
