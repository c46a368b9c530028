// Second factors in a real browser (headless Chromium), with openid-client as the relying party: a
// new user is made to enrol an authenticator app and signs in with password + code; a passkey is
// registered and used through Chromium's virtual authenticator; a recovery code works once. The
// relying party sees how the user signed in (amr, acr).
import test, { type ExecutionContext } from 'ava';
import * as oidc from 'openid-client';
import type { Browser, Page } from 'playwright-core';
import { ACR_MFA } from '../../src/accounts/second-factor-requirement.ts';
import { assertPageHardening, launchChromium, openRelyingPartyBrowser, watchPageProblems } from '../helpers/browser.ts';
import { createUser, PASSWORD } from '../helpers/fixtures.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';
import { totpCode } from '../helpers/sign-in-flow.ts';
import { encryptTotpSecret, generateTotpSecret } from '../../src/accounts/totp.ts';

let browser: Browser | undefined;

test.before(async () => {
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
});

/** A server reached as `localhost` (a passkey's relying party must be a host name), a user who must use MFA, a first-party client. */
async function setUp(t: ExecutionContext) {
  const server = await startTestServer(
    BACKENDS.find((backend) => backend.redis)!,
    { publicHost: 'localhost' },
  );
  const opened = await openRelyingPartyBrowser(t, browser!, server, { firstParty: true });
  const user = await createUser(server.db);
  await server.db.query('UPDATE accounts SET mfa_required = true WHERE id = $1', [user.id]);
  return { server, user, ...opened };
}

/** Starts a sign-in and submits the password; resolves on the page that follows. */
async function signInWithPassword(page: Page, config: oidc.Configuration, callback: string, email: string) {
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
  const next = page.waitForResponse(
    (response) => new URL(response.url()).pathname.endsWith('/second-factor') && response.request().method() === 'GET',
  );
  // exact: the page also has "Sign in with a passkey" (the issuer is a host name)
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  return { verifier, state, response: await next };
}

async function tokensAtCallback(page: Page, config: oidc.Configuration, callback: string, flow: { verifier: string; state: string }) {
  await page.waitForURL((url) => url.href.startsWith(`${callback}?`));
  return oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
}

test.serial('a new user is made to enrol an authenticator app, signs in with password + code; a recovery code works once', async (t) => {
  const { rp, context, page, user, config } = await setUp(t);
  const problems = watchPageProblems(page);

  const first = await signInWithPassword(page, config, rp.callback, user.email);
  await t.notThrowsAsync(page.getByRole('heading', { name: 'Set up a second factor' }).waitFor(), 'enrolment comes first');
  await assertPageHardening(t, page, first.response, 'enrolment page');
  t.is(await page.locator('figure.qr svg').count(), 1, 'a QR code');
  const secret = (await page.locator('#totp-secret').innerText()).replace(/\s+/g, '');
  await page.getByLabel('The code the app shows now').fill(totpCode(secret));
  await page.getByRole('button', { name: 'Turn on' }).click();
  await t.notThrowsAsync(page.getByRole('heading', { name: 'Your recovery codes' }).waitFor());
  const codes = await page.locator('#recovery-codes code').allInnerTexts();
  t.is(codes.length, 10);
  await page.getByRole('button', { name: /continue/ }).click();
  const enrolled = await tokensAtCallback(page, config, rp.callback, first);
  t.deepEqual(enrolled.claims()?.amr, ['pwd', 'otp']);
  t.is(enrolled.claims()?.acr, ACR_MFA);

  // the next sign-in asks for a code (a new step, so not the code just used)
  await context.clearCookies();
  const second = await signInWithPassword(page, config, rp.callback, user.email);
  await assertPageHardening(t, page, second.response, 'code page');
  await page.getByLabel('Code from your authenticator app').fill(totpCode(secret, Date.now() + 30_000));
  await page.getByRole('button', { name: 'Verify' }).click();
  t.deepEqual((await tokensAtCallback(page, config, rp.callback, second)).claims()?.amr, ['pwd', 'otp']);

  // a recovery code, once
  for (const attempt of ['first', 'second']) {
    await context.clearCookies();
    const flow = await signInWithPassword(page, config, rp.callback, user.email);
    await page.getByRole('link', { name: 'Use a recovery code' }).click();
    await page.getByLabel('One of your recovery codes').fill(codes[0]!);
    await page.getByRole('button', { name: 'Continue' }).click();
    if (attempt === 'first') {
      t.deepEqual((await tokensAtCallback(page, config, rp.callback, flow)).claims()?.amr, ['pwd', 'otp']);
    } else {
      await t.notThrowsAsync(page.getByRole('alert').waitFor());
      t.regex(await page.getByRole('alert').innerText(), /not valid, or was used already/);
    }
  }
  t.deepEqual(problems, [], 'no CSP violation or script error');
});

