// Acting on the account page without having proved who one is: no account cookie at all, a proof
// of the password only (the account has a second factor), a proof older than 10 minutes (the
// server's clock is moved), or a proof voided by a reset since. Every change is refused (sent to the
// re-authentication) and nothing changes.
import test, { type ExecutionContext } from 'ava';
import { findAccountById } from '../../src/storage/accounts.ts';
import { ACCOUNT, openAccount, post, reauthenticate } from '../helpers/account-page.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser, giveAuthenticatorApp, PASSWORD } from '../helpers/fixtures.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import type { SignIn } from '../helpers/sign-in-flow.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';

/** Every change of the account page, as a form post that would go through were it admitted. */
const CHANGES = (email: string): [string, Record<string, string>][] => [
  [`${ACCOUNT}/name`, { name: 'Mallory' }],
  [`${ACCOUNT}/email`, { email: `taken-over-${email}` }],
  [`${ACCOUNT}/password`, { current: PASSWORD, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }],
  [`${ACCOUNT}/delete/confirm`, { email, understand: 'yes' }],
  [`${ACCOUNT}/delete`, {}],
  [`${ACCOUNT}/sessions/end`, { id: 'x' }],
  [`${ACCOUNT}/applications/revoke`, { id: 'x' }],
  [`${ACCOUNT}/confirm-email`, { token: 'a'.repeat(43) }],
];

async function assertNothingGoesThrough(t: ExecutionContext, server: TestServer, browser: SignIn, userId: string, label: string) {
  const before = await findAccountById(server.db, userId);
  for (const [path, fields] of CHANGES(before!.email)) {
    const answer = await post(browser, path, fields);
    t.is(answer.status, 303, `${label}: ${path}`);
    t.is(answer.location, `${ACCOUNT}?notice=confirm`, `${label}: ${path} is sent to the re-authentication`);
  }
  t.deepEqual(await findAccountById(server.db, userId), before, `${label}: the account is untouched`);
  const { rows } = await server.db.query('SELECT 1 FROM email_outbox');
  t.is(rows.length, 0, `${label}: no email was queued`);
}

testEachBackend('without an account cookie, or with the password only, no change goes through', async (t, server) => {
  const user = await createUser(server.db);
  await giveAuthenticatorApp(server, user.id);
  const nobody = await openAccount(server);
  await assertNothingGoesThrough(t, server, nobody, user.id, 'no cookie');

  const halfWay = await reauthenticate(server, user.email);
  t.regex(halfWay.page.html, /Code from your authenticator app/, 'the second factor is asked for');
  await assertNothingGoesThrough(t, server, halfWay, user.id, 'password only');
  await halfWay.go(`${server.url}${ACCOUNT}`);
  t.notRegex(halfWay.page.html, /Where you are signed in/, 'the page is not shown half-way');
});

for (const backend of BACKENDS) {
  test.serial(`[${backend.name}] an account cookie older than 10 minutes is worth nothing (the server's clock moved)`, async (t) => {
    let offsetMs = 0;
    const server = await startTestServer(backend, { now: () => new Date(Date.now() + offsetMs) });
    t.teardown(() => server.close());
    const user = await createUser(server.db);
    const browser = await reauthenticate(server, user.email);
    offsetMs = 9 * 60_000;
    await browser.go(`${server.url}${ACCOUNT}`);
    t.regex(browser.page.html, /Where you are signed in/, 'fresh after 9 minutes');
    offsetMs = 10 * 60_000 + 1_000;
    await browser.go(`${server.url}${ACCOUNT}`);
    t.regex(browser.page.html, /confirm it is you/);
    await assertNothingGoesThrough(t, server, browser, user.id, 'stale');
  });
}

testEachBackend('a proof from before a reset (an administrator signed the user out everywhere) is void', async (t, server) => {
  const user = await createUser(server.db);
  const browser = await reauthenticate(server, user.email);
  await server.db.query('UPDATE accounts SET credential_epoch = credential_epoch + 1 WHERE id = $1', [user.id]);
  await assertNothingGoesThrough(t, server, browser, user.id, 'after a reset');
});

testEachBackend("the sign-in's return field cannot send the proven browser to another site", async (t, server) => {
  const user = await createUser(server.db);
  for (const then of ['https://evil.example/', '//evil.example/account', '/account/../evil']) {
    const browser = await openAccount(server);
    const answer = await post(browser, '/account/security/sign-in', { email: user.email, password: PASSWORD, then });
    t.is(answer.status, 303);
    t.is(answer.location, '/account/security', `${then}: the security page, nowhere else`);
  }
});
