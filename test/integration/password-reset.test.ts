// Forgotten password, end to end over HTTP: from the sign-in page's link to a new password, and what
// the reset ends (sessions, refresh tokens, the old password, the lock) and sends (the notice).
import test from 'ava';
import { PasswordReset, NEW_PASSWORD } from '../helpers/password-reset.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, giveAuthenticatorApp, postForm } from '../helpers/fixtures.ts';
import { emailsTo, lastEmailTo } from '../helpers/outbox.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';
import { signInForTokens } from '../helpers/user-tokens.ts';
import { authorize } from '../helpers/user-agent.ts';

testEachBackend(
  'a forgotten password: the link from the sign-in page, a new password; old sessions, refresh tokens, password and lock end; the notice is queued',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server);
    // the user is signed in somewhere, with a refresh token
    const before = await signInForTokens(server, client, user.email);
    t.truthy(before?.refreshToken);
    // and someone locked the account by guessing (threshold 3; the walk resubmits a refused password)
    await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, password: 'a wrong guess' });
    t.is(await signInForTokens(server, client, user.email), undefined, 'locked: even the right password is refused');

    // the sign-in page offers the way out, carrying the sign-in
    const signIn = await SignIn.start(server.url, client.clientId);
    const href = /<a href="(\/account\/forgot-password\?interaction=[^"]+)">Forgot your password\?<\/a>/.exec(signIn.page.html)?.[1];
    if (!href) return t.fail('no "Forgot your password?" link on the sign-in page');
    const uid = new URL(href, server.url).searchParams.get('interaction')!;
    const reset = new PasswordReset(server, signIn.agent);
    const form = await reset.get(href);
    t.is(form.status, 200);
    t.regex(form.html, new RegExp(`name="interaction" value="${uid}"`));

    const sent = await reset.request(user.email, uid);
    t.is(sent.status, 200);
    t.regex(sent.html, /If an account exists for that address, we sent it a link/);
    const email = await lastEmailTo(server, user.email, 'password-reset');
    t.deepEqual(Object.keys(email.data).sort(), ['expiresInMinutes', 'link', 'name']);
    t.is(email.data.expiresInMinutes, '30');
    t.is(email.data.name, 'Test User');
    t.regex(email.data.link!, new RegExp(`^${server.url}/account/reset-password\\?token=[A-Za-z0-9_-]{43}$`));

    // opening the link shows the form and uses nothing (a mail scanner's GET does no harm)
    for (let open = 0; open < 2; open++) {
      const page = await reset.get(email.data.link!);
      t.is(page.status, 200);
      t.regex(page.html, /Choose a new password/);
    }
    const token = PasswordReset.tokenOf(email.data.link!);
    // the policy applies: a short password and a mismatch are refused, and nothing changes
    const short = await reset.setPassword(token, 'short');
    t.is(short.status, 400);
    t.regex(short.html, /The new password must be at least 15 characters\./);
    const mismatch = await reset.setPassword(token, NEW_PASSWORD, `${NEW_PASSWORD}!`);
    t.is(mismatch.status, 400);
    t.regex(mismatch.html, /do not match/);

    const done = await reset.setPassword(token);
    t.is(done.status, 200);
    t.regex(done.html, /Your password was changed/);
    t.regex(done.html, new RegExp(`<a href="/interaction/${uid}">Continue signing in</a>`), 'the way back to the sign-in still open');

    // the lock went with the old password: the new one signs in at once
    t.truthy(await signInForTokens(server, client, user.email, { password: NEW_PASSWORD }));
    // every session and token of before is dead
    const refreshed = await postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: before!.refreshToken! }, client);
    t.is(refreshed.status, 400);
    t.is(refreshed.body.error, 'invalid_grant');
    const introspected = await postForm(`${server.url}/token/introspection`, { token: before!.accessToken }, client);
    t.false(introspected.body.active, 'the old access token is inactive');
    const session = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      agent: before!.agent,
      password: 'not asked',
    });
    t.is(session.code, undefined, 'the old browser session no longer signs in without a password');
    t.regex(session.pages[0]!, /Sign in to continue/, 'the old browser is asked for a password again');
    // the old password no longer works
    t.is(await signInForTokens(server, client, user.email), undefined);

    const notice = await lastEmailTo(server, user.email, 'password-changed');
    t.deepEqual(Object.keys(notice.data).sort(), ['accountUrl', 'name', 'time']);
    t.is(notice.data.accountUrl, `${server.url}/account`);
    t.regex(notice.data.time!, /^\d{4}-\d\d-\d\d \d\d:\d\d UTC$/);

    // the link was used: a second use is refused
    const again = await reset.setPassword(token, 'another long passphrase for me');
    t.is(again.status, 410);
    t.regex(again.html, /no longer valid/);
    t.regex(again.html, /href="\/account\/forgot-password"/);

    await server.portcullis.audit.flush();
    const { rows } = await server.db.query<{ type: string; actor_id: string | null; target_id: string | null }>(
      `SELECT type, actor_id, target_id FROM audit_events WHERE type LIKE 'user.password_reset%' ORDER BY seq`,
    );
    t.deepEqual(
      rows.map((row) => [row.type, row.target_id]),
      [
        ['user.password_reset_requested', user.id],
        ['user.password_reset', user.id],
      ],
    );
  },
  { env: { LOCKOUT_THRESHOLD: '3' } },
);

testEachBackend(
  'an account with an authenticator app proves it before the new password; the page says so when the sign-in is gone',
  async (t, server) => {
    const user = await createUser(server.db);
    const secret = await giveAuthenticatorApp(server, user.id);
    const reset = new PasswordReset(server);
    await reset.request(user.email);
    const link = await reset.link(user.email);
    const token = PasswordReset.tokenOf(link);
    const opened = await reset.get(link);
    t.regex(opened.html, /Your account has a second factor/);
    t.notRegex(opened.html, /name="password"/, 'no password form before the factor');
    const wrong = await reset.post('/account/reset-password/totp', { token, code: '000000' });
    t.is(wrong.status, 401);
    const proven = await reset.post('/account/reset-password/totp', { token, code: totpCode(secret) });
    t.is(proven.status, 200);
    t.regex(proven.html, /name="password"/);
    const done = await reset.setPassword(token);
    t.is(done.status, 200);
    t.regex(done.html, /Go back to your application and sign in again/);
    t.is((await emailsTo(server, user.email)).filter((email) => email.template === 'password-changed').length, 1);
  },
);

test('the reset pages are listed for the form rate limit (they live under /account/)', async (t) => {
  const { isAccountPath } = await import('../../src/http/page-paths.ts');
  t.true(isAccountPath('/account/forgot-password'));
  t.true(isAccountPath('/account/reset-password'));
});
