// The user's account page (/account): shown only after the security page's re-authentication, which
// returns here; the name, the email address (changed when the new address confirms), the password
// (ending the other sessions and every application's tokens), the sessions and applications (end one,
// revoke one), and deleting the account. Every change is audited with the user as actor.
import type { ExecutionContext } from 'ava';
import { findAccountById } from '../../src/storage/accounts.ts';
import { ACCOUNT, auditEvents, openAccount, pathOf, post, reauthenticate, refresh } from '../helpers/account-page.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, giveAuthenticatorApp, PASSWORD } from '../helpers/fixtures.ts';
import { emailsTo, lastEmailTo } from '../helpers/outbox.ts';
import type { TestServer } from '../helpers/server.ts';
import { signInForTokens } from '../helpers/user-tokens.ts';
import { authorize } from '../helpers/user-agent.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';

const sessionsOf = async (server: TestServer, accountId: string) =>
  (await server.db.query(`SELECT uid FROM oidc_models WHERE kind = 'Session' AND payload->>'accountId' = $1`, [accountId])).rows.length;

/** A user signed in to a client through `agent`'s browser, holding a refresh token. */
async function appTokens(
  t: ExecutionContext,
  server: TestServer,
  email: string,
  client = undefined as Awaited<ReturnType<typeof createTestClient>> | undefined,
) {
  const app = client ?? (await createTestClient(server, { firstParty: true }));
  const tokens = await signInForTokens(server, app, email);
  t.truthy(tokens?.refreshToken, 'the application holds a refresh token');
  return { client: app, ...tokens! };
}

testEachBackend('without re-authentication /account shows the sign-in form, which returns to /account', async (t, server) => {
  const user = await createUser(server.db);
  const browser = await openAccount(server);
  t.is(browser.page.status, 200);
  t.regex(browser.page.html, /To see or change your account, confirm it is you/);
  t.regex(browser.page.html, /<input type="hidden" name="then" value="\/account">/);
  t.notRegex(browser.page.html, new RegExp(user.email));
  await browser.submit('/account/security/sign-in', { email: user.email, password: PASSWORD, then: '/account' });
  t.is(new URL(browser.page.url).pathname, ACCOUNT);
  t.regex(browser.page.html, new RegExp(`<strong id="account-email">${user.email}</strong>`));
  t.regex(browser.page.html, /<a href="\/account\/security">Sign-in security<\/a>/, 'the second factors are on the security page');

  // with a second factor: the password, then the factor, then back here; one cookie for both pages
  const other = await createUser(server.db);
  const secret = await giveAuthenticatorApp(server, other.id);
  const proven = await reauthenticate(server, other.email, { secret });
  t.is(new URL(proven.page.url).pathname, ACCOUNT);
  t.regex(proven.page.html, /Your account/);
  await proven.go(`${server.url}/account/security`);
  t.regex(proven.page.html, /<p id="totp-state">On<\/p>/, 'the security page is open with the same proof');
  t.regex(proven.page.html, /<a href="\/account">Your account<\/a>/);

  // signing out of the page leaves both pages
  await proven.go(`${server.url}${ACCOUNT}`);
  await proven.submit('/account/security/sign-out', { then: '/account' });
  t.is(new URL(proven.page.url).pathname, ACCOUNT);
  t.regex(proven.page.html, /You left your account page/);
  t.regex(proven.page.html, /confirm it is you/);
});

testEachBackend('the name is changed, and audited with the user as actor', async (t, server) => {
  const user = await createUser(server.db);
  const browser = await reauthenticate(server, user.email);
  await browser.submit('/account/name', { name: '  Ada <Lovelace>  ' });
  t.regex(browser.page.html, /Your name was changed/);
  t.regex(browser.page.html, /value="Ada &lt;Lovelace&gt;"/);
  t.is((await findAccountById(server.db, user.id))?.name, 'Ada <Lovelace>');
  const [event] = await auditEvents(server, 'user.name_changed');
  t.like(event, { actor_type: 'user', actor_id: user.id, target_id: user.id, ip: '127.0.0.1' });
  await browser.submit('/account/name', { name: '' });
  t.is((await findAccountById(server.db, user.id))?.name, null, 'an empty name removes it');
});

