// Attacks that outlive a reset (issue 11, attacks 13 and 15), played over HTTP against the real app
// on both deployments: a half-finished sign-in that overwrites the password an administrator set
// after it began, and a proof for the account page that survives an administrator's set-password or
// sign-out-everywhere. Whatever began before a reset is void after it.
import { runAsOperator } from '../helpers/operator.ts';
import { findAccountById } from '../../src/storage/accounts.ts';
import { describeFactors } from '../../src/storage/mfa.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, PASSWORD } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';

const FIRST_TEMPORARY = 'amber quartz orchard falcon';
const SECOND_TEMPORARY = 'cobalt meadow lantern spire';
const ATTACKERS = 'velvet thunder mosaic lantern';
const PAGE = '/account/security';

const admin = (server: TestServer, name: string, input: unknown) => runAsOperator(server, name, input);

/** What an administrator does to take an account back: each must void what began before it. */
const RESETS: [string, (server: TestServer, userId: string) => Promise<unknown>][] = [
  ['set-password', (server, userId) => admin(server, 'users.set-password', { user: userId, password: SECOND_TEMPORARY, mustChange: true })],
  ['sign-out-everywhere', (server, userId) => admin(server, 'users.sign-out-everywhere', { user: userId })],
  [
    'disable (then enable)',
    async (server, userId) => {
      await admin(server, 'users.disable', { user: userId });
      await admin(server, 'users.enable', { user: userId });
    },
  ],
  ['reset-mfa', (server, userId) => admin(server, 'users.reset-mfa', { user: userId })],
];

const post = (flow: SignIn, path: string, fields: Record<string, string>) =>
  flow.go(`${flow.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: flow.issuer },
    body: new URLSearchParams(fields),
  });

testEachBackend('a half-finished sign-in does not overwrite the password an administrator set after it began', async (t, server) => {
  const client = await createTestClient(server, { firstParty: true });
  const user = await createUser(server.db);
  await admin(server, 'users.set-password', { user: user.id, password: FIRST_TEMPORARY, mustChange: true });

  // someone who knows the first temporary password stops at the change-password page
  const stale = await SignIn.start(server.url, client.clientId);
  await stale.password(user.email, FIRST_TEMPORARY);
  t.regex(stale.page.url, /\/change-password$/);
  const changeUrl = stale.page.url;

  // the administrator resets again
  await admin(server, 'users.set-password', { user: user.id, password: SECOND_TEMPORARY, mustChange: true });
  await post(stale, new URL(changeUrl).pathname, { password: ATTACKERS, confirmation: ATTACKERS });
  t.is(stale.page.code, undefined, 'the stale sign-in gets no code');
  t.true((await findAccountById(server.db, user.id))!.passwordChangeRequired, 'the change is still due');

  // the administrator's second password works; the stale sign-in's does not
  const attacker = await SignIn.start(server.url, client.clientId);
  await attacker.password(user.email, ATTACKERS);
  t.is(attacker.page.status, 401);
  const owner = await SignIn.start(server.url, client.clientId);
  await owner.password(user.email, SECOND_TEMPORARY);
  t.regex(owner.page.url, /\/change-password$/, 'the second temporary password signs in');
});

for (const [reset, run] of RESETS) {
  testEachBackend(`${reset} voids a sign-in half-way through: no new password, no enrolment, no code`, async (t, server) => {
    const client = await createTestClient(server, { firstParty: true });
    const changing = await createUser(server.db);
    await admin(server, 'users.set-password', { user: changing.id, password: FIRST_TEMPORARY, mustChange: true });
    const enrolling = await createUser(server.db);
    await server.db.query('UPDATE accounts SET mfa_required = true WHERE id = $1', [enrolling.id]);

    const atChange = await SignIn.start(server.url, client.clientId);
    await atChange.password(changing.email, FIRST_TEMPORARY);
    const atEnrolment = await SignIn.start(server.url, client.clientId);
    await atEnrolment.password(enrolling.email);
    const secret = atEnrolment.enrolmentSecret();

    await run(server, changing.id);
    await run(server, enrolling.id);

    const hashBefore = (await findAccountById(server.db, changing.id))!.passwordHash;
    await atChange.submit('/change-password', { password: ATTACKERS, confirmation: ATTACKERS });
    t.is(atChange.page.code, undefined);
    t.is((await findAccountById(server.db, changing.id))!.passwordHash, hashBefore, 'the password is not overwritten');

    await atEnrolment.submit('/totp/enrol', { code: totpCode(secret) });
    if (atEnrolment.page.html.includes('/second-factor/done')) await atEnrolment.submit('/second-factor/done', {});
    t.is(atEnrolment.page.code, undefined);
    t.false((await describeFactors(server.db, enrolling.id)).totp, 'nothing enrolled');
  });

  testEachBackend(`the account page's proof does not outlive ${reset}`, async (t, server) => {
    const user = await createUser(server.db);
    const browser = new SignIn(server.url);
    await browser.go(`${server.url}${PAGE}`);
    await browser.submit(`${PAGE}/sign-in`, { email: user.email, password: PASSWORD });
    t.regex(browser.page.html, /<p id="totp-state">Off<\/p>/, 'proven: the page is shown');

    await run(server, user.id);
    await browser.go(`${server.url}${PAGE}`);
    t.regex(browser.page.html, /To see or change how you sign in, confirm it is you/, 'the proof is void');
    const addPage = await browser.agent.request(`${server.url}${PAGE}/totp/add`);
    t.is(addPage.status, 303);
    const added = await browser.agent.request(`${server.url}${PAGE}/totp/add`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({ code: '123456' }),
    });
    t.is(added.status, 303);
    t.is(added.headers.get('location'), `${PAGE}?notice=confirm`);
    t.like(await describeFactors(server.db, user.id), { totp: false, passkeys: 0 });
  });
}
