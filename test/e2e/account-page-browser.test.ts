// The account page in a real browser (headless Chromium), openid-client as the relying party the user
// signed in to: the re-authentication that returns to /account, a name changed (from the keyboard),
// an email change confirmed through the link read from the outbox, a password change, a session
// ended and an application's access revoked; then, with JavaScript off, the account deleted through
// its two confirmations. Every page is checked by axe-core (WCAG 2.x A/AA: zero violations) and for
// the usual hardening (CSP without inline script, labels).
import test, { type ExecutionContext } from 'ava';
import * as oidc from 'openid-client';
import type { Browser, Page, Response } from 'playwright-core';
import { findAccountById } from '../../src/storage/accounts.ts';
import { axeViolations } from '../helpers/accessibility.ts';
import { assertPageHardening, launchChromium, openRelyingPartyBrowser, watchPageProblems } from '../helpers/browser.ts';
import { createTestClient, createUser, PASSWORD } from '../helpers/fixtures.ts';
import { lastEmailTo } from '../helpers/outbox.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { signInForTokens } from '../helpers/user-tokens.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';

let browser: Browser | undefined;

test.before(async () => {
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
});

async function checkPage(t: ExecutionContext, page: Page, response: Response | null, label: string) {
  await assertPageHardening(t, page, response, label);
  t.deepEqual(await axeViolations(page), [], `axe-core finds no violation on the ${label}`);
}

/** The next page the browser is shown at `path` (a GET: where a form's redirect ends). */
const nextPage = (page: Page, path: string) =>
  page.waitForResponse((response) => new URL(response.url()).pathname === path && response.request().method() === 'GET');

/** Signs in to the relying party in this browser: the browser then holds a sign-in session and the RP a grant. */
async function signInToApplication(page: Page, config: oidc.Configuration, callback: string, email: string) {
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
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((reached) => reached.href.startsWith(`${callback}?`));
  await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
}

/** The re-authentication from /account: the form, then back on /account. */
async function reauthenticate(t: ExecutionContext, page: Page, server: TestServer, email: string, password = PASSWORD) {
  await checkPage(t, page, await page.goto(`${server.url}/account`), 'account sign-in page');
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  const shown = nextPage(page, '/account');
  await page.getByRole('button', { name: 'Continue' }).click();
  return shown;
}

test.serial('the account page: name, email change by link, password, a session ended, an application revoked', async (t) => {
  const server = await startTestServer(BACKENDS.find((backend) => backend.redis)!);
  const { rp, page, config } = await openRelyingPartyBrowser(t, browser!, server, { firstParty: true });
  const problems = watchPageProblems(page);
  const user = await createUser(server.db);
  await signInToApplication(page, config, rp.callback, user.email);
  // another device, signed in to another application
  const other = await signInForTokens(server, await createTestClient(server, { firstParty: true }), user.email);
  t.truthy(other?.refreshToken);

  await checkPage(t, page, await reauthenticate(t, page, server, user.email), 'account page');
  t.is(await page.locator('#account-email').innerText(), user.email);
  t.is(await page.locator('#sessions li').count(), 2);
  t.is(await page.getByText('(this browser)').count(), 1);
  t.is(await page.locator('#applications li').count(), 2);

  // the name, from the keyboard only: focus the field, type, Enter submits its form
  await page.getByLabel('Your name').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('Ada Lovelace');
  let shown = nextPage(page, '/account');
  await page.keyboard.press('Enter');
  await checkPage(t, page, await shown, 'account page after a change');
  await t.notThrowsAsync(page.getByText('Your name was changed.').waitFor());
  t.is(await page.getByLabel('Your name').inputValue(), 'Ada Lovelace');

  // a refused form: an error summary that links to its field, announced, and clean
  await page.getByLabel('New email address').fill('not an address');
  await page.getByRole('button', { name: 'Change email address' }).click();
  await t.notThrowsAsync(page.getByRole('alert').waitFor());
  t.deepEqual(await axeViolations(page), [], 'axe-core finds no violation on the refused form');
  await page.getByRole('link', { name: /Enter a valid email address/ }).click();
  t.is(await page.evaluate<string | undefined>('document.activeElement?.id'), 'email', 'the summary leads to the field');

  // the email change: the link from the outbox, its page, the button
  const newEmail = `new-${user.email}`;
  await page.getByLabel('New email address').fill(newEmail);
  shown = nextPage(page, '/account');
  await page.getByRole('button', { name: 'Change email address' }).click();
  await shown;
  await t.notThrowsAsync(page.getByText('We sent a link to the new address.', { exact: false }).waitFor());
  const link = (await lastEmailTo(server, newEmail, 'email-change')).data.link!;
  await checkPage(t, page, await page.goto(link), 'email confirmation page');
  shown = nextPage(page, '/account');
  await page.getByRole('button', { name: 'Confirm new email address' }).click();
  await shown;
  await t.notThrowsAsync(page.getByText('Your email address was changed.').waitFor());
  t.is(await page.locator('#account-email').innerText(), newEmail);

  // the password
  await page.getByLabel('Current password').fill(PASSWORD);
  await page.getByLabel('New password', { exact: true }).fill(NEW_PASSWORD);
  await page.getByLabel('The new password again').fill(NEW_PASSWORD);
  shown = nextPage(page, '/account');
  await page.getByRole('button', { name: 'Change password' }).click();
  await checkPage(t, page, await shown, 'account page after the password change');
  await t.notThrowsAsync(page.getByText('Your password was changed.', { exact: false }).waitFor());
  t.is(await page.locator('#sessions li').count(), 1, 'the other device was signed out');
  t.is(await page.locator('#applications li').count(), 0, 'every application asks again');

  // the application in this browser signs in again silently (its session stayed), then is revoked
  await signInToApplicationAgain(page, config, rp.callback);
  await page.goto(`${server.url}/account`);
  t.is(await page.locator('#applications li').count(), 1);
  shown = nextPage(page, '/account');
  await page.getByRole('button', { name: 'Revoke access of E2E Web App' }).click();
  await shown;
  await t.notThrowsAsync(page.getByText('The application’s access was revoked.').waitFor());
  t.is(await page.locator('#applications li').count(), 0);

  // this browser's own session, ended from the list
  shown = nextPage(page, '/account');
  await page.locator('#sessions li').first().getByRole('button', { name: 'Sign out' }).click();
  await shown;
  await t.notThrowsAsync(page.getByText('The session was ended.').waitFor());
  t.is(await page.locator('#sessions li').count(), 0);

  // the second factors live on the security page, one proof for both
  await page.getByRole('link', { name: 'Sign-in security' }).click();
  await t.notThrowsAsync(page.locator('#totp-state').waitFor());
  await page.getByRole('link', { name: 'Your account' }).click();
  await t.notThrowsAsync(page.locator('#account-email').waitFor());
  await page.getByRole('button', { name: 'Sign out of this page' }).click();
  await t.notThrowsAsync(page.getByText('You left your account page.').waitFor());
  t.deepEqual(problems, [], 'no CSP violation or script error');
});

