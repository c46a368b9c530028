// Sign-up and invitations in a real browser (headless Chromium), openid-client as the relying party:
// "Create an account" from the sign-in page, the verification link from the outbox, back to the
// sign-in and on to the application; an invitation accepted and landing at the application. Every
// page is checked by axe-core (WCAG 2.x A/AA: zero violations) and for the usual hardening.
import test, { type ExecutionContext } from 'ava';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { axeViolations } from '../helpers/accessibility.ts';
import { assertPageHardening, launchChromium, openRelyingPartyBrowser, watchPageProblems } from '../helpers/browser.ts';
import { lastEmailTo } from '../helpers/outbox.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { SIGN_UP_PASSWORD } from '../helpers/registration.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';

let browser: Browser | undefined;

test.before(async () => {
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
});

async function checkPage(t: ExecutionContext, page: Page, response: Awaited<ReturnType<Page['goto']>>, label: string) {
  await assertPageHardening(t, page, response, label);
  t.deepEqual(await axeViolations(page), [], `axe-core finds no violation on the ${label}`);
}

async function startAuthorization(page: Page, config: oidc.Configuration, callback: string) {
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

test.serial('sign up, verify the address from the email, sign in to the application', async (t) => {
  const server = await startTestServer(
    BACKENDS.find((backend) => backend.redis)!,
    { env: { REGISTRATION: 'open' } },
  );
  const { rp, page, config } = await openRelyingPartyBrowser(t, browser!, server, { firstParty: true });
  const problems = watchPageProblems(page);
  const email = `browser-${Date.now()}@example.com`;

  const flow = await startAuthorization(page, config, rp.callback);
  t.deepEqual(await axeViolations(page), [], 'axe-core finds no violation on the sign-in page with its sign-up link');
  const signUpPage = page.waitForResponse((response) => new URL(response.url()).pathname === '/account/sign-up');
  await page.getByRole('link', { name: 'Create an account' }).click();
  await checkPage(t, page, await signUpPage, 'sign-up page');

  // a refused form: the error summary is announced and axe-clean too
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Name').fill('Browser Person');
  await page.getByLabel('Password', { exact: true }).fill('short');
  await page.getByLabel('The password again').fill('short');
  const refused = page.waitForResponse((response) => response.request().method() === 'POST');
  await page.getByRole('button', { name: 'Create account' }).click();
  t.is((await refused).status(), 400);
  await t.notThrowsAsync(
    page
      .getByRole('alert')
      .getByText(/at least 15 characters/)
      .waitFor(),
  );
  t.deepEqual(await axeViolations(page), [], 'axe-core finds no violation on the refused sign-up form');

  await page.getByLabel('Password', { exact: true }).fill(SIGN_UP_PASSWORD);
  await page.getByLabel('The password again').fill(SIGN_UP_PASSWORD);
  const sent = page.waitForResponse((response) => response.request().method() === 'POST');
  await page.getByRole('button', { name: 'Create account' }).click();
  await checkPage(t, page, await sent, 'check-your-email page');
  await t.notThrowsAsync(page.getByRole('heading', { name: 'Check your email' }).waitFor());

  // back to the sign-in before verifying: the right password is told to verify first, and may ask for a new link
  await page.getByRole('link', { name: 'Back to sign in' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(SIGN_UP_PASSWORD);
  const unverified = page.waitForResponse((response) => response.request().method() === 'POST');
  await page.getByRole('button', { name: 'Sign in' }).click();
  t.is((await unverified).status(), 403);
  await checkPage(t, page, await unverified, 'verify-first page');
  const resent = page.waitForResponse((response) => response.request().method() === 'POST');
  await page.getByRole('button', { name: 'Send me a new link' }).click();
  await checkPage(t, page, await resent, 'new-link-sent page');

  const { data } = await lastEmailTo(server, email, 'verify-email');
  await checkPage(t, page, await page.goto(data.link!), 'verification page');
  const verified = page.waitForResponse((response) => response.request().method() === 'POST');
  await page.getByRole('button', { name: 'Verify my email' }).click();
  await checkPage(t, page, await verified, 'verified page');

  await page.getByRole('link', { name: 'Continue to sign in' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(SIGN_UP_PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => url.href.startsWith(`${rp.callback}?`));
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
  });
  t.is(tokens.claims()?.email, email);
  // the used link: a page saying so
  await checkPage(t, page, await page.goto(data.link!), 'used-link page');
  t.deepEqual(problems, []);
});

test.serial('an invitation: choose a password, land at the application, signed in there', async (t) => {
  const server = await startTestServer(
    BACKENDS.find((backend) => backend.redis)!,
    { env: { REGISTRATION: 'invite' } },
  );
  const { rp, page, config, clientId } = await openRelyingPartyBrowser(t, browser!, server, { firstParty: true });
  const problems = watchPageProblems(page);
  const email = `invited-${Date.now()}@example.com`;
  await runAsOperator(server, 'users.invite', { email, name: 'Invited Person', clientId });
  const { data } = await lastEmailTo(server, email, 'invite');

  await checkPage(t, page, await page.goto(data.link!), 'invitation page');
  await page.getByLabel('Password', { exact: true }).fill(SIGN_UP_PASSWORD);
  await page.getByLabel('The password again').fill('not the same');
  const refused = page.waitForResponse((response) => response.request().method() === 'POST');
  await page.getByRole('button', { name: 'Set password and continue' }).click();
  t.is((await refused).status(), 400);
  await t.notThrowsAsync(
    page
      .getByRole('alert')
      .getByText(/do not match/)
      .waitFor(),
  );
  t.deepEqual(await axeViolations(page), [], 'axe-core finds no violation on the refused invitation form');
  await page.getByLabel('Password', { exact: true }).fill(SIGN_UP_PASSWORD);
  await page.getByLabel('The password again').fill(SIGN_UP_PASSWORD);
  await page.getByRole('button', { name: 'Set password and continue' }).click();
  // the application's home (its first redirect URI's origin): it starts its own sign-in
  await page.waitForURL((url) => url.href === `${new URL(rp.callback).origin}/`);

  // the application starts its sign-in: this browser just chose the password, no form is shown
  const flow = await startAuthorization(page, config, rp.callback);
  await page.waitForURL((url) => url.href.startsWith(`${rp.callback}?`));
  const tokens = await oidc.authorizationCodeGrant(config, new URL(page.url()), {
    pkceCodeVerifier: flow.verifier,
    expectedState: flow.state,
  });
  t.is(tokens.claims()?.email, email);
  t.deepEqual(tokens.claims()?.amr, ['pwd']);
  t.deepEqual(problems, []);
});
