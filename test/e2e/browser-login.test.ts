// A real browser (headless Chromium via playwright-core) signs a user in through the login and
// consent pages, while openid-client — a relying party nobody here wrote — drives the protocol:
// authorization code + PKCE (S256), token exchange, ID token checks, userinfo, refresh, then
// RP-initiated logout, after which the browser must be asked to sign in again.
import test, { type ExecutionContext } from 'ava';
import * as oidc from 'openid-client';
import type { Browser } from 'playwright-core';
import { assertPageHardening, launchChromium, openRelyingPartyBrowser, watchPageProblems } from '../helpers/browser.ts';
import { createUser, PASSWORD } from '../helpers/fixtures.ts';
import { BACKENDS, startTestServer, type BackendSetup } from '../helpers/server.ts';

let browser: Browser | undefined;

test.before(async () => {
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
});

/** An authorization request for `openid email` whose code is never redeemed (a fixed PKCE challenge). */
function simpleAuthorizationUrl(config: oidc.Configuration, redirectUri: string, prompt?: string): string {
  return oidc.buildAuthorizationUrl(config, {
    redirect_uri: redirectUri,
    scope: 'openid email',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
    state: oidc.randomState(),
    ...(prompt ? { prompt } : {}),
  }).href;
}

/** A fresh server, relying-party pages, browser page, user and registered client for one test. */
async function setUpBrowserTest(t: ExecutionContext, backend: BackendSetup) {
  const server = await startTestServer(backend);
  const { rp, page, clientId, config } = await openRelyingPartyBrowser(t, browser!, server);
  const user = await createUser(server.db);
  return { server, rp, page, user, clientId, config };
}