testEachBackend('an email change takes effect when the new address confirms; the old address is told twice', async (t, server) => {
  const user = await createUser(server.db);
  const browser = await reauthenticate(server, user.email);
  const newEmail = `new-${user.email}`;
  await browser.submit('/account/email', { email: newEmail });
  t.regex(browser.page.html, /We sent a link to the new address/);
  t.is((await findAccountById(server.db, user.id))?.email, user.email, 'nothing changed yet');

  const requested = await lastEmailTo(server, user.email, 'email-change-requested');
  t.deepEqual(requested.data, { name: 'Test User', newEmail, accountUrl: `${server.url}/account` });
  const change = await lastEmailTo(server, newEmail, 'email-change');
  t.deepEqual(Object.keys(change.data).sort(), ['link', 'name', 'newEmail']);
  t.regex(change.data.link!, new RegExp(`^${server.url}/account/confirm-email\\?token=[\\w-]{43}$`));

  // GET only shows a button (a mail scanner's visit uses nothing up)
  await browser.go(`${server.url}${pathOf(change.data.link!)}`);
  await browser.go(`${server.url}${pathOf(change.data.link!)}`);
  t.regex(browser.page.html, new RegExp(`<strong id="new-email">${newEmail}</strong>`));
  t.is((await findAccountById(server.db, user.id))?.email, user.email);
  await browser.submit('/account/confirm-email', { token: new URL(change.data.link!).searchParams.get('token')! });
  t.is(new URL(browser.page.url).pathname, ACCOUNT);
  t.regex(browser.page.html, /Your email address was changed/);
  t.regex(browser.page.html, new RegExp(`<strong id="account-email">${newEmail}</strong>`), 'this browser keeps its page');
  const changed = await findAccountById(server.db, user.id);
  t.like(changed, { email: newEmail, emailVerified: true });
  t.deepEqual((await lastEmailTo(server, user.email, 'email-changed')).data, { name: 'Test User', newEmail });
  t.like((await auditEvents(server, 'user.email_change_requested'))[0], {
    actor_id: user.id,
    details: { newEmail, addressInUse: false },
  });
  t.like((await auditEvents(server, 'user.email_changed'))[0], { actor_id: user.id, details: { oldEmail: user.email, newEmail } });

  // the new address signs in, the old one no longer does
  const client = await createTestClient(server, { firstParty: true });
  t.truthy((await authorize({ issuer: server.url, clientId: client.clientId, email: newEmail })).code);
  t.falsy((await authorize({ issuer: server.url, clientId: client.clientId, email: user.email })).code);
});

testEachBackend(
  'an address that belongs to another account: the same answer to the requester, no link; that address is told instead',
  async (t, server) => {
    const user = await createUser(server.db);
    const owner = await createUser(server.db);
    const browser = await reauthenticate(server, user.email);
    const free = await post(browser, '/account/email', { email: `free-${user.email}` });
    const taken = await post(browser, '/account/email', { email: owner.email.toUpperCase() });
    t.deepEqual([taken.status, taken.location], [free.status, free.location], 'the same answer either way');
    const toOwner = await emailsTo(server, owner.email.toUpperCase());
    t.deepEqual(
      toOwner.map((email) => email.template),
      ['email-change-taken'],
      'no link to an address that has an account',
    );
    t.is((await lastEmailTo(server, user.email, 'email-change-requested')).data.newEmail, owner.email.toUpperCase());
    t.like((await auditEvents(server, 'user.email_change_requested'))[1], { details: { addressInUse: true } });
    // one's own address is refused plainly
    const own = await post(browser, '/account/email', { email: user.email.toUpperCase() });
    t.is(own.status, 400);
    t.regex(own.html, /That is already your email address/);
  },
);

