// A forgotten password in a real browser (headless Chromium), with openid-client as the relying
// party: from the sign-in page's "Forgot your password?" to the email's link, a new password, and
// back to the same sign-in, which then finishes with the new password. An account with an
// authenticator app proves it on the way. Every page: hardened headers, labels, no inline script,
// and zero axe-core violations.
import test, { type ExecutionContext } from 'ava';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { assertAccessible, axeViolations } from '../helpers/accessibility.ts';
import { assertPageHardening, launchChromium, openRelyingPartyBrowser, watchPageProblems } from '../helpers/browser.ts';
import { createUser, giveAuthenticatorApp } from '../helpers/fixtures.ts';
import { lastEmailTo } from '../helpers/outbox.ts';
import { NEW_PASSWORD } from '../helpers/password-reset.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';
import { totpCode } from '../helpers/sign-in-flow.ts';

let browser: Browser | undefined;

test.before(async () => {
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
});

async function setUp(t: ExecutionContext) {
  const server = await startTestServer(BACKENDS.find((backend) => backend.redis)!);
  const opened = await openRelyingPartyBrowser(t, browser!, server, { firstParty: true });
  const user = await createUser(server.db);
  return { server, user, ...opened };
}

/** The sign-in page of a new authorization request; resolves with what the relying party keeps. */
async function startSignIn(page: Page, config: oidc.Configuration, callback: string) {
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const url = oidc.buildAuthorizationUrl(config, {
    redirect_uri: callback,
    scope: 'openid email',
    state,
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
  });
  await page.goto(url.href);
  return { verifier, state };
}

/** Navigates by clicking `click` and checks the page it leads to. */
async function next(t: ExecutionContext, page: Page, click: () => Promise<void>, heading: string) {
  const response = page.waitForResponse((answer) => answer.request().isNavigationRequest());
  await click();
  const answer = await response;
  await page.getByRole('heading', { name: heading }).waitFor();
  await assertPageHardening(t, page, answer, heading);
  await assertAccessible(t, page, heading);
}

test.serial('the accessibility check can fail: an unlabelled field in a page without a language is found', async (t) => {
  const context = await browser!.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  await page.setContent('<html><head><title>x</title></head><body><main><input type="text"></main></body></html>');
  const violations = await axeViolations(page);
  t.true(
    violations.some((line) => line.startsWith('label')),
    violations.join('\n'),
  );
  t.true(
    violations.some((line) => line.startsWith('html-has-lang')),
    violations.join('\n'),
  );
});

test.serial('forgot password → email link → new password → back to the same sign-in, which finishes with it', async (t) => {
  const { server, rp, page, user, config } = await setUp(t);
  const problems = watchPageProblems(page);
  const flow = await startSignIn(page, config, rp.callback);
  await assertAccessible(t, page, 'sign-in page with its "Forgot your password?" link');

  await next(t, page, () => page.getByRole('link', { name: 'Forgot your password?' }).click(), 'Forgot your password?');
  // an address that is not one: the form says so, labelled and announced
  await page.getByLabel('Email').fill('not an address');
  await next(t, page, () => page.getByRole('button', { name: 'Send me a link' }).click(), 'Forgot your password?');
  t.regex(await page.getByRole('alert').innerText(), /Enter your email address/);
  await page.getByLabel('Email').fill(user.email);
  await next(t, page, () => page.getByRole('button', { name: 'Send me a link' }).click(), 'Check your email');

  const link = (await lastEmailTo(server, user.email, 'password-reset')).data.link!;
  await next(t, page, () => page.goto(link).then(() => {}), 'Choose a new password');
  // the policy speaks on the page
  await page.getByLabel('New password', { exact: true }).fill('too short');
  await page.getByLabel('The new password again').fill('too short');
  await next(t, page, () => page.getByRole('button', { name: 'Set the new password' }).click(), 'Choose a new password');
  t.regex(await page.getByRole('alert').innerText(), /at least 15 characters/);
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('The new password again').fill(NEW_PASSWORD);
  await next(t, page, () => page.getByRole('button', { name: 'Set the new password' }).click(), 'Your password was changed');

  // back to the sign-in the user left, which finishes with the new password
  await next(t, page, () => page.getByRole('link', { name: 'Continue signing in' }).click(), 'Sign in');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.href.startsWith(`${rp.callback}?`));
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
  });
  t.is(tokens.claims()?.sub, user.id);

  // the used link: a clear page, with the way to a new one
  await next(t, page, () => page.goto(link).then(() => {}), 'This link no longer works');
  t.is(await page.getByRole('link', { name: 'Ask for a new link' }).getAttribute('href'), '/account/forgot-password');
  t.deepEqual(problems, [], 'no CSP violation or script error');
});

test.serial('an account with an authenticator app proves it before choosing the new password', async (t) => {
  const { server, page, user } = await setUp(t);
  const problems = watchPageProblems(page);
  const secret = await giveAuthenticatorApp(server, user.id);
  await page.goto(`${server.url}/account/forgot-password`);
  await assertAccessible(t, page, 'forgot-password page without a sign-in');
  await page.getByLabel('Email').fill(user.email);
  await next(t, page, () => page.getByRole('button', { name: 'Send me a link' }).click(), 'Check your email');
  const link = (await lastEmailTo(server, user.email, 'password-reset')).data.link!;
  await next(t, page, () => page.goto(link).then(() => {}), 'Confirm it is you');
  await page.getByLabel('Code from your authenticator app').fill('000000');
  await next(t, page, () => page.getByRole('button', { name: 'Verify' }).click(), 'Confirm it is you');
  t.regex(await page.getByRole('alert').innerText(), /not right/);
  await page.getByLabel('Code from your authenticator app').fill(totpCode(secret));
  await next(t, page, () => page.getByRole('button', { name: 'Verify' }).click(), 'Choose a new password');
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('The new password again').fill(NEW_PASSWORD);
  await next(t, page, () => page.getByRole('button', { name: 'Set the new password' }).click(), 'Your password was changed');
  t.regex(await page.locator('main').innerText(), /Go back to your application and sign in again/);
  t.deepEqual(problems, [], 'no CSP violation or script error');
});
