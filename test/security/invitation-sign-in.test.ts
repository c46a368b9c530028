// Attacks on the invitation's first sign-in (src/registration/invitation-sign-in.ts): the browser
// that accepted an invitation for a client signs in to that client without typing the new password
// again, for 10 minutes. Not to another client, not after a reset of the account, not once expired,
// not for a sign-in that asks for a fresh login or hints at another address, not with a forged cookie.
import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { createTestClient } from '../helpers/fixtures.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { lastLinkToken, postPage, SIGN_UP_PASSWORD } from '../helpers/registration.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { authorize, UserAgent } from '../helpers/user-agent.ts';

/** One test per deployment, on a server whose clock the test moves. */
function invitationTest(title: string, body: (t: ExecutionContext, server: TestServer, advance: (ms: number) => void) => Promise<void>) {
  for (const backend of BACKENDS) {
    test.serial(`[${backend.name}] ${title}`, async (t) => {
      let offsetMs = 0;
      const server = await startTestServer(backend, { env: { REGISTRATION: 'invite' }, now: () => new Date(Date.now() + offsetMs) });
      t.teardown(() => server.close());
      await body(t, server, (ms) => void (offsetMs += ms));
    });
  }
}

/** An invitation for `clientId` accepted in `agent`; returns the address. */
async function acceptInvitation(server: TestServer, agent: UserAgent, clientId: string): Promise<string> {
  const email = `landing-${randomBytes(4).toString('hex')}@example.com`;
  await runAsOperator(server, 'users.invite', { email, clientId });
  const token = await lastLinkToken(server, email, 'invite');
  const accepted = await postPage(server, agent, '/account/invitation', {
    token,
    password: SIGN_UP_PASSWORD,
    confirmation: SIGN_UP_PASSWORD,
  });
  if (accepted.status !== 303) throw new Error(`invitation not accepted: ${accepted.status}`);
  return email;
}

/** Whether `agent` opening the client's sign-in is shown the password form (rather than signed in). */
async function asksForThePassword(
  server: TestServer,
  agent: UserAgent,
  clientId: string,
  email: string,
  extra: Record<string, string> = {},
) {
  const flow = await authorize({ issuer: server.url, clientId, email, password: 'not the password, never typed', agent, extra });
  return flow.code === undefined && flow.pages.some((html) => html.includes('/login"'));
}

invitationTest('the proof does not sign in to another client', async (t, server) => {
  const invitedFor = await createTestClient(server);
  const other = await createTestClient(server);
  const agent = new UserAgent();
  const email = await acceptInvitation(server, agent, invitedFor.clientId);
  t.true(await asksForThePassword(server, agent, other.clientId, email));
});

invitationTest('the proof is void after a reset of the account (an administrator set a new password)', async (t, server) => {
  const client = await createTestClient(server);
  const agent = new UserAgent();
  const email = await acceptInvitation(server, agent, client.clientId);
  await runAsOperator(server, 'users.set-password', { user: email, password: 'a brand new administrator passphrase' });
  t.true(await asksForThePassword(server, agent, client.clientId, email));
});

invitationTest('the proof expires after 10 minutes (the server clock moved)', async (t, server, advance) => {
  const client = await createTestClient(server);
  const agent = new UserAgent();
  const email = await acceptInvitation(server, agent, client.clientId);
  advance(10 * 60_000 + 1000);
  t.true(await asksForThePassword(server, agent, client.clientId, email));
});

invitationTest('a sign-in that asks for a fresh login, or hints at another address, asks for the password', async (t, server) => {
  const client = await createTestClient(server);
  const first = new UserAgent();
  const email = await acceptInvitation(server, first, client.clientId);
  t.true(await asksForThePassword(server, first, client.clientId, email, { prompt: 'login consent' }));
  const second = new UserAgent();
  const another = await acceptInvitation(server, second, client.clientId);
  t.true(await asksForThePassword(server, second, client.clientId, another, { login_hint: 'someone-else@example.com' }));
});

invitationTest('a forged cookie or another browser carries no proof; the browser that accepted is signed in', async (t, server) => {
  const client = await createTestClient(server);
  const agent = new UserAgent();
  const email = await acceptInvitation(server, agent, client.clientId);
  // another browser with a made-up cookie of that name
  const forger = new UserAgent();
  forger.setCookie(
    'portcullis-invitation',
    `v1.${randomBytes(12).toString('base64url')}.${randomBytes(80).toString('base64url')}.${randomBytes(16).toString('base64url')}`,
  );
  t.true(await asksForThePassword(server, forger, client.clientId, email));
  t.true(await asksForThePassword(server, new UserAgent(), client.clientId, email));
  // the browser that accepted: signed in once
  const landed = await authorize({ issuer: server.url, clientId: client.clientId, email, password: 'never typed', agent });
  t.truthy(landed.code);
});
