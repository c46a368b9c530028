// Attacks through invitations: taking over an account that has a password with an invitation (an
// address already in use, an invitation whose account got a password meanwhile), replaying the
// link, using another purpose's link, a cross-site acceptance.
import { randomBytes } from 'node:crypto';
import { issueLink } from '../../src/accounts/account-links.ts';
import { findAccountByEmail } from '../../src/storage/accounts.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, PASSWORD } from '../helpers/fixtures.ts';
import { openLoginForm } from '../helpers/login-form.ts';
import { emailsTo } from '../helpers/outbox.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { lastLinkToken, postPage, SIGN_UP_PASSWORD } from '../helpers/registration.ts';
import { UserAgent } from '../helpers/user-agent.ts';

const INVITE = { env: { REGISTRATION: 'invite' } };
const ATTACKER_PASSWORD = 'attacker chooses this long phrase';
const newEmail = () => `target-${randomBytes(4).toString('hex')}@example.com`;

const accept = (
  server: Parameters<typeof postPage>[0],
  token: string,
  password = ATTACKER_PASSWORD,
  headers: Record<string, string> = {},
) => postPage(server, new UserAgent(), '/account/invitation', { token, password, confirmation: password }, headers);

const signsInWith = async (server: Parameters<typeof postPage>[0], email: string, password: string) => {
  const client = await createTestClient(server);
  return (await (await openLoginForm(server, client.clientId)).submit(email, password)).status === 303;
};

testEachBackend(
  'inviting the address of an account in use is refused, and sends nothing',
  async (t, server) => {
    const user = await createUser(server.db);
    const error = await t.throwsAsync(runAsOperator(server, 'users.invite', { email: user.email.toUpperCase() }));
    t.regex(error.message, /already exists/);
    t.deepEqual(await emailsTo(server, user.email), []);
    t.true(await signsInWith(server, user.email, PASSWORD));
  },
  INVITE,
);

testEachBackend(
  'an invitation link made for an account that has a password sets nothing',
  async (t, server) => {
    // a link of purpose invite forged for an account in use (as a bug elsewhere might issue one)
    const user = await createUser(server.db);
    const account = (await findAccountByEmail(server.db, user.email))!;
    const token = await server.db.transaction((tx) => issueLink(tx, account, 'invite', { now: new Date(), detail: { email: user.email } }));
    t.is((await accept(server, token)).status, 400);
    t.true(await signsInWith(server, user.email, PASSWORD));
    t.false(await signsInWith(server, user.email, ATTACKER_PASSWORD));
  },
  INVITE,
);

testEachBackend(
  'an invitation whose account got a password meanwhile (an administrator set one) no longer works',
  async (t, server) => {
    const email = newEmail();
    await runAsOperator(server, 'users.invite', { email });
    const token = await lastLinkToken(server, email, 'invite');
    await runAsOperator(server, 'users.set-password', { user: email, password: SIGN_UP_PASSWORD });
    t.is((await accept(server, token)).status, 400);
    t.true(await signsInWith(server, email, SIGN_UP_PASSWORD));
    // and the address cannot be invited again over it
    await t.throwsAsync(runAsOperator(server, 'users.invite', { email }), { message: /already exists/ });
  },
  INVITE,
);

testEachBackend(
  'an invitation link replayed after acceptance, or a reset link used as one, changes nothing',
  async (t, server) => {
    const email = newEmail();
    await runAsOperator(server, 'users.invite', { email });
    const token = await lastLinkToken(server, email, 'invite');
    t.is((await accept(server, token, SIGN_UP_PASSWORD)).status, 200);
    t.is((await accept(server, token)).status, 400, 'the link is used up');
    t.true(await signsInWith(server, email, SIGN_UP_PASSWORD));
    t.false(await signsInWith(server, email, ATTACKER_PASSWORD));

    const pending = newEmail();
    await runAsOperator(server, 'users.invite', { email: pending });
    const account = (await findAccountByEmail(server.db, pending))!;
    const resetToken = await server.db.transaction((tx) => issueLink(tx, account, 'reset_password', { now: new Date() }));
    t.is((await accept(server, resetToken)).status, 400);
    t.false(await signsInWith(server, pending, ATTACKER_PASSWORD));
  },
  INVITE,
);

testEachBackend(
  'a cross-site acceptance of an invitation is refused and leaves the link usable',
  async (t, server) => {
    const email = newEmail();
    await runAsOperator(server, 'users.invite', { email });
    const token = await lastLinkToken(server, email, 'invite');
    const crossSite = await accept(server, token, ATTACKER_PASSWORD, { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    t.is(crossSite.status, 403);
    t.false(await signsInWith(server, email, ATTACKER_PASSWORD));
    t.is((await accept(server, token, SIGN_UP_PASSWORD)).status, 200);
  },
  INVITE,
);
