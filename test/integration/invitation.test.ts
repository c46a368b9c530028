// Invitations (REGISTRATION=invite): `users invite` (CLI and admin API, one operation) creates the
// account without a password and emails a link; the person chooses a password there (the policy
// applies), the address counts as verified, and with a client they are sent to it, which starts its
// sign-in with the address filled in. `users verify-email` lets a self-registered account sign in.
import { randomBytes } from 'node:crypto';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient } from '../helpers/fixtures.ts';
import { lastEmailTo } from '../helpers/outbox.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { getPage, hiddenField, lastLinkToken, postPage, SIGN_UP_PASSWORD, signUp } from '../helpers/registration.ts';
import { authorize, UserAgent } from '../helpers/user-agent.ts';
import { auditEvents } from '../helpers/admin-harness.ts';
import { findAccountByEmail } from '../../src/storage/accounts.ts';

const newEmail = () => `invited-${randomBytes(4).toString('hex')}@example.com`;

testEachBackend(
  'an invitation for a client: choose a password, land at the client, signed in there in this browser',
  async (t, server) => {
    const client = await createTestClient(server);
    const email = newEmail();
    const invited = (await runAsOperator(server, 'users.invite', { email, name: 'Bea Invited', clientId: client.clientId })) as {
      id: string;
      reinvited: boolean;
    };
    t.false(invited.reinvited);
    const mail = await lastEmailTo(server, email, 'invite');
    t.is(mail.data.name, 'Bea Invited');
    t.is(mail.data.inviter, 'Portcullis', 'the CLI is no person: the product invites');
    t.is(mail.data.expiresInDays, '7');
    t.true(mail.data.link!.startsWith(`${server.url}/account/invitation?token=`));

    // no password yet: nothing signs in
    t.is((await authorize({ issuer: server.url, clientId: client.clientId, email, password: '' })).code, undefined);

    const agent = new UserAgent();
    const form = await getPage(agent, mail.data.link!);
    t.is(form.status, 200);
    t.true(form.body.includes(email));
    // the form's redirect to the client is allowed by its CSP
    t.regex(form.headers.get('content-security-policy') ?? '', /form-action 'self' http:\/\/127\.0\.0\.1:8080/);
    const token = hiddenField(form.body, 'token')!;

    const weak = await postPage(server, agent, '/account/invitation', { token, password: 'short', confirmation: 'short' });
    t.is(weak.status, 400);
    t.regex(weak.body, /at least 15 characters/);

    const accepted = await postPage(server, agent, '/account/invitation', {
      token,
      password: SIGN_UP_PASSWORD,
      confirmation: SIGN_UP_PASSWORD,
    });
    t.is(accepted.status, 303);
    t.is(accepted.location, 'http://127.0.0.1:8080/', "the client's home: it starts the sign-in");
    const account = await findAccountByEmail(server.db, email);
    t.true(account?.emailVerified);

    // the client starts its sign-in in this browser: the password just chosen counts, no form is shown
    const landed = await authorize({ issuer: server.url, clientId: client.clientId, email, password: 'never typed', agent });
    t.truthy(landed.code, 'signed in to the client without typing the password again');
    t.false(
      landed.pages.some((html) => html.includes('/login"')),
      'no sign-in form on the way',
    );
    // elsewhere (another browser), the password as usual
    const signedIn = await authorize({ issuer: server.url, clientId: client.clientId, email, password: SIGN_UP_PASSWORD });
    t.truthy(signedIn.code);
    // the link is used up
    t.is((await getPage(agent, mail.data.link!)).status, 400);
    const events = await auditEvents(server);
    t.true(events.some((event) => event.type === 'user.invited' && event.actor_id === 'cli:operator' && event.target_id === invited.id));
    t.true(events.some((event) => event.type === 'user.invitation_accepted' && event.actor_id === invited.id));
  },
  { env: { REGISTRATION: 'invite' } },
);

testEachBackend(
  'inviting again reuses the pending account and voids the first link; an address in use is refused',
  async (t, server) => {
    const email = newEmail();
    await runAsOperator(server, 'users.invite', { email });
    const first = await lastLinkToken(server, email, 'invite');
    const again = (await runAsOperator(server, 'users.invite', { email })) as { reinvited: boolean };
    t.true(again.reinvited);
    const agent = new UserAgent();
    t.is((await getPage(agent, `${server.url}/account/invitation?token=${first}`)).status, 400);
    const second = await lastLinkToken(server, email, 'invite');
    const accepted = await postPage(server, agent, '/account/invitation', {
      token: second,
      password: SIGN_UP_PASSWORD,
      confirmation: SIGN_UP_PASSWORD,
    });
    t.is(accepted.status, 200, 'no client: a page saying the account is ready');
    t.regex(accepted.body, /Your account is ready/);
    const error = await t.throwsAsync(runAsOperator(server, 'users.invite', { email }));
    t.regex(error.message, /already exists/);
  },
  { env: { REGISTRATION: 'invite' } },
);

testEachBackend('users invite is refused while REGISTRATION=off', async (t, server) => {
  const error = await t.throwsAsync(runAsOperator(server, 'users.invite', { email: newEmail() }));
  t.regex(error.message, /REGISTRATION=off/);
});

testEachBackend(
  'users verify-email lets a self-registered account sign in, audited with the administrator as actor',
  async (t, server) => {
    const email = newEmail();
    await signUp(server, { email });
    const client = await createTestClient(server);
    t.is((await authorize({ issuer: server.url, clientId: client.clientId, email, password: SIGN_UP_PASSWORD })).code, undefined);
    const verified = (await runAsOperator(server, 'users.verify-email', { user: email })) as { emailVerified: boolean; id: string };
    t.true(verified.emailVerified);
    t.truthy((await authorize({ issuer: server.url, clientId: client.clientId, email, password: SIGN_UP_PASSWORD })).code);
    const events = await auditEvents(server);
    t.true(
      events.some((event) => event.type === 'user.email_verified' && event.actor_id === 'cli:operator' && event.target_id === verified.id),
    );
  },
  { env: { REGISTRATION: 'open' } },
);
