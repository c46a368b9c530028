// Sign-up (REGISTRATION=open): the sign-in page links to it, the new account cannot sign in until the
// link sent to its address is used, then it can; the sign-in of an unverified account with the right
// password says so and sends a new link on request. With REGISTRATION=off the pages are not there.
import { randomBytes } from 'node:crypto';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient } from '../helpers/fixtures.ts';
import { emailsTo, lastEmailTo } from '../helpers/outbox.ts';
import { getPage, hiddenField, lastLinkToken, postPage, SIGN_UP_PASSWORD, signUp, verifyEmail } from '../helpers/registration.ts';
import { authorize, pkcePair, UserAgent } from '../helpers/user-agent.ts';
import { openLoginForm } from '../helpers/login-form.ts';
import { REDIRECT_URI } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';

const OPEN = { env: { REGISTRATION: 'open' } };
const newEmail = () => `new-${randomBytes(4).toString('hex')}@example.com`;

/** The sign-in page of a fresh authorization request, and its interaction uid. */
async function signInPage(server: TestServer, clientId: string, agent: UserAgent) {
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  });
  const { response, url } = await agent.follow(`${server.url}/auth?${query}`);
  return { html: await response.text(), uid: /\/interaction\/([^/?#]+)/.exec(url)?.[1] };
}

testEachBackend(
  'sign up from the sign-in page, verify the address by its link, then sign in',
  async (t, server) => {
    const client = await createTestClient(server);
    const agent = new UserAgent();
    const { html, uid } = await signInPage(server, client.clientId, agent);
    t.truthy(uid);
    t.true(html.includes(`href="/account/sign-up?uid=${uid}"`), 'the sign-in page links to the sign-up page, with the way back');

    const form = await getPage(agent, `${server.url}/account/sign-up?uid=${uid}`);
    t.is(form.status, 200);
    t.is(hiddenField(form.body, 'uid'), uid);

    const email = newEmail();
    const sent = await signUp(server, { email, name: 'Ada Example', uid: uid! }, agent);
    t.is(sent.status, 200);
    t.regex(sent.body, /Check your email/);

    // not before the address is verified
    const early = await authorize({ issuer: server.url, clientId: client.clientId, email, password: SIGN_UP_PASSWORD });
    t.is(early.code, undefined);
    t.regex(early.pages.at(-1) ?? (await early.response.text()), /Verify your email first/);

    const verification = await lastEmailTo(server, email, 'verify-email');
    t.is(verification.data.name, 'Ada Example');
    t.true(verification.data.link!.startsWith(`${server.url}/account/verify-email?token=`));
    const token = new URL(verification.data.link!).searchParams.get('token')!;
    // the link's GET only shows a button (a mail scanner's fetch uses nothing up)
    const shown = await getPage(agent, verification.data.link!);
    t.is(shown.status, 200);
    t.regex(shown.body, /Verify my email/);
    t.is((await getPage(agent, verification.data.link!)).status, 200);
    const done = await verifyEmail(server, token, agent);
    t.is(done.status, 200);
    t.regex(done.body, /is verified/);
    t.true(done.body.includes(`href="/interaction/${uid}"`), 'the way back to the sign-in the person came from');

    const signedIn = await authorize({ issuer: server.url, clientId: client.clientId, email, password: SIGN_UP_PASSWORD });
    t.truthy(signedIn.code, 'the verified account signs in');
  },
  OPEN,
);

testEachBackend(
  'an unverified account: a wrong password gets the usual refusal; the right one says to verify and sends a new link on request',
  async (t, server) => {
    const email = newEmail();
    t.is((await signUp(server, { email })).status, 200);
    const firstToken = await lastLinkToken(server, email, 'verify-email');

    const client = await createTestClient(server);
    const wrong = await (await openLoginForm(server, client.clientId)).submit(email, 'not the password at all, no');
    const unknown = await (await openLoginForm(server, client.clientId)).submit(newEmail(), 'not the password at all, no');
    t.is(wrong.status, 401);
    t.is(wrong.message, unknown.message);

    const agent = new UserAgent();
    const right = await (await openLoginForm(server, client.clientId, { agent })).submit(email, SIGN_UP_PASSWORD);
    t.is(right.status, 403);
    t.regex(right.body, /Verify your email first/);
    t.is(right.location, null, 'no session, no redirect');
    const ticket = hiddenField(right.body, 'ticket');
    t.truthy(ticket);

    const resent = await postPage(server, agent, '/account/verify-email/resend', { ticket: ticket! });
    t.is(resent.status, 200);
    t.regex(resent.body, /We sent a new link/);
    t.is((await emailsTo(server, email)).filter((mail) => mail.template === 'verify-email').length, 2);
    // the newer link voids the older one
    t.is((await verifyEmail(server, firstToken)).status, 400);
    t.is((await verifyEmail(server, await lastLinkToken(server, email, 'verify-email'))).status, 200);
    const after = await (await openLoginForm(server, client.clientId)).submit(email, SIGN_UP_PASSWORD);
    t.is(after.status, 303, 'verified: the sign-in goes on');
  },
  OPEN,
);

testEachBackend('REGISTRATION=off (the default): no sign-up page, no link to it, no invitation page', async (t, server) => {
  t.is(server.config.registration, 'off');
  const client = await createTestClient(server);
  const agent = new UserAgent();
  const { html } = await signInPage(server, client.clientId, agent);
  t.false(html.includes('/account/sign-up'));
  t.false(html.includes('Create an account'));
  t.is((await getPage(agent, `${server.url}/account/sign-up`)).status, 404);
  t.is((await getPage(agent, `${server.url}/account/invitation?token=x`)).status, 404);
});

testEachBackend(
  'REGISTRATION=invite: the sign-up page is closed, invitations work',
  async (t, server) => {
    const agent = new UserAgent();
    t.is((await getPage(agent, `${server.url}/account/sign-up`)).status, 404);
    const client = await createTestClient(server);
    const { html } = await signInPage(server, client.clientId, agent);
    t.false(html.includes('Create an account'));
    // the invitation page exists (an unknown token: the page saying the link does not work)
    t.is((await getPage(agent, `${server.url}/account/invitation?token=${'A'.repeat(43)}`)).status, 400);
  },
  { env: { REGISTRATION: 'invite' } },
);

testEachBackend(
  'an account created by an administrator signs in whatever email_verified says',
  async (t, server) => {
    const { createUser } = await import('../helpers/fixtures.ts');
    const user = await createUser(server.db);
    await server.db.query('UPDATE accounts SET email_verified = false WHERE id = $1', [user.id]);
    const client = await createTestClient(server);
    const signedIn = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email });
    t.truthy(signedIn.code);
  },
  OPEN,
);