test.serial('a passkey is registered and used through the virtual authenticator (amr hwk)', async (t) => {
  const { rp, context, page, user, config } = await setUp(t);
  const problems = watchPageProblems(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  // The virtual authenticator answers the sign-in page's autofill request (conditional mediation) on
  // its own, which would sign in with the passkey alone (test/e2e/passkey-sign-in.test.ts): this test
  // is about the passkey as the second factor, so the browser here offers no autofill.
  await page.addInitScript('PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);');

  const first = await signInWithPassword(page, config, rp.callback, user.email);
  await page.getByLabel('Name of this passkey').fill('Laptop');
  await page.getByRole('button', { name: 'Create a passkey' }).click();
  await t.notThrowsAsync(page.getByRole('heading', { name: 'Your recovery codes' }).waitFor(), 'the passkey is registered');
  await page.getByRole('button', { name: /continue/ }).click();
  const enrolled = await tokensAtCallback(page, config, rp.callback, first);
  t.deepEqual(enrolled.claims()?.amr, ['pwd', 'hwk']);

  await context.clearCookies();
  const second = await signInWithPassword(page, config, rp.callback, user.email);
  await assertPageHardening(t, page, second.response, 'passkey page');
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  const tokens = await tokensAtCallback(page, config, rp.callback, second);
  t.deepEqual(tokens.claims()?.amr, ['pwd', 'hwk']);
  t.is(tokens.claims()?.acr, ACR_MFA);
  t.deepEqual(problems, [], 'no CSP violation or script error');
});

test.serial('the sign-in security page: re-authenticate with a code, add a passkey, re-authenticate with it, remove it', async (t) => {
  const server = await startTestServer(
    BACKENDS.find((backend) => backend.redis)!,
    { publicHost: 'localhost' },
  );
  const context = await browser!.newContext();
  t.teardown(async () => {
    await context.close();
    await server.close();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const problems = watchPageProblems(page);
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  const user = await createUser(server.db);
  const secret = generateTotpSecret();
  await server.db.query('INSERT INTO mfa_totp (account_id, secret_encrypted, confirmed_at) VALUES ($1, $2, now())', [
    user.id,
    encryptTotpSecret(server.portcullis.keys.encryptionKey, user.id, secret),
  ]);
  const securityPage = () =>
    page.waitForResponse((response) => new URL(response.url()).pathname === '/account/security' && response.request().method() === 'GET');
  const signIn = async () => {
    await page.getByLabel('Email').fill(user.email);
    await page.getByLabel('Password').fill(PASSWORD);
    await page.getByRole('button', { name: 'Continue' }).click();
  };

  await assertPageHardening(t, page, await page.goto(`${server.url}/account/security`), 'security sign-in page');
  await signIn();
  await page.getByLabel('Code from your authenticator app').fill(totpCode(secret));
  const shown = securityPage();
  await page.getByRole('button', { name: 'Verify' }).click();
  await assertPageHardening(t, page, await shown, 'security page');
  t.is(await page.locator('#totp-state').innerText(), 'On');

  await page.getByLabel('Name of the new passkey').fill('Laptop');
  await page.getByRole('button', { name: 'Add a passkey' }).click();
  await t.notThrowsAsync(
    page.getByRole('heading', { name: 'Your new recovery codes' }).waitFor(),
    'no codes yet: the new passkey comes with a set',
  );
  t.is(await page.locator('#recovery-codes code').count(), 10);
  await page.getByRole('link', { name: /back to sign-in security/ }).click();
  await t.notThrowsAsync(page.getByText('Laptop').waitFor());

  // signed out of the page, back in with password + the new passkey
  await page.getByRole('button', { name: 'Sign out of this page' }).click();
  await signIn();
  await page.getByRole('button', { name: 'Use a passkey' }).click();
  await t.notThrowsAsync(page.getByRole('button', { name: 'Remove passkey Laptop' }).waitFor(), 'the passkey re-authenticated');
  await page.getByRole('button', { name: 'Remove passkey Laptop' }).click();
  await t.notThrowsAsync(page.getByText('Your passkey was removed.').waitFor());
  t.is(await page.getByText('No passkeys.').count(), 1);

  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ type: string; actor_id: string }>(
    `SELECT type, actor_id FROM audit_events WHERE type IN ('mfa.enrolled', 'mfa.recovery_codes_replaced', 'mfa.removed') ORDER BY seq`,
  );
  t.deepEqual(rows, [
    { type: 'mfa.enrolled', actor_id: user.id },
    { type: 'mfa.recovery_codes_replaced', actor_id: user.id },
    { type: 'mfa.removed', actor_id: user.id },
  ]);
  t.deepEqual(problems, [], 'no CSP violation or script error');
});