/** A new authorization in the same browser: its session answers without a password. */
async function signInToApplicationAgain(page: Page, config: oidc.Configuration, callback: string) {
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
  await page.waitForURL((reached) => reached.href.startsWith(`${callback}?`));
  await oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: verifier, expectedState: state });
}

test.serial('without JavaScript: the name changed, then the account deleted through its two confirmations', async (t) => {
  const server = await startTestServer(BACKENDS.find((backend) => !backend.redis)!);
  const context = await browser!.newContext({ javaScriptEnabled: false });
  t.teardown(async () => {
    await context.close();
    await server.close();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const user = await createUser(server.db);
  await page.goto(`${server.url}/account`);
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Continue' }).click();
  await t.notThrowsAsync(page.locator('#account-email').waitFor());
  await page.getByLabel('Your name').fill('Grace');
  await page.getByRole('button', { name: 'Save name' }).click();
  await t.notThrowsAsync(page.getByText('Your name was changed.').waitFor());

  await page.getByRole('link', { name: 'Delete my account' }).click();
  await t.notThrowsAsync(page.getByRole('heading', { name: 'Delete your account' }).waitFor());
  await page.getByLabel('Type your email address to confirm').fill(user.email);
  await page.getByLabel(/I understand/).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await t.notThrowsAsync(page.getByRole('heading', { name: 'Delete your account for good?' }).waitFor());
  t.truthy(await findAccountById(server.db, user.id), 'not yet');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await t.notThrowsAsync(page.getByRole('heading', { name: 'Your account was deleted' }).waitFor());
  t.is(await findAccountById(server.db, user.id), undefined);
  await page.goto(`${server.url}/account`);
  await t.notThrowsAsync(page.getByText('confirm it is you', { exact: false }).waitFor(), 'signed out');
});

test.serial('the deletion pages and the account page with an error are axe-clean too', async (t) => {
  const server = await startTestServer(BACKENDS.find((backend) => !backend.redis)!);
  const context = await browser!.newContext();
  t.teardown(async () => {
    await context.close();
    await server.close();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const user = await createUser(server.db);
  await reauthenticate(t, page, server, user.email);
  await checkPage(t, page, await page.goto(`${server.url}/account/delete`), 'deletion page');
  await page.getByRole('button', { name: 'Continue' }).click();
  await t.notThrowsAsync(page.getByRole('alert').waitFor());
  t.deepEqual(await axeViolations(page), [], 'the refused first confirmation');
  await page.getByLabel('Type your email address to confirm').fill(user.email);
  await page.getByLabel(/I understand/).check();
  await page.getByRole('button', { name: 'Continue' }).click();
  await t.notThrowsAsync(page.getByRole('heading', { name: 'Delete your account for good?' }).waitFor());
  t.deepEqual(await axeViolations(page), [], 'the final confirmation');
  await page.getByRole('button', { name: 'Delete my account' }).click();
  await t.notThrowsAsync(page.getByRole('heading', { name: 'Your account was deleted' }).waitFor());
  t.deepEqual(await axeViolations(page), [], 'the deleted page');
});
