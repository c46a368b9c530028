// Attacks on the sign-up and verification pages: a verification link used twice, after it expired,
// for another purpose, for another account; a forged resend ticket; a cross-site sign-up; hostile
// input; mass sign-up from one address; REGISTRATION=off or invite bypassed by posting directly.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { issueLink } from '../../src/accounts/account-links.ts';
import { findAccountByEmail } from '../../src/storage/accounts.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient } from '../helpers/fixtures.ts';
import { emailsTo } from '../helpers/outbox.ts';
import { openLoginForm } from '../helpers/login-form.ts';
import { lastLinkToken, postPage, SIGN_UP_PASSWORD, signUp, verifyEmail } from '../helpers/registration.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';
import { UserAgent } from '../helpers/user-agent.ts';

const OPEN = { env: { REGISTRATION: 'open' } };
const newEmail = () => `abuse-${randomBytes(4).toString('hex')}@example.com`;

const canSignIn = async (server: Parameters<typeof signUp>[0], email: string) => {
  const client = await createTestClient(server);
  return (await (await openLoginForm(server, client.clientId)).submit(email, SIGN_UP_PASSWORD)).status === 303;
};

testEachBackend(
  'a verification link replayed, or of another purpose, verifies nothing',
  async (t, server) => {
    const email = newEmail();
    await signUp(server, { email });
    const token = await lastLinkToken(server, email, 'verify-email');
    t.is((await verifyEmail(server, token)).status, 200);
    const replay = await verifyEmail(server, token);
    t.is(replay.status, 400);
    t.regex(replay.body, /This link does not work/);

    // a reset-password link of an unverified account is no verification link
    const other = newEmail();
    await signUp(server, { email: other });
    const account = (await findAccountByEmail(server.db, other))!;
    const resetToken = await server.db.transaction((tx) => issueLink(tx, account, 'reset_password', { now: new Date() }));
    t.is((await verifyEmail(server, resetToken)).status, 400);
    t.false(await canSignIn(server, other));
    // nor is a made-up token, a short one, or none
    for (const forged of ['A'.repeat(43), 'x', '']) t.is((await verifyEmail(server, forged)).status, 400);
    t.false(await canSignIn(server, other));
  },
  OPEN,
);

testEachBackend(
  "a verification link verifies its own account only, never another's",
  async (t, server) => {
    const mine = newEmail();
    const theirs = newEmail();
    await signUp(server, { email: mine });
    await signUp(server, { email: theirs });
    t.is((await verifyEmail(server, await lastLinkToken(server, mine, 'verify-email'))).status, 200);
    t.true(await canSignIn(server, mine));
    t.false(await canSignIn(server, theirs));
  },
  OPEN,
);

for (const backend of BACKENDS) {
  test.serial(`[${backend.name}] an expired verification link (the server's clock moved 24 h on) verifies nothing`, async (t) => {
    let offsetMs = 0;
    const server = await startTestServer(backend, { env: OPEN.env, now: () => new Date(Date.now() + offsetMs) });
    t.teardown(() => server.close());
    const email = newEmail();
    await signUp(server, { email });
    const token = await lastLinkToken(server, email, 'verify-email');
    offsetMs = 24 * 3600_000 + 1000;
    t.is((await verifyEmail(server, token)).status, 400);
    offsetMs = 0;
    t.false(await canSignIn(server, email));
  });
}

testEachBackend(
  'a forged or tampered resend ticket sends nothing',
  async (t, server) => {
    const email = newEmail();
    await signUp(server, { email });
    const agent = new UserAgent();
    const client = await createTestClient(server);
    const refused = await (await openLoginForm(server, client.clientId, { agent })).submit(email, SIGN_UP_PASSWORD);
    const ticket = /name="ticket" value="([^"]+)"/.exec(refused.body)![1]!;
    const tampered = ticket.slice(0, -3) + (ticket.endsWith('AAA') ? 'BBB' : 'AAA');
    for (const forged of [tampered, 'v1.a.b.c', '']) {
      t.is((await postPage(server, agent, '/account/verify-email/resend', { ticket: forged })).status, 400);
    }
    t.is((await emailsTo(server, email)).length, 1, 'only the first link was ever sent');
  },
  OPEN,
);

