// Attack 16: lockout split by Unicode. The lock counter and the account lookup must read an email the
// same way: otherwise a spelling the lookup folds onto an account (`al\u0130ce`, a ligature, a
// fullwidth letter) but the counter does not opens a fresh count of guesses against that account,
// once per spelling. Every spelling of an address is one account and one counter.
import { randomBytes } from 'node:crypto';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, PASSWORD } from '../helpers/fixtures.ts';
import { openLoginForm, type LoginAttempt } from '../helpers/login-form.ts';
import type { TestServer } from '../helpers/server.ts';
import { runAsOperator } from '../helpers/operator.ts';

const WRONG = 'definitely not the password';
const from = (ip: string) => ({ 'x-forwarded-for': ip });
const loggedIn = (attempt: LoginAttempt) => attempt.status === 303 && attempt.location !== null;

/** An address with an `i` and an `fi` in it, and the spellings of it an attacker types. */
function addressWithSpellings() {
  const tag = randomBytes(4).toString('hex');
  const email = `alice.fin-${tag}@example.com`;
  return {
    email,
    spellings: [
      `al\u0130ce.fin-${tag}@example.com`, // İ: capital I with a dot (PostgreSQL's lower() makes it i)
      `al\u0131ce.fin-${tag}@example.com`, // ı: dotless i
      `alice.\uFB01n-${tag}@example.com`, // ﬁ: the fi ligature
      `\uFF41lice.fin-${tag}@example.com`, // ａ: fullwidth a
      `AL\u0130CE.FIN-${tag}@EXAMPLE.COM`, // capitals, with the dotted one
    ],
  };
}

async function lockedOutEvents(server: TestServer) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ target_id: string | null; details: Record<string, unknown> }>(
    `SELECT target_id, details FROM audit_events WHERE type = 'login.failed' ORDER BY seq`,
  );
  return rows;
}

testEachBackend(
  'a locked account stays locked under every Unicode spelling of its email, even with the right password',
  async (t, server) => {
    const { email, spellings } = addressWithSpellings();
    const user = await createUser(server.db, email);
    const client = await createTestClient(server);
    for (let i = 0; i < 5; i++)
      t.is((await (await openLoginForm(server, client.clientId)).submit(email, WRONG, from(`192.0.2.${i + 1}`))).status, 401);

    for (const [index, spelling] of spellings.entries()) {
      const attempt = await (await openLoginForm(server, client.clientId)).submit(spelling, PASSWORD, from(`198.51.100.${index + 1}`));
      t.false(loggedIn(attempt), `${JSON.stringify(spelling)} got past the lock of ${email}`);
      t.is(attempt.status, 401);
    }
    const refusals = (await lockedOutEvents(server)).filter(
      (event) => event.target_id === user.id || event.details.reason === 'account_locked',
    );
    t.true(
      refusals.slice(5).every((event) => event.details.reason === 'account_locked'),
      'every spelling was refused by the lock, unverified',
    );
  },
  { env: { TRUST_PROXY: 'true' } },
);

testEachBackend(
  'wrong guesses spread over the Unicode spellings of an email count against one lock',
  async (t, server) => {
    const { email, spellings } = addressWithSpellings();
    await createUser(server.db, email);
    const client = await createTestClient(server);
    // one guess per spelling (five: the lockout threshold), each from its own address
    for (const [index, spelling] of spellings.entries()) {
      t.is((await (await openLoginForm(server, client.clientId)).submit(spelling, WRONG, from(`203.0.113.${index + 1}`))).status, 401);
    }
    const owner = await (await openLoginForm(server, client.clientId)).submit(email, PASSWORD, from('198.51.100.200'));
    t.false(loggedIn(owner), 'five failures under five spellings are five failures of one account: it is locked');
    t.is(owner.status, 401);
  },
  { env: { TRUST_PROXY: 'true' } },
);

testEachBackend('every Unicode spelling of an email signs in to its one account', async (t, server) => {
  const { email, spellings } = addressWithSpellings();
  const user = await createUser(server.db, email);
  const client = await createTestClient(server);
  for (const spelling of spellings) {
    t.true(
      loggedIn(await (await openLoginForm(server, client.clientId)).submit(spelling, PASSWORD)),
      `${JSON.stringify(spelling)} is ${email}`,
    );
  }
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ actor_id: string }>(`SELECT actor_id FROM audit_events WHERE type = 'login.succeeded'`);
  t.deepEqual(
    rows.map((row) => row.actor_id),
    spellings.map(() => user.id),
  );
});

testEachBackend('an administrator cannot create or rename an account to another spelling of an existing email', async (t, server) => {
  const { email } = addressWithSpellings();
  const run = (name: string, input: unknown) => runAsOperator(server, name, input);
  await run('users.create', { email, password: 'a long enough password for the policy 2026' });
  const other = await createUser(server.db);

  const created = await t.throwsAsync(
    run('users.create', { email: email.toUpperCase(), password: 'a long enough password for the policy 2026' }),
  );
  t.regex(created.message, /already exists/);
  const renamed = await t.throwsAsync(run('users.update', { user: other.id, email: email.replace('alice', 'ALICE') }));
  t.regex(renamed.message, /already exists/);
  const { rows } = await server.db.query<{ count: number }>('SELECT count(*)::int AS count FROM accounts');
  t.is(rows[0]!.count, 2);
});