async function browserLoginFlow(t: ExecutionContext, backend: BackendSetup) {
  const { server, rp, page, user, clientId, config } = await setUpBrowserTest(t, backend);
  const problems = watchPageProblems(page);
  const isCallback = (url: URL) => url.href.startsWith(`${rp.callback}?`);
  const isLoggedOut = (url: URL) => url.href.startsWith(rp.loggedOut);
  t.is(config.serverMetadata().issuer, server.url);

  // --- authorization code + PKCE, through the login and consent pages ---------------------------
  const verifier = oidc.randomPKCECodeVerifier();
  const state = oidc.randomState();
  const authorizationUrl = oidc.buildAuthorizationUrl(config, {
    redirect_uri: rp.callback,
    scope: 'openid profile email offline_access',
    code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    state,
    prompt: 'consent', // OIDC: offline_access is only honoured together with prompt=consent
    max_age: '600', // the ID token must then carry auth_time (openid-client checks it)
  });

  const loginResponse = await page.goto(authorizationUrl.href);
  await t.notThrowsAsync(page.getByRole('heading', { name: 'Sign in' }).waitFor(), 'the login page is shown');
  t.regex(page.url(), new RegExp(`^${server.url}/interaction/`));
  await assertPageHardening(t, page, loginResponse, 'login page');

  // A wrong password keeps the user on the login page with an announced error.
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill('not the password at all');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await t.notThrowsAsync(page.getByRole('alert').waitFor(), 'a failed login shows an error');
  t.regex(await page.getByRole('alert').innerText(), /Incorrect email or password/);

  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(PASSWORD);
  const consentNavigation = page.waitForResponse(
    (response) => /\/interaction\/[^/]+$/.test(new URL(response.url()).pathname) && response.request().method() === 'GET',
  );
  await page.getByRole('button', { name: 'Sign in' }).click();
  const consentResponse = await consentNavigation;
  await t.notThrowsAsync(page.getByRole('button', { name: 'Allow' }).waitFor(), 'the consent page is shown');
  t.truthy(await page.getByText('E2E Web App').count(), 'consent names the application');
  await assertPageHardening(t, page, consentResponse, 'consent page');

  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(isCallback);
  const callbackUrl = new URL(page.url());
  t.is(callbackUrl.searchParams.get('iss'), server.url, 'RFC 9207 iss in the authorization response');

  // --- token exchange and ID token ------------------------------------------------------------
  const tokens = await oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: verifier, expectedState: state, maxAge: 600 });
  t.is(tokens.token_type.toLowerCase(), 'bearer');
  t.truthy(tokens.access_token);
  t.truthy(tokens.refresh_token, 'offline_access yields a refresh token');
  t.truthy(tokens.id_token);
  const claims = tokens.claims()!;
  t.is(claims.iss, server.url);
  t.deepEqual([claims.aud].flat(), [clientId]);
  t.is(claims.sub, user.id);
  t.true(typeof claims.exp === 'number' && claims.exp > Date.now() / 1000);
  t.true(typeof claims.auth_time === 'number' && claims.auth_time <= claims.iat, 'auth_time, requested by max_age');

  // --- userinfo --------------------------------------------------------------------------------
  const userinfo = await oidc.fetchUserInfo(config, tokens.access_token, claims.sub);
  t.is(userinfo.sub, user.id);
  t.is(userinfo.email, user.email);
  t.is(userinfo.email_verified, true);
  t.is(userinfo.name, 'Test User');

  // --- refresh ---------------------------------------------------------------------------------
  const refreshed = await oidc.refreshTokenGrant(config, tokens.refresh_token!);
  t.truthy(refreshed.access_token);
  t.not(refreshed.access_token, tokens.access_token);
  t.is(refreshed.claims()?.sub, user.id, 'the refreshed ID token is for the same user');
  t.is((await oidc.fetchUserInfo(config, refreshed.access_token, user.id)).email, user.email);

  // --- single sign-on: while the session lives, prompt=none gets a code without any page --------
  const silentUrl = () => simpleAuthorizationUrl(config, rp.callback, 'none');
  await page.goto(silentUrl());
  await page.waitForURL(isCallback);
  t.truthy(new URL(page.url()).searchParams.get('code'), 'the live session signs in silently');

  // --- RP-initiated logout -------------------------------------------------------------------
  const logoutState = oidc.randomState();
  const endSessionUrl = oidc.buildEndSessionUrl(config, {
    id_token_hint: refreshed.id_token ?? tokens.id_token!,
    post_logout_redirect_uri: rp.loggedOut,
    state: logoutState,
  });
  const logoutResponse = await page.goto(endSessionUrl.href);
  await t.notThrowsAsync(page.getByRole('button', { name: 'Sign out' }).waitFor(), 'the logout confirmation is shown');
  await assertPageHardening(t, page, logoutResponse, 'logout page');
  await page.getByRole('button', { name: 'Sign out' }).click();
  await page.waitForURL(isLoggedOut);
  t.is(new URL(page.url()).searchParams.get('state'), logoutState, 'the logout state comes back to the RP');

  // --- the session is gone: silent sign-in fails, a new request asks for the password ---------
  await page.goto(silentUrl());
  await page.waitForURL(isCallback);
  t.is(new URL(page.url()).searchParams.get('error'), 'login_required');

  await page.goto(
    oidc.buildAuthorizationUrl(config, {
      redirect_uri: rp.callback,
      scope: 'openid email',
      code_challenge: await oidc.calculatePKCECodeChallenge(oidc.randomPKCECodeVerifier()),
      code_challenge_method: 'S256',
      state: oidc.randomState(),
    }).href,
  );
  await t.notThrowsAsync(page.getByLabel('Password').waitFor(), 'after logout the login page is shown again');
  t.regex(page.url(), new RegExp(`^${server.url}/interaction/`));

  t.deepEqual(problems, [], 'no CSP violations or script errors in the browser');

  // --- the audit trail tells the same story, with the right actor, client and IP ------------------
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{
    type: string;
    actor_id: string | null;
    client_id: string | null;
    ip: string | null;
    details: Record<string, unknown>;
  }>('SELECT type, actor_id, client_id, ip, details FROM audit_events ORDER BY seq');
  const story = ['login.failed', 'login.succeeded', 'consent.granted', 'token.issued', 'token.issued', 'logout'];
  let next = 0;
  for (const row of rows) if (row.type === story[next]) next++;
  t.is(next, story.length, `audit events in order: ${rows.map((row) => row.type).join(', ')}`);
  const succeeded = rows.find((row) => row.type === 'login.succeeded')!;
  t.is(succeeded.actor_id, user.id);
  t.is(succeeded.client_id, clientId);
  t.regex(succeeded.ip ?? '', /127\.0\.0\.1/);
  t.deepEqual(
    rows.filter((row) => row.type === 'token.issued').map((row) => row.details.grantType),
    ['authorization_code', 'refresh_token'],
  );
}

