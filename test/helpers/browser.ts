// What the browser tests share: Chromium's flags, the relying party's own pages, a registered web
// client, and the checks every page of the authorization server must pass in a real browser.
import { randomBytes } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ExecutionContext } from 'ava';
import { chromium, type Browser, type Page, type Response } from 'playwright-core';
import { generateClientSecret, hashClientSecret } from '../../src/security/client-secrets.ts';
import { insertClient } from '../../src/storage/clients.ts';
import * as oidc from 'openid-client';
import type { TestServer } from './server.ts';

/** Debian's Chromium, headless (never a downloaded browser: downloads fail here). */
export const launchChromium = (): Promise<Browser> =>
  chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

/** The relying party's own pages: where the browser lands after sign-in and after sign-out. */
export async function startRelyingPartyPages() {
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://127.0.0.1').pathname;
    const known = path === '/callback' || path === '/logged-out';
    response.writeHead(known ? 200 : 404, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
    response.end(`<!doctype html><title>Relying party</title><p>${known ? `Back at the application (${path})` : 'Not found'}</p>`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    callback: `${base}/callback`,
    loggedOut: `${base}/logged-out`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A confidential web-app client (client_secret_basic) whose URIs point at our RP pages. */
export async function registerWebClient(
  server: TestServer,
  redirectUri: string,
  postLogoutRedirectUri: string,
  options: { firstParty?: boolean } = {},
) {
  const clientId = `e2e-${randomBytes(6).toString('hex')}`;
  const clientSecret = generateClientSecret();
  await insertClient(server.db, {
    clientId,
    name: 'E2E Web App',
    metadata: {
      client_name: 'E2E Web App',
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [redirectUri],
      post_logout_redirect_uris: [postLogoutRedirectUri],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    secretHash: hashClientSecret(server.portcullis.keys.clientSecretKey, clientSecret),
    firstParty: options.firstParty ?? false,
    resources: {},
  });
  return { clientId, clientSecret };
}

/** What a security reviewer checks on an HTML page served by the authorization server. */
export async function assertPageHardening(t: ExecutionContext, page: Page, response: Response | null, label: string) {
  t.truthy(response, `${label}: a navigation response`);
  const headers = await response!.allHeaders();
  const csp = headers['content-security-policy'] ?? '';
  t.not(csp, '', `${label}: has a Content-Security-Policy`);
  t.false(csp.includes("'unsafe-inline'"), `${label}: CSP must not allow inline code (${csp})`);
  t.false(csp.includes("'unsafe-eval'"), `${label}: CSP must not allow eval (${csp})`);
  t.regex(csp, /frame-ancestors 'none'/, `${label}: CSP forbids framing`);
  t.is(headers['x-frame-options']?.toUpperCase(), 'DENY', `${label}: X-Frame-Options`);
  t.regex(headers['cache-control'] ?? '', /no-store/, `${label}: Cache-Control no-store`);
  t.is(headers['x-content-type-options'], 'nosniff', `${label}: nosniff`);
  t.is(headers['referrer-policy'], 'same-origin', `${label}: Referrer-Policy`);
  // a JSON data block (type=application/json) is not executed: it carries the passkey options
  t.is(await page.locator('script:not([src]):not([type="application/json"])').count(), 0, `${label}: no inline script`);
  t.is(await page.locator('[style]').count(), 0, `${label}: no inline style attributes`);

  // Every visible form control has a label a screen reader announces.
  const inputs = page.locator('input:not([type="hidden"]), select, textarea');
  for (let index = 0; index < (await inputs.count()); index++) {
    const input = inputs.nth(index);
    const id = await input.getAttribute('id');
    const name = (await input.getAttribute('name')) ?? `#${index}`;
    const ariaLabel = await input.getAttribute('aria-label');
    const labelText = id ? (await page.locator(`label[for="${id}"]`).allInnerTexts()).join(' ').trim() : '';
    t.true(labelText.length > 0 || Boolean(ariaLabel?.trim()), `${label}: input "${name}" has a label`);
  }
}

/** CSP violations and script errors the user's browser would report. */
export function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' && /Content Security Policy|Refused to/i.test(message.text())) problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

/**
 * A browser context with a page, the relying party's pages and a registered web client whose
 * openid-client configuration is discovered from `server`; all of it (and the server) closed when
 * the test ends.
 */
export async function openRelyingPartyBrowser(
  t: ExecutionContext,
  browser: Browser,
  server: TestServer,
  options: { firstParty?: boolean } = {},
) {
  const rp = await startRelyingPartyPages();
  const context = await browser.newContext();
  t.teardown(async () => {
    await context.close();
    await rp.close();
    await server.close();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const { clientId, clientSecret } = await registerWebClient(server, rp.callback, rp.loggedOut, options);
  const config = await oidc.discovery(new URL(server.url), clientId, undefined, oidc.ClientSecretBasic(clientSecret), {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- marked so to stand out; tests use http on localhost
    execute: [oidc.allowInsecureRequests],
  });
  return { rp, context, page, clientId, config };
}
