// Signing in with a passkey alone, in headless Chromium with its virtual authenticator (resident keys
// and user verification on), openid-client as the relying party: a user who must use MFA enrols a
// passkey once (with the password), then signs in with nothing but the passkey — by the "Sign in
// with a passkey" button, and through the browser's autofill on the email field — and the ID token
// says how: acr multi-factor, amr [hwk, user]. Without JavaScript the page is the password form.
import test, { type ExecutionContext } from 'ava';
import * as oidc from 'openid-client';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { ACR_MFA } from '../../src/accounts/second-factor-requirement.ts';
import { userHandleFor } from '../../src/accounts/passkeys.ts';
import { listCredentials } from '../../src/storage/webauthn-credentials.ts';
import { axeViolations } from '../helpers/accessibility.ts';
import { assertPageHardening, launchChromium, openRelyingPartyBrowser, watchPageProblems } from '../helpers/browser.ts';
import { createUser, PASSWORD } from '../helpers/fixtures.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';

let browser: Browser | undefined;

test.before(async () => {
  browser = await launchChromium();
});

test.after.always(async () => {
  await browser?.close();
});

async function addVirtualAuthenticator(context: BrowserContext, page: Page) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
    },
  });
  return { cdp, authenticatorId };
}

/** A server reached as `localhost` (a passkey's relying party must be a host name), a user who must use MFA. */
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
  const response = await page.goto(url.href);
  return { verifier, state, response };
}

async function tokensAtCallback(page: Page, config: oidc.Configuration, callback: string, flow: { verifier: string; state: string }) {
  await page.waitForURL((url) => url.href.startsWith(`${callback}?`));
  return oidc.authorizationCodeGrant(config, new URL(page.url()), { pkceCodeVerifier: flow.verifier, expectedState: flow.state });
}

/** The user enrols a passkey during a password sign-in (MFA is required of them, they have no factor). */
async function enrolPasskey(page: Page, config: oidc.Configuration, callback: string, email: string) {
  const flow = await startAuthorization(page, config, callback);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.getByLabel('Name of this passkey').fill('Laptop');
  await page.getByRole('button', { name: 'Create a passkey' }).click();
  await page.getByRole('heading', { name: 'Your recovery codes' }).waitFor();
  await page.getByRole('button', { name: /continue/ }).click();
  return tokensAtCallback(page, config, callback, flow);
}

test.serial('a passkey enrolled once signs in on its own, by the button: acr multi-factor, amr [hwk, user]', async (t) => {
  const { server, rp, context, page, user, config } = await setUp(t);
  const problems = watchPageProblems(page);
  const { cdp, authenticatorId } = await addVirtualAuthenticator(context, page);

  const enrolled = await enrolPasskey(page, config, rp.callback, user.email);
  t.deepEqual(enrolled.claims()?.amr, ['pwd', 'hwk']);
  const [stored] = await listCredentials(server.db, user.id);
  const { credentials } = await cdp.send('WebAuthn.getCredentials', { authenticatorId });
  t.true(credentials[0]!.isResidentCredential, 'the enrolment made a discoverable credential');
  t.is(Buffer.from(credentials[0]!.userHandle!, 'base64').toString('base64url'), userHandleFor(user.id), 'holding the user handle');

  // a new sign-in: no cookies, nothing typed; in a browser without conditional mediation (the
  // virtual authenticator would answer the page's autofill request at once), so the button it is
  await context.clearCookies();
  await page.addInitScript('PublicKeyCredential.isConditionalMediationAvailable = () => Promise.resolve(false);');
  const flow = await startAuthorization(page, config, rp.callback);
  await assertPageHardening(t, page, flow.response, 'sign-in page');
  t.is(await page.getByLabel('Email').getAttribute('autocomplete'), 'username webauthn', 'the email field offers passkeys in autofill');
  t.deepEqual(await axeViolations(page), [], 'axe-core finds no violation on the sign-in page');
  const button = page.getByRole('button', { name: 'Sign in with a passkey' });
  await button.click();
  const tokens = await tokensAtCallback(page, config, rp.callback, flow);
  const claims = tokens.claims()!;
  t.is(claims.sub, user.id);
  t.is(claims.acr, ACR_MFA, 'multi-factor: the MFA the account requires asked for nothing more');
  t.deepEqual(claims.amr, ['hwk', 'user']);
  const after = (await listCredentials(server.db, user.id))[0]!;
  t.true(after.signCount > stored!.signCount, 'the counter moved on');
  t.truthy(after.lastUsedAt);

  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ details: { amr: string[]; passkey?: string } }>(
    `SELECT details FROM audit_events WHERE type = 'login.succeeded' ORDER BY seq`,
  );
  t.deepEqual(rows.at(-1)!.details, { amr: ['hwk', 'user'], passkey: stored!.id }, 'audited with its amr and the passkey used');
  t.deepEqual(problems, [], 'no CSP violation or script error');
});

test.serial('the browser’s autofill offers the passkey (conditional mediation) and signs in with it', async (t) => {
  const { server, rp, context, page, user, config } = await setUp(t);
  const problems = watchPageProblems(page);
  await addVirtualAuthenticator(context, page);
  await enrolPasskey(page, config, rp.callback, user.email);

  await context.clearCookies();
  await page.goto(`${server.url}/static/portcullis.css`);
  t.true(await page.evaluate<boolean>('PublicKeyCredential.isConditionalMediationAvailable()'), 'Chromium offers conditional mediation');
  // Chromium's virtual authenticator answers a conditional request by itself (there is no autofill
  // list to pick from headless): the page's pending autofill request resolves and the form is sent,
  // no button pressed
  const posted = page.waitForRequest((request) => request.method() === 'POST' && new URL(request.url()).pathname.endsWith('/passkey'));
  const flow = await startAuthorization(page, config, rp.callback);
  await posted;
  const tokens = await tokensAtCallback(page, config, rp.callback, flow);
  t.deepEqual(tokens.claims()?.amr, ['hwk', 'user']);
  t.is(tokens.claims()?.acr, ACR_MFA);
  t.deepEqual(problems, []);
});

test.serial('without JavaScript the sign-in page is the password form, and no passkey button is shown', async (t) => {
  const server = await startTestServer(
    BACKENDS.find((backend) => backend.redis)!,
    { publicHost: 'localhost' },
  );
  const { rp, clientId } = await openRelyingPartyBrowser(t, browser!, server, { firstParty: true });
  const context = await browser!.newContext({ javaScriptEnabled: false });
  t.teardown(() => context.close());
  const user = await createUser(server.db);
  const page = await context.newPage();
  const url = new URL(`${server.url}/auth`);
  url.search = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: rp.callback,
    scope: 'openid',
    code_challenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
    code_challenge_method: 'S256',
  }).toString();
  await page.goto(url.href);
  t.false(await page.getByRole('button', { name: 'Sign in with a passkey' }).isVisible(), 'no button that cannot work');
  await page.getByLabel('Email').fill(user.email);
  await page.getByLabel('Password').fill(PASSWORD);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await page.waitForURL((reached) => reached.href.startsWith(`${rp.callback}?`));
  t.truthy(new URL(page.url()).searchParams.get('code'), 'the password path works without JavaScript');
});
