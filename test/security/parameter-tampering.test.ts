// Parameter tampering with what the admin API stores and searches: metacharacters that would be
// syntax if a query were built from them, and JSON keys that would reach the prototype. (One user's
// objects reached through another user's path: test/integration/admin-user-sessions.test.ts and
// account-security.test.ts; the scope matrix of every admin route: admin-bola.test.ts.)
import { adminTest } from '../helpers/admin-harness.ts';
import { createUser } from '../helpers/fixtures.ts';

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
  t.deepEqual(
    literal.body.items.map((user: { email: string }) => user.email),
    ['alice@example.com'],
    'an ordinary search still finds',
  );
});

adminTest('__proto__ and constructor keys in a JSON body neither change the object made nor crash the server', async (t, harness) => {
  const { server, call } = harness;
  const bearer = await harness.token(await harness.bootstrap());
  const body =
    '{"email":"proto@example.com","password":"correct horse battery staple","__proto__":{"isAdmin":true},"constructor":{"prototype":{"isAdmin":true}}}';
  const answer = await call('POST', '/users', { token: bearer, body, headers: { 'content-type': 'application/json' } });
  t.true(answer.status === 400 || answer.status === 201, `status ${answer.status}`);
  if (answer.status === 201) t.false(answer.body.isAdmin, 'no administrator made through the prototype');
  const { rows } = await server.db.query<{ is_admin: boolean }>('SELECT is_admin FROM accounts WHERE email = $1', ['proto@example.com']);
  t.true(rows.every((row) => !row.is_admin));
  t.false(({} as Record<string, unknown>).isAdmin === true, 'Object.prototype was not polluted');
  t.is((await fetch(`${server.url}/healthz`)).status, 200);
});
