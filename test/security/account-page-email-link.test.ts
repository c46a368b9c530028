// Attacks on the email-change link: used twice, used by a browser proven for another account, a link
// of another purpose (a password-reset token) presented as an email change, a link from before a
// password change, a link whose address another account took meanwhile (and two accounts confirming
// the same address at once), and the link opened by someone who holds only the mailbox (a mistyped
// address): none changes the email of anyone, except the one right confirmation.
import type { ExecutionContext } from 'ava';
import { issueLink } from '../../src/accounts/account-links.ts';
import { findAccountById, updateAccount } from '../../src/storage/accounts.ts';
import { ACCOUNT, openAccount, post, reauthenticate } from '../helpers/account-page.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser, PASSWORD } from '../helpers/fixtures.ts';
import { lastEmailTo } from '../helpers/outbox.ts';
import type { TestServer } from '../helpers/server.ts';
import type { SignIn } from '../helpers/sign-in-flow.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';

/** A user whose browser asked to move to `newEmail`: the browser, and the token the new address received. */
async function requested(server: TestServer, newEmail?: string) {
  const user = await createUser(server.db);
  const browser = await reauthenticate(server, user.email);
  const target = newEmail ?? `new-${user.email}`;
  ensure((await post(browser, `${ACCOUNT}/email`, { email: target })).status === 303);
  const link = (await lastEmailTo(server, target, 'email-change')).data.link!;
  return { user, browser, newEmail: target, token: new URL(link).searchParams.get('token')! };
}

function ensure(condition: boolean) {
  if (!condition) throw new Error('the email change was not requested');
}

const confirm = (browser: SignIn, token: string) => post(browser, `${ACCOUNT}/confirm-email`, { token });

async function assertEmail(t: ExecutionContext, server: TestServer, accountId: string, email: string, label: string) {
  t.is((await findAccountById(server.db, accountId))?.email, email, label);
}

testEachBackend('a link used twice changes the address once; the second use is refused', async (t, server) => {
  const { user, browser, newEmail, token } = await requested(server);
  t.is((await confirm(browser, token)).status, 303);
  await assertEmail(t, server, user.id, newEmail, 'changed');
  const again = await confirm(browser, token);
  t.is(again.status, 410);
  t.regex(again.html, /This link is no longer valid/);
  const page = await browser.agent.request(`${server.url}${ACCOUNT}/confirm-email?token=${token}`);
  t.is(page.status, 410, 'its page says so too');
});

testEachBackend(
  "a browser proven for another account can neither see the link's change nor use it, and the link stays good",
  async (t, server) => {
    const { user, browser, newEmail, token } = await requested(server);
    const other = await createUser(server.db);
    const attacker = await reauthenticate(server, other.email);
    const page = await attacker.agent.request(`${server.url}${ACCOUNT}/confirm-email?token=${token}`);
    t.is(page.status, 403);
    const html = await page.text();
    t.regex(html, /This link was sent for another account/);
    t.notRegex(html, new RegExp(newEmail), 'the address is not shown');
    const answer = await confirm(attacker, token);
    t.is(answer.status, 403);
    await assertEmail(t, server, user.id, user.email, 'the owner is unchanged');
    await assertEmail(t, server, other.id, other.email, 'the attacker is unchanged');
    t.is((await confirm(browser, token)).status, 303, 'the owner can still use the link');
    await assertEmail(t, server, user.id, newEmail, 'changed by its owner');
  },
);

testEachBackend('whoever holds only the mailbox (a mistyped address) must sign in as the account first', async (t, server) => {
  const { user, newEmail, token } = await requested(server);
  const stranger = await openAccount(server);
  await stranger.go(`${server.url}${ACCOUNT}/confirm-email?token=${token}`);
  t.regex(stranger.page.html, /To finish changing your email address, confirm it is you/);
  t.regex(stranger.page.html, new RegExp(`name="then" value="/account/confirm-email\\?token=${token}"`));
  t.is((await confirm(stranger, token)).location, `${ACCOUNT}?notice=confirm`);
  await assertEmail(t, server, user.id, user.email, 'nothing changed');
  // the owner, on another device: signs in from the link's page and lands back on it
  await stranger.submit('/account/security/sign-in', {
    email: user.email,
    password: PASSWORD,
    then: `/account/confirm-email?token=${token}`,
  });
  t.regex(stranger.page.html, new RegExp(`<strong id="new-email">${newEmail}</strong>`));
  await stranger.submit('/account/confirm-email', { token });
  await assertEmail(t, server, user.id, newEmail, 'changed after the sign-in');
});

testEachBackend('a reset-password token presented as an email change is refused, and stays usable for its purpose', async (t, server) => {
  const user = await createUser(server.db);
  const account = (await findAccountById(server.db, user.id))!;
  const token = await server.db.transaction((tx) =>
    issueLink(tx, account, 'reset_password', { now: new Date(), detail: { email: 'attacker@example.com' } }),
  );
  const browser = await reauthenticate(server, user.email);
  t.is((await browser.agent.request(`${server.url}${ACCOUNT}/confirm-email?token=${token}`)).status, 410);
  t.is((await confirm(browser, token)).status, 410);
  await assertEmail(t, server, user.id, user.email, 'unchanged');
  const { rows } = await server.db.query('SELECT used_at FROM account_links WHERE account_id = $1', [user.id]);
  t.is(rows[0]!.used_at, null, 'the reset link was not used up');
});

testEachBackend('a link from before a password change is void', async (t, server) => {
  const { user, browser, token } = await requested(server);
  await browser.submit(`${ACCOUNT}/password`, { current: PASSWORD, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
  t.regex(browser.page.html, /Your password was changed/);
  const answer = await confirm(browser, token);
  t.is(answer.status, 410);
  await assertEmail(t, server, user.id, user.email, 'unchanged');
});

testEachBackend('an address another account took meanwhile is not taken twice: a clear message, nothing changed', async (t, server) => {
  const { user, browser, newEmail, token } = await requested(server);
  const other = await createUser(server.db);
  await updateAccount(server.db, other.id, { email: newEmail.toUpperCase() });
  const answer = await confirm(browser, token);
  t.is(answer.status, 409);
  t.regex(answer.html, /That address now belongs to another account, so your email address was not changed/);
  await assertEmail(t, server, user.id, user.email, 'unchanged');
  await assertEmail(t, server, other.id, newEmail.toUpperCase(), 'the other account keeps it');
});

testEachBackend('two accounts confirming the same address at once: one gets it, the other a clear message', async (t, server) => {
  const shared = `shared-${Date.now()}@example.com`;
  const first = await requested(server, shared);
  const second = await requested(server, shared);
  const answers = await Promise.all([confirm(first.browser, first.token), confirm(second.browser, second.token)]);
  t.deepEqual(answers.map((answer) => answer.status).sort(), [303, 409]);
  const emails = [(await findAccountById(server.db, first.user.id))!.email, (await findAccountById(server.db, second.user.id))!.email];
  t.is(emails.filter((email) => email === shared).length, 1, 'exactly one account has the address');
});
