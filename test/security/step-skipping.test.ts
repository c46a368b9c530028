// Authentication and step skipping (issue 11, the attacker's suite): every sign-in and account-page
// route called out of order, twice, with another interaction's cookie, or after the interaction
// ended. None may give a code, a session, a factor or a password; none may answer with a 5xx.
import { randomBytes } from 'node:crypto';
import { findAccountById, type Account } from '../../src/storage/accounts.ts';
import { describeFactors } from '../../src/storage/mfa.ts';
import { insertCredential, listCredentials } from '../../src/storage/webauthn-credentials.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, giveAuthenticatorApp, PASSWORD } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';
const PAGE = '/account/security';

/** Every route of a sign-in after the password, with a body that would do something. */
const SIGN_IN_STEPS: [method: 'GET' | 'POST', path: string, fields?: Record<string, string>][] = [
  ['GET', '/second-factor'],
  ['POST', '/second-factor/totp', { code: '123456' }],
  ['GET', '/second-factor/recovery'],
  ['POST', '/second-factor/recovery', { code: 'aaaa-bbbb-cccc' }],
  ['POST', '/second-factor/passkey', { credential: '{}' }],
  ['POST', '/second-factor/totp/enrol', { code: '123456' }],
  ['POST', '/second-factor/passkey/register', { credential: '{}', name: 'x' }],
  ['POST', '/second-factor/done', {}],
  ['GET', '/change-password'],
  ['POST', '/change-password', { password: NEW_PASSWORD, confirmation: NEW_PASSWORD }],
];

async function userWithTotp(server: TestServer) {
  const user = await createUser(server.db);
  return { user, secret: await giveAuthenticatorApp(server, user.id) };
}

/** One request as sent (no redirects followed). */
async function send(flow: SignIn, method: 'GET' | 'POST', url: string, fields?: Record<string, string>) {
  const response = await flow.agent.request(
    url,
    method === 'GET'
      ? {}
      : {
          method,
          headers: { 'content-type': 'application/x-www-form-urlencoded', origin: flow.issuer },
          body: new URLSearchParams(fields ?? {}),
        },
  );
  return { status: response.status, location: response.headers.get('location') ?? '', html: await response.text() };
}

/** What an account has and is, to compare before and after an attack. */
async function snapshot(server: TestServer, account: Account) {
  const stored = (await findAccountById(server.db, account.id))!;
  return {
    factors: await describeFactors(server.db, account.id),
    passkeys: (await listCredentials(server.db, account.id)).length,
    hash: stored.passwordHash,
    mustChange: stored.passwordChangeRequired,
  };
}

const sessions = async (server: TestServer) => (await server.db.query(`SELECT 1 FROM oidc_models WHERE kind = 'Session'`)).rows.length;

testEachBackend(
  'every step after the password, called before the password, is sent back to the start and does nothing',
  async (t, server) => {
    const { user } = await userWithTotp(server);
    const client = await createTestClient(server, { firstParty: true });
    const flow = await SignIn.start(server.url, client.clientId);
    const base = flow.page.url;
    const before = await snapshot(server, user);
    for (const [method, path, fields] of SIGN_IN_STEPS) {
      const answer = await send(flow, method, `${base}${path}`, fields);
      t.is(answer.status, 303, `${method} ${path}`);
      t.is(new URL(answer.location, server.url).pathname, new URL(base).pathname, `${method} ${path}: back to the password`);
    }
    t.deepEqual(await snapshot(server, user), before);
    t.is(await sessions(server), 0);
  },
);

