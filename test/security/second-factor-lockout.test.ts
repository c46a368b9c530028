// Attack: locking someone else's second factor by its account id. The failure counters of login
// identifiers, device cookies and second factors live in one table; a login identifier chosen to
// read like another kind of key ("second-factor:<sub>") must count on its own key, never on the
// victim's second-factor counter. And the operator's ways back (`users unlock`, `users
// set-password`) clear a second-factor lock as well as the email's.
import { runAsOperator } from '../helpers/operator.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, giveAuthenticatorApp, PASSWORD } from '../helpers/fixtures.ts';
import { openLoginForm } from '../helpers/login-form.ts';
import type { TestServer } from '../helpers/server.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';
import { UserAgent } from '../helpers/user-agent.ts';

const env = { TRUST_PROXY: 'true' };
const NEW_PASSWORD = 'velvet thunder mosaic lantern';

/** The owner signs in with the password and their authenticator app: whether a code came back. */
async function ownerSignsIn(server: TestServer, clientId: string, email: string, secret: string, password = PASSWORD) {
  const flow = await SignIn.start(server.url, clientId, {}, new UserAgent());
  await flow.password(email, password);
  await flow.submit('/second-factor/totp', { code: totpCode(secret) });
  return flow.page;
}

/** Wrong authenticator codes until the second factor locks (the threshold is 5). */
async function lockSecondFactor(server: TestServer, clientId: string, email: string) {
  const flow = await SignIn.start(server.url, clientId, {}, new UserAgent());
  await flow.password(email);
  for (let i = 0; i < 6; i++) await flow.submit('/second-factor/totp', { code: '000000' });
  return flow.page;
}

testEachBackend(
  'signing in as "second-factor:<sub>" does not lock that user\u2019s second factor',
  async (t, server) => {
    const user = await createUser(server.db);
    const secret = await giveAuthenticatorApp(server, user.id);
    const { clientId } = await createTestClient(server, { firstParty: true });
    // the attacker knows only the victim's sub: no cookies, a new address each time
    const wrongPassword = await (
      await openLoginForm(server, clientId)
    ).submit('nobody@example.com', 'x', { 'x-forwarded-for': '198.51.100.9' });
    for (let i = 0; i < 7; i++) {
      const answer = await (
        await openLoginForm(server, clientId)
      ).submit(`second-factor:${user.id}`, 'x', { 'x-forwarded-for': `203.0.113.${i + 1}` });
      t.is(answer.status, 401, 'an ordinary failed sign-in');
      t.is(answer.message, wrongPassword.message, 'with the answer of a wrong password');
    }
    // and through the account security page's sign-in form
    for (let i = 0; i < 3; i++) {
      const page = new SignIn(server.url, new UserAgent());
      await page.go(`${server.url}/account/security`);
      await page.submit(
        '/account/security/sign-in',
        { email: `second-factor:${user.id}`, password: 'x' },
        { 'x-forwarded-for': `203.0.113.${i + 50}` },
      );
      t.is(page.page.status, 401);
    }
    const page = await ownerSignsIn(server, clientId, user.email, secret);
    t.truthy(page.code, `the owner signs in with their authenticator app (got ${page.status} ${page.url})`);
  },
  { env },
);

for (const [way, run] of [
  ['users unlock', (server: TestServer, id: string) => runAsOperator(server, 'users.unlock', { user: id })],
  [
    'users set-password',
    (server: TestServer, id: string) => runAsOperator(server, 'users.set-password', { user: id, password: NEW_PASSWORD }),
  ],
] as const) {
  testEachBackend(
    `${way} clears a second-factor lock`,
    async (t, server) => {
      const user = await createUser(server.db);
      const secret = await giveAuthenticatorApp(server, user.id);
      const { clientId } = await createTestClient(server, { firstParty: true });
      await lockSecondFactor(server, clientId, user.email);
      t.falsy(
        (await ownerSignsIn(server, clientId, user.email, secret)).code,
        'the second factor is locked: even the right code is refused',
      );
      await run(server, user.id);
      const page = await ownerSignsIn(server, clientId, user.email, secret, way === 'users set-password' ? NEW_PASSWORD : PASSWORD);
      t.truthy(page.code, `after ${way} the owner signs in (got ${page.status} ${page.url})`);
    },
    { env },
  );
}
