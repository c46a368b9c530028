// Hashing parameters rise over time: a stored hash made with weaker ones is upgraded at the next
// successful login (and only then: the password is needed to rehash).
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, PASSWORD } from '../helpers/fixtures.ts';
import { openLoginForm } from '../helpers/login-form.ts';
import { hashPassword } from '../../src/accounts/passwords.ts';
import { insertAccount } from '../../src/storage/accounts.ts';
import type { TestServer } from '../helpers/server.ts';

const storedHash = async (server: TestServer, id: string) =>
  (await server.db.query<{ password_hash: string }>('SELECT password_hash FROM accounts WHERE id = $1', [id])).rows[0]!.password_hash;

testEachBackend(
  'a hash with weaker parameters than configured is upgraded at the next successful login, not at a failed one',
  async (t, server) => {
    const weak = await hashPassword(PASSWORD, { memoryCost: 8_192, timeCost: 1, parallelism: 1 });
    const account = await insertAccount(server.db, { email: 'old-hash@example.com', name: null, passwordHash: weak });
    const client = await createTestClient(server);

    t.is((await (await openLoginForm(server, client.clientId)).submit(account.email, 'not the password at all')).status, 401);
    t.is(await storedHash(server, account.id), weak, 'a failed login changes nothing');

    t.is((await (await openLoginForm(server, client.clientId)).submit(account.email)).status, 303);
    const upgraded = await storedHash(server, account.id);
    t.regex(upgraded, /^\$argon2id\$v=19\$m=24576,t=3,p=1\$/, 'rehashed with ARGON2_MEMORY_KIB and ARGON2_TIME_COST');
    t.is((await (await openLoginForm(server, client.clientId)).submit(account.email)).status, 303, 'the upgraded hash verifies');
    t.is(await storedHash(server, account.id), upgraded, 'and is not rehashed again');
  },
  { env: { ARGON2_MEMORY_KIB: '24576', ARGON2_TIME_COST: '3' } },
);