testEachBackend(
  'a password change: the current one is checked like a sign-in, the policy applies; other sessions and every refresh token end, this browser stays',
  async (t, server) => {
    const user = await createUser(server.db);
    // an application used from another browser, and one from this browser
    const elsewhere = await appTokens(t, server, user.email);
    const here = await appTokens(t, server, user.email);
    t.is(await sessionsOf(server, user.id), 2);
    const browser = await reauthenticate(server, user.email, { agent: here.agent });
    t.regex(browser.page.html, /\(this browser\)/);

    const wrong = await post(browser, '/account/password', { current: 'not it', password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    t.is(wrong.status, 401);
    t.regex(wrong.html, /Your current password is not right/);
    t.like((await auditEvents(server, 'login.failed'))[0], { target_id: user.id, details: { page: 'account' } });
    const { rows } = await server.db.query<{ failures: number }>('SELECT sum(failures)::int AS failures FROM login_failures');
    t.is(rows[0]!.failures, 1, 'counted by the same lockout as a sign-in');

    const weak = await post(browser, '/account/password', { current: PASSWORD, password: 'short', confirmation: 'short' });
    t.is(weak.status, 400);
    t.regex(weak.html, /The new password must be at least 15 characters/);
    const differ = await post(browser, '/account/password', { current: PASSWORD, password: NEW_PASSWORD, confirmation: 'other' });
    t.regex(differ.html, /do not match/);
    const same = await post(browser, '/account/password', { current: PASSWORD, password: PASSWORD, confirmation: PASSWORD });
    t.regex(same.html, /must be different from your current one/);

    await browser.submit('/account/password', { current: PASSWORD, password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    t.regex(browser.page.html, /Your password was changed/);
    t.is(new URL(browser.page.url).pathname, ACCOUNT, 'this browser keeps its account page');
    t.is(await sessionsOf(server, user.id), 1, 'only this browser’s sign-in is left');
    t.regex(browser.page.html, /\(this browser\)/);
    t.false((await refresh(server, elsewhere.client, elsewhere.refreshToken!)).ok, 'the other browser’s application is signed out');
    t.false((await refresh(server, here.client, here.refreshToken!)).ok, 'every application’s refresh token ends');

    const notice = await lastEmailTo(server, user.email, 'password-changed');
    t.deepEqual(Object.keys(notice.data).sort(), ['accountUrl', 'name', 'time']);
    t.is(notice.data.accountUrl, `${server.url}/account`);
    t.regex(notice.data.time!, /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);
    t.like((await auditEvents(server, 'user.password_changed'))[0], {
      actor_id: user.id,
      details: { page: 'account', endedSessions: 1, endedGrants: 2, keptThisBrowser: true },
    });
    const client = await createTestClient(server, { firstParty: true });
    t.truthy((await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, password: NEW_PASSWORD })).code);
    t.falsy((await authorize({ issuer: server.url, clientId: client.clientId, email: user.email })).code, 'the old password is dead');
  },
);

testEachBackend('sessions and applications are listed; one session is ended, one application’s access revoked', async (t, server) => {
  const user = await createUser(server.db);
  const first = await appTokens(t, server, user.email);
  const second = await appTokens(t, server, user.email);
  const browser = await reauthenticate(server, user.email);
  t.is((browser.page.html.match(/action="\/account\/sessions\/end"/g) ?? []).length, 2);
  t.is((browser.page.html.match(/action="\/account\/applications\/revoke"/g) ?? []).length, 2);
  t.regex(browser.page.html, new RegExp(`Test client ${first.client.clientId}`));
  t.regex(browser.page.html, /may use: openid, offline_access/);

  // revoking the first application: its refresh token is refused at once
  const grantId = (
    await server.db.query<{ id: string }>(
      `SELECT id FROM oidc_models WHERE kind = 'Grant' AND payload->>'clientId' = $1 AND payload->>'accountId' = $2`,
      [first.client.clientId, user.id],
    )
  ).rows[0]!.id;
  await browser.submit('/account/applications/revoke', { id: grantId });
  t.regex(browser.page.html, /The application’s access was revoked/);
  t.false((await refresh(server, first.client, first.refreshToken!)).ok);
  t.true((await refresh(server, second.client, second.refreshToken!)).ok, 'the other application keeps its access');
  t.like((await auditEvents(server, 'user.grant_revoked'))[0], { actor_type: 'user', actor_id: user.id, ip: '127.0.0.1' });

  // ending the second browser's session
  const uid = (
    await server.db.query<{ uid: string }>(
      `SELECT uid FROM oidc_models WHERE kind = 'Session' AND payload->>'accountId' = $1 ORDER BY (payload->>'loginTs')::numeric DESC LIMIT 1`,
      [user.id],
    )
  ).rows[0]!.uid;
  await browser.submit('/account/sessions/end', { id: uid });
  t.regex(browser.page.html, /The session was ended/);
  t.is(await sessionsOf(server, user.id), 1);
  t.like((await auditEvents(server, 'user.session_revoked'))[0], { actor_type: 'user', actor_id: user.id, details: { sessionId: uid } });
});

testEachBackend('deleting the account takes two confirmations, then everything goes and the browser is signed out', async (t, server) => {
  const user = await createUser(server.db);
  const app = await appTokens(t, server, user.email);
  const secret = await giveAuthenticatorApp(server, user.id);
  const browser = await reauthenticate(server, user.email, { secret });
  await browser.go(`${server.url}/account/delete`);
  t.regex(browser.page.html, /Type your email address to confirm/);
  await browser.submit('/account/delete/confirm', { email: user.email.toUpperCase(), understand: 'yes' });
  t.regex(browser.page.html, /Last step/);
  t.truthy(await findAccountById(server.db, user.id), 'nothing deleted after the first confirmation');
  await browser.submit('/account/delete', {});
  t.regex(browser.page.html, /Your account was deleted/);
  t.is(await findAccountById(server.db, user.id), undefined);
  t.is(await sessionsOf(server, user.id), 0);
  t.false((await refresh(server, app.client, app.refreshToken!)).ok);
  const { rows } = await server.db.query('SELECT 1 FROM mfa_totp WHERE account_id = $1', [user.id]);
  t.is(rows.length, 0, 'its factors went with it');
  t.like((await auditEvents(server, 'user.deleted'))[0], { actor_type: 'user', actor_id: user.id, target_id: user.id, ip: '127.0.0.1' });
  await browser.go(`${server.url}${ACCOUNT}`);
  t.regex(browser.page.html, /confirm it is you/, 'the browser is signed out of the page');
});
