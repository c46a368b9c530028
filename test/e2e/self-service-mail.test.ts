// The self-service flows end to end with real email: the server delivers over SMTP (TCP) to a real
// SMTP server (test/helpers/mail-catcher.ts), the link is taken from the delivered message, as a
// user would from their mailbox, and opened in headless Chromium; openid-client is the relying party.
// Sign-up and verification, a forgotten password (which kills the old session and refresh token),
// an email change from the account page, and an invitation that lands at the application. Pages
// these flows walk that the other browser tests do not check are checked here by axe-core.
import test, { type ExecutionContext } from 'ava';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { insertClient } from '../../src/storage/clients.ts';
import { generateClientSecret, hashClientSecret } from '../../src/security/client-secrets.ts';
import { assertAccessible } from '../helpers/accessibility.ts';
import { launchChromium, openRelyingPartyBrowser, watchPageProblems } from '../helpers/browser.ts';
import { createUser, PASSWORD } from '../helpers/fixtures.ts';
import { startMailCatcher, type CaughtEmail, type MailCatcher } from '../helpers/mail-catcher.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { NEW_PASSWORD } from '../helpers/password-reset.ts';
import { SIGN_UP_PASSWORD } from '../helpers/registration.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';

// a slow shared machine: generous, but every wait is bounded
const MAIL_TIMEOUT = { timeoutMs: 60_000 };
const WITH_REDIS = BACKENDS.find((backend) => backend.redis)!;

let browser: Browser | undefined;

test.before(async () => {
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
});

/** A test server that delivers to a fresh mail catcher; both closed when the test ends. */
async function serverWithMail(t: ExecutionContext, env: Record<string, string> = {}) {
  const mail = await startMailCatcher();
  t.teardown(() => mail.close());
  const server = await startTestServer(WITH_REDIS, { env: { ...env, SMTP_URL: mail.url } });
  return { mail, server };
}

const decodeHtml = (value: string) =>
  value.replaceAll('&quot;', '"').replaceAll('&#39;', "'").replaceAll('&lt;', '<').replaceAll('&gt;', '>').replaceAll('&amp;', '&');

/**
 * The one link to `issuer` + `path` in a delivered email, as a mail client shows it: in the plain
 * text and as an href of the HTML part, the same link in both (a mismatch fails the test).
 */
function linkIn(t: ExecutionContext, email: CaughtEmail, issuer: string, path: string): string {
  const prefix = `${issuer}${path}?token=`;
  const inText = [...new Set((email.text.match(/https?:\/\/\S+/g) ?? []).filter((url) => url.startsWith(prefix)))];
  const inHtml = [
    ...new Set([...email.html.matchAll(/href="([^"]*)"/g)].map((match) => decodeHtml(match[1]!)).filter((url) => url.startsWith(prefix))),
  ];
  t.is(inText.length, 1, `one ${path} link in the text of "${email.subject}": ${email.text}`);
  t.deepEqual(inHtml, inText, `the HTML part of "${email.subject}" links to the same address`);
  const link = inText[0]!;
  t.regex(new URL(link).searchParams.get('token') ?? '', /^[A-Za-z0-9_-]{43}$/);
  return link;
}

/** Waits for the email to `to` whose subject matches. */
const mailTo = (mail: MailCatcher, to: string, subject: RegExp) => mail.waitFor(to, (email) => subject.test(email.subject), MAIL_TIMEOUT);

interface Flow {
  verifier: string;
  state: string;
}

/** The relying party starts an authorization request in the browser (PKCE, state). */
async function startSignIn(page: Page, config: oidc.Configuration, callback: string, extra: Record<string, string> = {}): Promise<Flow> {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callback,
    scope: 'openid email',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    ...extra,
  });
  await page.goto(url.href);
  return { verifier, state };
}

/** Fills the sign-in form, allows the consent if one is asked, and redeems the code at the relying party. */
async function signInThrough(page: Page, config: oidc.Configuration, callback: string, flow: Flow, email: string, password: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  const atCallback = (url: URL) => url.href.startsWith(`${callback}?`);
  const allow = page.getByRole('button', { name: 'Allow' });
  await Promise.race([page.waitForURL(atCallback), allow.waitFor()]);
  if (!atCallback(new URL(page.url()))) await allow.click();
  await page.waitForURL(atCallback);
  return redeem(page, config, flow);
}

const redeem = (page: Page, config: oidc.Configuration, flow: Flow) =>
  oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });

/** The sign-in page refuses `email` with `password`: the form again, with its announced error. */
async function assertSignInRefused(t: ExecutionContext, page: Page, email: string, password: string, label: string) {
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  const answer = page.waitForResponse((response) => response.request().method() === 'POST');
  await page.getByRole('button', { name: 'Sign in' }).click();
  t.is((await answer).status(), 401, `${label}: refused`);
  t.regex(await page.getByRole('alert').innerText(), /Incorrect email or password/, label);
  await assertAccessible(t, page, label);
}