testEachBackend(
  'a cross-site sign-up, verification or invitation post is refused',
  async (t, server) => {
    const email = newEmail();
    const crossSite = await signUp(server, { email }, new UserAgent(), { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' });
    t.is(crossSite.status, 403);
    t.is(await findAccountByEmail(server.db, email), undefined);
    t.deepEqual(await emailsTo(server, email), []);

    await signUp(server, { email });
    const token = await lastLinkToken(server, email, 'verify-email');
    const forgedVerify = await postPage(server, new UserAgent(), '/account/verify-email', { token }, { origin: 'https://evil.example' });
    t.is(forgedVerify.status, 403);
    t.is((await verifyEmail(server, token)).status, 200, 'the refused post did not use the link up');
  },
  OPEN,
);

testEachBackend(
  'hostile input: CR/LF, NUL, control characters, huge fields and non-UTF-8 are refused, nothing written',
  async (t, server) => {
    const agent = new UserAgent();
    const attempts: [string, Record<string, string> | string][] = [
      [
        'CRLF in the name',
        { email: newEmail(), name: 'Eve\r\nBcc: victim@example.com', password: SIGN_UP_PASSWORD, confirmation: SIGN_UP_PASSWORD },
      ],
      [
        'CRLF in the email',
        {
          email: `a${randomBytes(2).toString('hex')}@example.com\r\nBcc: x@example.com`,
          name: 'Eve',
          password: SIGN_UP_PASSWORD,
          confirmation: SIGN_UP_PASSWORD,
        },
      ],
      [
        'a control character in the name',
        { email: newEmail(), name: 'Eve\u0007', password: SIGN_UP_PASSWORD, confirmation: SIGN_UP_PASSWORD },
      ],
      ['a huge name', { email: newEmail(), name: 'E'.repeat(5000), password: SIGN_UP_PASSWORD, confirmation: SIGN_UP_PASSWORD }],
      [
        'a huge email',
        { email: `${'e'.repeat(3000)}@example.com`, name: 'Eve', password: SIGN_UP_PASSWORD, confirmation: SIGN_UP_PASSWORD },
      ],
    ];
    for (const [what, form] of attempts) {
      const answer = await postPage(server, agent, '/account/sign-up', form);
      t.is(answer.status, 400, what);
      t.regex(answer.body, /There is a problem/, what);
    }
    // what the form echoes back is escaped: markup in a refused form never becomes markup on the page
    const markup = await postPage(server, agent, '/account/sign-up', {
      email: newEmail(),
      name: '"><script>alert(1)</script>',
      password: SIGN_UP_PASSWORD,
      confirmation: 'something else',
    });
    t.is(markup.status, 400);
    t.false(markup.body.includes('<script>alert(1)</script>'));
    // a NUL byte, a body past the form limit, bytes that are not UTF-8: refused at the edge
    const nul = await postPage(server, agent, '/account/sign-up', `email=${newEmail()}&name=Eve%00&password=x&confirmation=x`);
    t.is(nul.status, 400);
    const huge = await postPage(server, agent, '/account/sign-up', `email=a@example.com&name=${'x'.repeat(200_000)}`);
    t.true(huge.status === 413 || huge.status === 400, `huge body: ${huge.status}`);
    const latin1 = await postPage(server, agent, '/account/sign-up', `email=a@example.com&name=Z%E9%FF&password=x&confirmation=x`);
    t.is(latin1.status, 400);
    const { rows } = await server.db.query<{ count: string | number }>('SELECT count(*) AS count FROM accounts');
    t.is(Number(rows[0]!.count), 0, 'no account was created');
    const { rows: queued } = await server.db.query<{ count: string | number }>('SELECT count(*) AS count FROM email_outbox');
    t.is(Number(queued[0]!.count), 0, 'no email was queued');
  },
  OPEN,
);

testEachBackend(
  'mass sign-up from one address stops at RATE_LIMIT_SIGNUP_PER_HOUR',
  async (t, server) => {
    for (let index = 0; index < 3; index++) t.is((await signUp(server, { email: newEmail() })).status, 200);
    const email = newEmail();
    const refused = await signUp(server, { email });
    t.is(refused.status, 429);
    t.truthy(refused.headers.get('retry-after'));
    t.regex(refused.body, /Too many accounts/);
    t.is(await findAccountByEmail(server.db, email), undefined);
    t.deepEqual(await emailsTo(server, email), []);
  },
  { env: { REGISTRATION: 'open', RATE_LIMIT_SIGNUP_PER_HOUR: '3' } },
);

for (const mode of ['off', 'invite']) {
  testEachBackend(
    `REGISTRATION=${mode}: a sign-up posted directly creates nothing`,
    async (t, server) => {
      const email = newEmail();
      const answer = await signUp(server, { email });
      t.is(answer.status, 404);
      t.is(await findAccountByEmail(server.db, email), undefined);
      t.deepEqual(await emailsTo(server, email), []);
      // nor any other spelling of the path the router might answer
      for (const path of ['/account/sign-up/', '/account/SIGN-UP', '/account//sign-up', '/account/sign-up;x']) {
        const other = await postPage(server, new UserAgent(), path, {
          email,
          name: 'Eve',
          password: SIGN_UP_PASSWORD,
          confirmation: SIGN_UP_PASSWORD,
        });
        t.not(other.status, 200, path);
      }
      t.is(await findAccountByEmail(server.db, email), undefined);
    },
    { env: { REGISTRATION: mode } },
  );
}

testEachBackend(
  'flooding someone\'s inbox through "Send me a new link" stops after a few links an hour',
  async (t, server) => {
    const email = newEmail();
    await signUp(server, { email });
    const agent = new UserAgent();
    const client = await createTestClient(server);
    const refused = await (await openLoginForm(server, client.clientId, { agent })).submit(email, SIGN_UP_PASSWORD);
    const ticket = /name="ticket" value="([^"]+)"/.exec(refused.body)![1]!;
    const statuses: number[] = [];
    for (let index = 0; index < 5; index++) {
      statuses.push((await postPage(server, agent, '/account/verify-email/resend', { ticket })).status);
    }
    t.deepEqual(statuses, [200, 200, 200, 429, 429]);
    t.is((await emailsTo(server, email)).length, 4, 'the sign-up link and three new ones');
  },
  OPEN,
);
