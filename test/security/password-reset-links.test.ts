// Attack: a password-reset link used where it must not work. A link works once, for 30 minutes,
// only while it is the account's newest and no password change came after it, and only for a reset:
// anything else gets the "no longer valid" page, and the account's password stays what it was.
import test, { type ExecutionContext } from 'ava';
import { issueLink } from '../../src/accounts/account-links.ts';
import { findAccountById } from '../../src/storage/accounts.ts';
import { verifyPassword } from '../../src/accounts/passwords.ts';
import { PasswordReset, NEW_PASSWORD } from '../helpers/password-reset.ts';
import { createUser, PASSWORD } from '../helpers/fixtures.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';

/** One test per deployment, with a server whose clock the test moves. */
function withClock(title: string, body: (t: ExecutionContext, server: TestServer, advance: (seconds: number) => void) => Promise<void>) {
  for (const backend of BACKENDS) {
    test.serial(`[${backend.name}] ${title}`, async (t) => {
      let offsetMs = 0;
      const server = await startTestServer(backend, { now: () => new Date(Date.now() + offsetMs) });
      t.teardown(() => server.close());
      await body(t, server, (seconds) => void (offsetMs += seconds * 1000));
    });
  }
}

/** The link is refused, as the page says, and the password is unchanged. */
async function assertRefused(
  t: ExecutionContext,
  server: TestServer,
  reset: PasswordReset,
  token: string,
  accountId: string,
  password = PASSWORD,
) {
  const opened = await reset.get(`/account/reset-password?token=${encodeURIComponent(token)}`);
  t.is(opened.status, 410);
  t.regex(opened.html, /This password-reset link is no longer valid/);
  const posted = await reset.setPassword(token, 'a passphrase nobody should set here');
  t.is(posted.status, 410);
  t.regex(posted.html, /no longer valid/);
  const account = await findAccountById(server.db, accountId);
  t.true(await verifyPassword(account!.passwordHash!, password), 'the password is unchanged');
}

withClock('a link used once is refused the second time', async (t, server) => {
  const user = await createUser(server.db);
  const reset = new PasswordReset(server);
  await reset.request(user.email);
  const token = PasswordReset.tokenOf(await reset.link(user.email));
  t.is((await reset.setPassword(token)).status, 200);
  // replayed by another browser (a copy of the email, the history of a shared computer)
  await assertRefused(t, server, new PasswordReset(server), token, user.id, NEW_PASSWORD);
});

withClock('a link older than 30 minutes is refused, one a minute younger works', async (t, server, advance) => {
  const user = await createUser(server.db);
  const reset = new PasswordReset(server);
  await reset.request(user.email);
  const token = PasswordReset.tokenOf(await reset.link(user.email));
  advance(29 * 60);
  t.is((await reset.get(`/account/reset-password?token=${token}`)).status, 200);
  advance(61);
  await assertRefused(t, server, reset, token, user.id);
});

withClock('a link is void once a newer one was sent', async (t, server) => {
  const user = await createUser(server.db);
  const reset = new PasswordReset(server);
  await reset.request(user.email);
  const older = PasswordReset.tokenOf(await reset.link(user.email));
  await runAsOperator(server, 'users.send-password-reset', { user: user.email });
  const newer = PasswordReset.tokenOf(await reset.link(user.email));
  t.not(older, newer);
  await assertRefused(t, server, reset, older, user.id);
  t.is((await reset.setPassword(newer)).status, 200, 'the newer one works');
});

withClock('a link is void after a password change (an administrator set one)', async (t, server) => {
  const user = await createUser(server.db);
  const reset = new PasswordReset(server);
  await reset.request(user.email);
  const token = PasswordReset.tokenOf(await reset.link(user.email));
  const adminSet = 'an administrator chose this long one';
  await runAsOperator(server, 'users.set-password', { user: user.email, password: adminSet, mustChange: false });
  await assertRefused(t, server, reset, token, user.id, adminSet);
});

withClock("a link of another purpose (an email verification's) does not reset a password", async (t, server) => {
  const user = await createUser(server.db);
  const account = await findAccountById(server.db, user.id);
  const token = await issueLink(server.db, account!, 'verify_email', { now: new Date() });
  await assertRefused(t, server, new PasswordReset(server), token, user.id);
});

withClock('a link of a disabled account is refused', async (t, server) => {
  const user = await createUser(server.db);
  const reset = new PasswordReset(server);
  await reset.request(user.email);
  const token = PasswordReset.tokenOf(await reset.link(user.email));
  await runAsOperator(server, 'users.disable', { user: user.email });
  await assertRefused(t, server, reset, token, user.id);
});

withClock('forged and malformed tokens: a clean "no longer valid" page, never a 5xx', async (t, server) => {
  const user = await createUser(server.db);
  const reset = new PasswordReset(server);
  await reset.request(user.email);
  const real = PasswordReset.tokenOf(await reset.link(user.email));
  const forged = [
    'A'.repeat(43), // the right shape, guessed
    `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`, // one character off
    real.slice(0, 42),
    `${real}A`,
    `${real}\r\nSet-Cookie: x=1`,
    'x'.repeat(100_000),
    '',
    "' OR 1=1 --",
  ];
  for (const token of forged) {
    const posted = await reset.setPassword(token, 'a passphrase nobody should set here');
    t.true(
      posted.status === 410 || posted.status === 400 || posted.status === 413,
      `POST ${JSON.stringify(token.slice(0, 60))}: ${posted.status}`,
    );
    t.is(posted.headers.get('set-cookie')?.includes('x=1') ?? false, false);
  }
  for (const token of ['A'.repeat(43), real.slice(0, 42), 'x'.repeat(4000), '%00', 'a%0d%0aSet-Cookie:%20x=1', '%ff%fe']) {
    const opened = await reset.get(`/account/reset-password?token=${token}`);
    t.true(opened.status === 410 || opened.status === 400, `GET ${token.slice(0, 60)}: ${opened.status}`);
    t.is(opened.headers.get('set-cookie')?.includes('x=1') ?? false, false);
  }
  // a NUL in the form is refused at the edge
  const nul = await reset.post('/account/reset-password', { token: `${real}\u0000`, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
  t.is(nul.status, 400);
  // and after all of it the real link still works: nothing above used it
  t.is((await reset.setPassword(real)).status, 200);
});

withClock('one link posted twice at once: exactly one new password is set', async (t, server) => {
  const user = await createUser(server.db);
  const reset = new PasswordReset(server);
  await reset.request(user.email);
  const token = PasswordReset.tokenOf(await reset.link(user.email));
  const [first, second] = await Promise.all([
    new PasswordReset(server).setPassword(token, 'the first of two racing passphrases'),
    new PasswordReset(server).setPassword(token, 'the second of two racing passphrases'),
  ]);
  t.deepEqual([first.status, second.status].sort(), [200, 410]);
  const winner = first.status === 200 ? 'the first of two racing passphrases' : 'the second of two racing passphrases';
  const account = await findAccountById(server.db, user.id);
  t.true(await verifyPassword(account!.passwordHash!, winner));
  const { rows } = await server.db.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM audit_events WHERE type = 'user.password_reset' AND target_id = $1`,
    [user.id],
  );
  t.is(rows[0]!.n, 1, 'one reset, audited once');
});