testEachBackend(
  'with the password of an account that has a factor, no enrolment route and no password change is reachable',
  async (t, server) => {
    const { user } = await userWithTotp(server);
    const client = await createTestClient(server, { firstParty: true });
    const flow = await SignIn.start(server.url, client.clientId);
    await flow.password(user.email);
    const base = flow.page.url.replace(/\/second-factor$/, '');
    const before = await snapshot(server, user);
    for (const [method, path, fields] of SIGN_IN_STEPS.filter(([, path]) => /enrol|register|done|change-password/.test(path))) {
      const answer = await send(flow, method, `${base}${path}`, fields);
      t.true(answer.status < 500, `${method} ${path}: no 5xx`);
      t.false(answer.status === 200, `${method} ${path}: no page of that step`);
      t.notRegex(answer.html, /totp-secret|Choose a new password|shown only this once/, `${method} ${path}: nothing of that step`);
      t.notRegex(answer.location, /callback|\/auth\//, `${method} ${path}: no way back to the client`);
    }
    t.deepEqual(await snapshot(server, user), before);
    t.is(await sessions(server), 0);
  },
);

testEachBackend("another interaction's sign-in state opens nothing in this one", async (t, server) => {
  const { user, secret } = await userWithTotp(server);
  const client = await createTestClient(server, { firstParty: true });
  const browser = await SignIn.start(server.url, client.clientId);
  await browser.password(user.email);
  // the same browser starts a second sign-in: the first one's proven password is not this one's
  const other = await SignIn.start(server.url, client.clientId, {}, browser.agent);
  const base = other.page.url;
  const answer = await send(other, 'POST', `${base}/second-factor/totp`, { code: totpCode(secret) });
  t.is(answer.status, 303);
  t.is(new URL(answer.location, server.url).pathname, new URL(base).pathname, 'back to the password');
  t.is(await sessions(server), 0);
});

testEachBackend('each step done twice, and every step after the sign-in ended, gives nothing more', async (t, server) => {
  const { user, secret } = await userWithTotp(server);
  const client = await createTestClient(server, { firstParty: true });
  const flow = await SignIn.start(server.url, client.clientId);
  await flow.password(user.email);
  const base = flow.page.url.replace(/\/second-factor$/, '');
  const code = totpCode(secret);
  const first = await send(flow, 'POST', `${base}/second-factor/totp`, { code });
  t.is(first.status, 303);
  const again = await send(flow, 'POST', `${base}/second-factor/totp`, { code: totpCode(secret, Date.now() + 30_000) });
  t.true(again.status < 500);
  t.notRegex(again.location, /\/auth\//, 'the second time nothing is finished');
  await flow.go(new URL(first.location, server.url).toString());
  t.truthy(flow.page.code, 'the sign-in ended with its code');
  const before = await snapshot(server, user);
  const sessionsBefore = await sessions(server);
  for (const [method, path, fields] of [
    ['GET', ''] as const,
    ['POST', '/login', { email: user.email, password: PASSWORD }] as const,
    ...SIGN_IN_STEPS,
  ]) {
    const answer = await send(flow, method, `${base}${path}`, fields);
    t.true(answer.status >= 300 && answer.status < 500, `${method} ${path}: refused (${answer.status})`);
    t.notRegex(answer.location, /callback/, `${method} ${path}: no second code`);
  }
  t.deepEqual(await snapshot(server, user), before);
  t.is(await sessions(server), sessionsBefore);
});

/** Every change on the account page, and the steps of its re-authentication. */
const PAGE_CHANGES: [string, Record<string, string>][] = [
  [`${PAGE}/totp/remove`, {}],
  [`${PAGE}/passkeys/remove`, { id: 'x' }],
  [`${PAGE}/recovery-codes`, {}],
  [`${PAGE}/totp/add`, { code: '123456' }],
  [`${PAGE}/passkeys/add`, { credential: '{}', name: 'Mine' }],
];

testEachBackend(
  'account page: a second-factor step without the password, or a proof of the password alone once the account has a factor, changes nothing',
  async (t, server) => {
    const { user, secret } = await userWithTotp(server);
    const browser = new SignIn(server.url);
    await browser.go(`${server.url}${PAGE}`);
    for (const path of ['/totp', '/recovery', '/passkey']) {
      const answer = await send(browser, 'POST', `${server.url}${PAGE}${path}`, { code: totpCode(secret), credential: '{}' });
      t.is(answer.status, 303, `${path} before the password`);
      t.is(answer.location, PAGE);
    }
    t.regex((await send(browser, 'GET', `${server.url}${PAGE}`)).html, /confirm it is you/);

    // a user with no factor proves the password alone; then a factor appears (another tab, another person)
    const bare = await createUser(server.db);
    const early = new SignIn(server.url);
    await early.go(`${server.url}${PAGE}`);
    await early.submit(`${PAGE}/sign-in`, { email: bare.email, password: PASSWORD });
    await insertCredential(server.db, {
      id: randomBytes(16).toString('base64url'),
      accountId: bare.id,
      name: 'Owner key',
      publicKey: randomBytes(77).toString('base64url'),
      signCount: 0,
      transports: ['usb'],
      deviceType: 'singleDevice',
      backedUp: false,
    });
    const before = await snapshot(server, bare);
    const shown = await send(early, 'GET', `${server.url}${PAGE}/totp/add`);
    t.is(shown.status, 303, 'no authenticator key for a session that proved no factor of the account');
    for (const [path, fields] of PAGE_CHANGES) {
      const answer = await send(early, 'POST', `${server.url}${path}`, fields);
      t.is(answer.status, 303, path);
      t.is(answer.location, `${PAGE}?notice=confirm`, `${path}: sends to the re-authentication`);
    }
    t.deepEqual(await snapshot(server, bare), before);
    t.is((await snapshot(server, user)).factors.totp, true);
  },
);