test.serial('sign-up: the verification email arrives over SMTP, its link verifies, and the new account signs in', async (t) => {
  const { mail, server } = await serverWithMail(t, { REGISTRATION: 'open' });
  const { rp, page, config } = await openRelyingPartyBrowser(t, browser!, server, { firstParty: true });
  const problems = watchPageProblems(page);
  const email = `smtp-signup-${Date.now()}@example.com`;

  const flow = await startSignIn(page, config, rp.callback);
  await page.getByRole('link', { name: 'Create an account' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name').fill('Mail Person');
  await page.getByLabel('Password', { exact: true }).fill(SIGN_UP_PASSWORD);
  await page.getByLabel('The password again').fill(SIGN_UP_PASSWORD);
  await page.getByRole('button', { name: 'Create account' }).click();
  await page.getByRole('heading', { name: 'Check your email' }).waitFor();

  const message = await mailTo(mail, email, /Verify your email address/);
  t.deepEqual(message.envelope.to, [email]);
  t.regex(message.text, /Hello Mail Person/);
  const link = linkIn(t, message, server.url, '/account/verify-email');

  await page.goto(link);
  await page.getByRole('button', { name: 'Verify my email' }).click();
  await page.getByRole('link', { name: 'Continue to sign in' }).click();
  const tokens = await signInThrough(page, config, rp.callback, flow, email, SIGN_UP_PASSWORD);
  const claims = tokens.claims()!;
  t.is(claims.email, email);
  t.is(claims.iss, server.url);
  t.true(typeof claims.sub === 'string' && claims.sub.length > 0);
  // one email, the one asked for: nothing else went to the new address
  t.is(mail.messages.filter((caught) => caught.envelope.to.includes(email)).length, 1);
  t.deepEqual(problems, [], 'no CSP violation or script error');
});

test.serial(
  'forgotten password by email: the old session and refresh token die, the new password signs in, a notice arrives',
  async (t) => {
    const { mail, server } = await serverWithMail(t);
    const { rp, page, config } = await openRelyingPartyBrowser(t, browser!, server, { firstParty: true });
    const problems = watchPageProblems(page);
    const user = await createUser(server.db);

    // before: this browser is signed in, and the application holds a refresh token that works
    const first = await startSignIn(page, config, rp.callback, { scope: 'openid email offline_access', prompt: 'consent' });
    const before = await signInThrough(page, config, rp.callback, first, user.email, PASSWORD);
    t.truthy(before.refresh_token, 'offline_access yields a refresh token');
    const refreshed = await oidc.refreshTokenGrant(config, before.refresh_token!);
    const oldRefreshToken = refreshed.refresh_token ?? before.refresh_token!;

    // the reset, in another browser (the phone the email was read on)
    const phone = await browser!.newContext();
    t.teardown(() => phone.close());
    const phonePage = await phone.newPage();
    phonePage.setDefaultTimeout(30_000);
    await phonePage.goto(`${server.url}/account/forgot-password`);
    await phonePage.getByLabel('Email').fill(user.email);
    await phonePage.getByRole('button', { name: 'Send me a link' }).click();
    await phonePage.getByRole('heading', { name: 'Check your email' }).waitFor();
    const message = await mailTo(mail, user.email, /Choose a new password/);
    const link = linkIn(t, message, server.url, '/account/reset-password');
    await phonePage.goto(link);
    await phonePage.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
    await phonePage.getByLabel('The new password again').fill(NEW_PASSWORD);
    await phonePage.getByRole('button', { name: 'Set the new password' }).click();
    await phonePage.getByRole('heading', { name: 'Your password was changed' }).waitFor();

    const notice = await mailTo(mail, user.email, /Your password was changed/);
    t.true(notice.text.includes(`${server.url}/account`), 'the notice leads to the account page');

    // the old refresh token is refused at the token endpoint
    const refused = await t.throwsAsync(oidc.refreshTokenGrant(config, oldRefreshToken));
    t.is((refused as { error?: string } | undefined)?.error, 'invalid_grant');

    // the old browser session is gone: a silent sign-in in that browser is told to sign in
    await startSignIn(page, config, rp.callback, { prompt: 'none' });
    await page.waitForURL((url) => url.href.startsWith(`${rp.callback}?`));
    t.is(new URL(page.url()).searchParams.get('error'), 'login_required');

    // the old password no longer signs in there; the new one does
    const again = await startSignIn(page, config, rp.callback);
    await assertSignInRefused(t, page, user.email, PASSWORD, 'sign-in page refusing the old password');
    const after = await signInThrough(page, config, rp.callback, again, user.email, NEW_PASSWORD);
    t.is(after.claims()?.sub, user.id);
    t.is(after.claims()?.email, user.email);
    t.deepEqual(problems, [], 'no CSP violation or script error');
  },
);

test.serial(
  'email change: the link arrives at the new address, a notice at the old; confirmed, only the new address signs in',
  async (t) => {
    const { mail, server } = await serverWithMail(t);
    const { rp, page, config } = await openRelyingPartyBrowser(t, browser!, server, { firstParty: true });
    const problems = watchPageProblems(page);
    const user = await createUser(server.db);
    const newEmail = `moved-${user.email}`;

    await page.goto(`${server.url}/account`);
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.locator('#account-email').waitFor();
    await page.getByLabel('New email address').fill(newEmail);
    await page.getByRole('button', { name: 'Change email address' }).click();
    await page.getByText('We sent a link to the new address.', { exact: false }).waitFor();

    const confirmation = await mailTo(mail, newEmail, /Confirm your new email address/);
    t.deepEqual(confirmation.envelope.to, [newEmail]);
    const requested = await mailTo(mail, user.email, /A change of your email address was requested/);
    t.true(requested.text.includes(newEmail), 'the old address is told which address was asked for');
    t.false(requested.text.includes('token='), 'the old address gets no link that could make the change');
    const link = linkIn(t, confirmation, server.url, '/account/confirm-email');

    // the link opened where the mail was read: another browser, which must prove the account first
    const other = await browser!.newContext();
    t.teardown(() => other.close());
    const otherPage = await other.newPage();
    otherPage.setDefaultTimeout(30_000);
    const otherProblems = watchPageProblems(otherPage);
    await otherPage.goto(link);
    await otherPage.getByText('To finish changing your email address, confirm it is you.').waitFor();
    await assertAccessible(t, otherPage, 'account sign-in page asking to confirm before the email change');
    await otherPage.getByLabel('Email').fill(user.email);
    await otherPage.getByLabel('Password').fill(PASSWORD);
    await otherPage.getByRole('button', { name: 'Continue' }).click();
    await otherPage.getByRole('button', { name: 'Confirm new email address' }).click();
    await otherPage.getByText('Your email address was changed.').waitFor();
    t.is(await otherPage.locator('#account-email').innerText(), newEmail);
    const changed = await mailTo(mail, user.email, /Your email address was changed/);
    t.true(changed.text.includes(newEmail));

    // at the application: the old address no longer signs in, the new one does, and the ID token says so
    const flow = await startSignIn(page, config, rp.callback, { prompt: 'login' });
    await assertSignInRefused(t, page, user.email, PASSWORD, 'sign-in page refusing the old address');
    const tokens = await signInThrough(page, config, rp.callback, flow, newEmail, PASSWORD);
    t.is(tokens.claims()?.sub, user.id);
    t.is(tokens.claims()?.email, newEmail);
    t.deepEqual([...problems, ...otherProblems], [], 'no CSP violation or script error');
  },
);

test.serial('invitation: the email arrives, a password is chosen, and the person lands at the application signed in', async (t) => {
  const { mail, server } = await serverWithMail(t, { REGISTRATION: 'invite' });
  const { rp, page, context } = await openRelyingPartyBrowser(t, browser!, server, { firstParty: true });
  const problems = watchPageProblems(page);
  // an application that registered where a sign-in starts (OIDC initiate_login_uri: https only, so
  // its page is answered by the browser's request routing, as the application would answer it)
  const initiateLogin = 'https://app.example.test/login';
  await context.route(`${initiateLogin}?*`, (route) =>
    route.fulfill({ status: 200, contentType: 'text/html', body: '<!doctype html><title>Invited App</title><p>Starting the sign-in</p>' }),
  );
  const clientId = `e2e-invite-${Date.now()}`;
  const clientSecret = generateClientSecret();
  await insertClient(server.db, {
    clientId,
    name: 'Invited App',
    metadata: {
      client_name: 'Invited App',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [rp.callback],
      post_logout_redirect_uris: [rp.loggedOut],
      initiate_login_uri: initiateLogin,
      token_endpoint_auth_method: 'client_secret_basic',
    },
    secretHash: hashClientSecret(server.portcullis.keys.clientSecretKey, clientSecret),
    firstParty: true,
    resources: {},
  });
  const config = await oidc.discovery(new URL(server.url), clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- tests use http on localhost
    execute: [oidc.allowInsecureRequests],
  });

  const email = `smtp-invited-${Date.now()}@example.com`;
  await runAsOperator(server, 'users.invite', { email, name: 'Invited Person', clientId });
  const message = await mailTo(mail, email, /invited you/);
  t.regex(message.text, /Hello Invited Person/);
  const link = linkIn(t, message, server.url, '/account/invitation');

  await page.goto(link);
  await page.getByLabel('Password', { exact: true }).fill(SIGN_UP_PASSWORD);
  await page.getByLabel('The password again').fill(SIGN_UP_PASSWORD);
  await page.getByRole('button', { name: 'Set password and continue' }).click();

  // the application's initiate-login URI, told the issuer and the address
  await page.waitForURL((url) => url.href.startsWith(`${initiateLogin}?`));
  const landing = new URL(page.url());
  t.is(landing.searchParams.get('iss'), server.url);
  t.is(landing.searchParams.get('login_hint'), email);

  // the application starts its sign-in with that hint: the browser that chose the password is signed in
  const flow = await startSignIn(page, config, rp.callback, { login_hint: email });
  await page.waitForURL((url) => url.href.startsWith(`${rp.callback}?`));
  const tokens = await redeem(page, config, flow);
  t.is(tokens.claims()?.email, email);
  t.deepEqual(tokens.claims()?.amr, ['pwd']);
  t.deepEqual(problems, [], 'no CSP violation or script error');
});
