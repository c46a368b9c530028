// `portcullis admin bootstrap` as an operator runs it: the first admin client (its secret printed
// once) and optionally an administrator user; refused once an administrator exists.
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import { runCli } from '../helpers/cli-process.ts';
import { createTestDatabase } from '../helpers/stores.ts';

const PASSWORD = 'correct horse battery staple';

async function postgresEnv(t: ExecutionContext) {
  const database = await createTestDatabase('postgres');
  t.teardown(() => database.dispose());
  return { db: database.db, env: { DATABASE_URL: database.url!, SECRET_KEY: randomBytes(32).toString('hex') } };
}

test('admin bootstrap creates the admin client once, printing its secret once; a second run is refused', async (t) => {
  const { db, env } = await postgresEnv(t);
  const first = await runCli(env, ['admin', 'bootstrap']);
  t.is(first.code, 0, first.stderr);
  const secret = /client_secret\s+(\S+)/.exec(first.stdout)?.[1];
  t.truthy(secret);
  t.is(first.stdout.split(secret!).length - 1, 1, 'the secret appears once');
  t.regex(first.stderr, /shown only this once/);
  const { rows } = await db.query<{ client_id: string; scopes: string[] }>(
    'SELECT client_id, scopes FROM client_resources WHERE resource = $1',
    [ADMIN_AUDIENCE],
  );
  t.is(rows.length, 1);
  t.deepEqual([...rows[0]!.scopes].sort(), ['admin:read', 'admin:users', 'admin:write']);

  const second = await runCli(env, ['admin', 'bootstrap']);
  t.is(second.code, 1);
  t.is(second.stdout, '');
  t.regex(second.stderr, /an administrator client already exists/);
  t.is((await db.query('SELECT 1 FROM client_resources WHERE resource = $1', [ADMIN_AUDIENCE])).rows.length, 1, 'nothing more was created');
});

test('admin bootstrap --email also creates an administrator user (password from standard input); --json', async (t) => {
  const { db, env } = await postgresEnv(t);
  const weak = await runCli(env, ['admin', 'bootstrap', '--email', 'root@example.com'], 'password');
  t.is(weak.code, 1);
  t.regex(weak.stderr, /password/);
  t.is(
    (await db.query('SELECT 1 FROM client_resources WHERE resource = $1', [ADMIN_AUDIENCE])).rows.length,
    0,
    'a refused user leaves no client behind',
  );

  const run = await runCli(env, ['admin', 'bootstrap', '--email', 'root@example.com', '--name', 'Root', '--json'], PASSWORD);
  t.is(run.code, 0, run.stderr);
  const result = JSON.parse(run.stdout);
  t.is(result.user.email, 'root@example.com');
  t.true(result.user.isAdmin);
  t.is(typeof result.client.clientSecret, 'string');
  t.deepEqual(result.client.grantTypes, ['client_credentials']);

  // an administrator user alone is enough to refuse another bootstrap
  await db.query('DELETE FROM clients WHERE client_id = $1', [result.client.clientId]);
  const again = await runCli(env, ['admin', 'bootstrap']);
  t.is(again.code, 1);
  t.regex(again.stderr, /an administrator user already exists/);
});