/** Cancelling at the login page or denying at the consent page sends access_denied back to the RP. */
async function browserRefusalFlow(t: ExecutionContext, backend: BackendSetup) {
  const { rp, page, user, config } = await setUpBrowserTest(t, backend);
  const start = async () => {
    const verifier = oidc.randomPKCECodeVerifier();
    const state = oidc.randomState();
    await page.goto(
      oidc.buildAuthorizationUrl(config, {
        redirect_uri: rp.callback,
        scope: 'openid email',
        code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
        code_challenge_method: 'S256',
        state,
      }).href,
    );
    return { verifier, state };
  };
  const expectAccessDenied = async (checks: { verifier: string; state: string }, label: string) => {
    await page.waitForURL((url) => url.href.startsWith(`${rp.callback}?`));
    const callbackUrl = new URL(page.url());
    t.is(callbackUrl.searchParams.get('error'), 'access_denied', label);
    t.is(callbackUrl.searchParams.get('code'), null, label);
    const error = await t.throwsAsync(
      oidc.authorizationCodeGrant(config, callbackUrl, { pkceCodeVerifier: checks.verifier, expectedState: checks.state }),
    );
    t.is((error as { error?: string } | undefined)?.error, 'access_denied', `${label}: openid-client reports access_denied`);
  };

  const cancelled = await start();
  await page.getByRole('button', { name: 'Cancel' }).click();
  await expectAccessDenied(cancelled, 'cancel at login');

  const denied = await start();
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Deny' }).click();
  await expectAccessDenied(denied, 'deny at consent');
}

// On the logout confirmation, "Stay signed in" keeps the session — rightly — and the page must not
// claim otherwise: a user who misclicked on a shared computer must not walk away believing they
// are signed out.
test('"Stay signed in" keeps the session and does not claim the user is signed out (pglite)', async (t) => {
  const { server, rp, page, user, config } = await setUpBrowserTest(t, BACKENDS[0]!);
  const authorizationUrl = (prompt?: string) => simpleAuthorizationUrl(config, rp.callback, prompt);
  const isCallback = (url: URL) => url.href.startsWith(`${rp.callback}?`);

  await page.goto(authorizationUrl());
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL(isCallback);

  await page.goto(`${server.url}/session/end`);
  await page.getByRole('button', { name: 'Stay signed in' }).click();
  await page.waitForURL((url) => url.pathname !== '/session/end');
  const shown = await page.locator('main').innerText();

  await page.goto(authorizationUrl('none'));
  await page.waitForURL(isCallback);
  t.truthy(new URL(page.url()).searchParams.get('code'), 'the session is still there');
  t.notRegex(shown, /signed out/i, 'the page after "Stay signed in" must not say the user is signed out');
});

for (const backend of BACKENDS) {
  test(`browser login, consent, tokens, userinfo, refresh and logout (${backend.name})`, browserLoginFlow, backend);
  test(`browser cancel at login and deny at consent (${backend.name})`, browserRefusalFlow, backend);
}
