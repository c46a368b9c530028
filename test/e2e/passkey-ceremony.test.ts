// Real passkey ceremonies in Chromium, against Chromium's virtual authenticator (DevTools protocol
// "WebAuthn" domain): views/static/passkey.js with the @simplewebauthn/browser bundle, on pages that
// carry a CSP without inline script, posting plain forms to a tiny server that uses
// src/accounts/passkeys.ts and the webauthn_credentials store exactly as the sign-in routes will.
// The server listens on 127.0.0.1 but is addressed as http://localhost: browsers refuse IP
// addresses as RP IDs, and treat http://localhost as a secure context (WebAuthn needs one).
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import type { Browser, BrowserContext, CDPSession, Page } from 'playwright-core';
import {
  amrForCredential,
  authenticationOptions,
  credentialIdOf,
  normalizeCredentialName,
  passkeyOptionsJson,
  registrationOptions,
  relyingPartyFor,
  userHandleFor,
  verifyAuthentication,
  verifyRegistration,
  type RelyingParty,
} from '../../src/accounts/passkeys.ts';
import { insertAccount, type Account } from '../../src/storage/accounts.ts';
import type { Database } from '../../src/storage/database.ts';
import { findCredential, insertCredential, listCredentials, recordCredentialUse } from '../../src/storage/webauthn-credentials.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/stores.ts';
import { launchChromium } from '../helpers/browser.ts';

// What the lead's pages get (src/http/security-headers.ts), plus form-action: no inline script at all.
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";
const BUNDLE = new URL('../../node_modules/@simplewebauthn/browser/dist/bundle/index.umd.min.js', import.meta.url);
const PASSKEY_JS = new URL('../../views/static/passkey.js', import.meta.url);

interface Posted {
  path: string;
  fields: Record<string, string>;
  outcome: string;
}

/** The test's stand-in for the sign-in routes: one account, one pending challenge per ceremony. */
class CeremonyServer {
  readonly posts: Posted[] = [];
  readonly rejections: string[] = [];
  readonly failures: unknown[] = [];
  private challenges = new Map<string, string>();
  private server: Server;
  private readonly db: Database;
  private readonly account: Account;
  rp!: RelyingParty;
  url!: string;

  constructor(db: Database, account: Account) {
    this.db = db;
    this.account = account;
    this.server = createServer((request, response) => {
      this.handle(request, response).catch((error: unknown) => {
        this.failures.push(error);
        if (!response.headersSent) response.writeHead(500);
        response.end();
      });
    });
  }

  async start() {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.url = `http://localhost:${(this.server.address() as AddressInfo).port}`;
    this.rp = relyingPartyFor(this.url);
  }

  close() {
    return new Promise<void>((resolve) => {
      this.server.close(() => resolve());
      this.server.closeAllConnections();
    });
  }

  private send(response: ServerResponse, status: number, type: string, body: string | Buffer) {
    response.writeHead(status, {
      'content-type': type,
      'content-security-policy': CSP,
      'cache-control': 'no-store',
      'x-content-type-options': 'nosniff',
    });
    response.end(body);
  }

  private page(response: ServerResponse, title: string, body: string, status = 200) {
    // The scripts sit in <head> without defer on purpose: passkey.js must wait for the form itself.
    this.send(
      response,
      status,
      'text/html; charset=utf-8',
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${title}</title>` +
        `<script src="/static/simplewebauthn-browser.js"></script><script src="/static/passkey.js"></script></head>` +
        `<body><main><h1>${title}</h1>${body}</main></body></html>`,
    );
  }

  private async readForm(request: IncomingMessage): Promise<Record<string, string>> {
    let text = '';
    for await (const chunk of request) text += String(chunk);
    return Object.fromEntries(new URLSearchParams(text));
  }

  private async handle(request: IncomingMessage, response: ServerResponse) {
    const path = new URL(request.url ?? '/', this.url).pathname;
    const key = `${request.method} ${path}`;
    if (key === 'GET /static/simplewebauthn-browser.js') {
      this.send(response, 200, 'text/javascript; charset=utf-8', await readFile(BUNDLE));
      return;
    }
    if (key === 'GET /static/passkey.js') {
      this.send(response, 200, 'text/javascript; charset=utf-8', await readFile(PASSKEY_JS));
      return;
    }

    if (key === 'GET /register') {
      const options = await registrationOptions(this.rp, this.account, await listCredentials(this.db, this.account.id));
      this.challenges.set('register', options.challenge);
      this.page(
        response,
        'Add a passkey',
        `<script type="application/json" id="passkey-options">${passkeyOptionsJson(options)}</script>` +
          `<form method="post" action="/register" data-passkey="register">` +
          `<input type="hidden" name="credential">` +
          `<label for="passkey-name">Name</label><input id="passkey-name" name="name" required>` +
          `<p data-passkey-error role="alert" hidden></p>` +
          `<button type="submit">Add passkey</button></form>`,
      );
      return;
    }
    if (key === 'GET /authenticate') {
      const options = await authenticationOptions(this.rp, await listCredentials(this.db, this.account.id));
      this.challenges.set('authenticate', options.challenge);
      this.page(
        response,
        'Use your passkey',
        `<script type="application/json" id="passkey-options">${passkeyOptionsJson(options)}</script>` +
          `<form method="post" action="/authenticate" data-passkey="authenticate">` +
          `<input type="hidden" name="credential">` +
          `<p data-passkey-error role="alert" hidden></p>` +
          `<button type="submit">Use passkey</button></form>`,
      );
      return;
    }

    const record = (fields: Record<string, string>, outcome: string) => this.posts.push({ path, fields, outcome });
    const log = (reason: string) => this.rejections.push(reason);
    if (key === 'POST /register') {
      const fields = await this.readForm(request);
      // The challenge is single-use: taken out before anything is verified.
      const challenge = this.challenges.get('register') ?? '';
      this.challenges.delete('register');
      const verified = await verifyRegistration(this.rp, fields.credential, challenge, log);
      const name = normalizeCredentialName(fields.name);
      const stored = verified && name ? await insertCredential(this.db, { ...verified, accountId: this.account.id, name }) : undefined;
      record(fields, stored ? 'registered' : 'refused');
      this.page(
        response,
        stored ? 'Passkey added' : 'Passkey refused',
        `<p id="outcome">${stored ? 'registered' : 'refused'}</p>`,
        stored ? 200 : 400,
      );
      return;
    }
    if (key === 'POST /authenticate') {
      const fields = await this.readForm(request);
      const challenge = this.challenges.get('authenticate') ?? '';
      this.challenges.delete('authenticate');
      // Look the credential up among the signing-in account's own, never by id alone.
      const id = credentialIdOf(fields.credential);
      const credential = (await listCredentials(this.db, this.account.id)).find((candidate) => candidate.id === id);
      const verified = credential && (await verifyAuthentication(this.rp, fields.credential, challenge, credential, log));
      const accepted = verified && (await recordCredentialUse(this.db, credential.id, verified.newSignCount));
      const outcome = accepted ? `signed in with ${amrForCredential(credential)}` : 'refused';
      record(fields, outcome);
      this.page(response, accepted ? 'Signed in' : 'Sign-in refused', `<p id="outcome">${outcome}</p>`, accepted ? 200 : 400);
      return;
    }
    // The browser asks for a favicon on its own; answered, so that only real problems are logged.
    if (key === 'GET /favicon.ico') {
      this.send(response, 204, 'image/x-icon', '');
      return;
    }
    this.send(response, 404, 'text/plain', 'not found');
  }
}

let browser: Browser | undefined;
let database: TestDatabase | undefined;

test.before(async () => {
  [browser, database] = await Promise.all([launchChromium(), createTestDatabase('pglite')]);
});

test.after.always(async () => {
  await browser?.close();
  await database?.dispose();
});

/** CSP violations and script errors the page reports. */
function watchPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(message.text());
  });
  page.on('pageerror', (error) => problems.push(error.message));
  return problems;
}

async function virtualAuthenticator(context: BrowserContext, page: Page, options: { backedUp?: boolean } = {}) {
  const cdp: CDPSession = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable');
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      ...(options.backedUp ? { defaultBackupEligibility: true, defaultBackupState: true } : {}),
    },
  });
  const credentials = async () => (await cdp.send('WebAuthn.getCredentials', { authenticatorId })).credentials;
  return { cdp, authenticatorId, credentials };
}

/** Submits the page's passkey form and waits for the page the POST answers with. */
async function submitAndWait(page: Page, button: string, path: string) {
  const answered = page.waitForResponse((response) => new URL(response.url()).pathname === path && response.request().method() === 'POST');
  await page.getByRole('button', { name: button }).click();
  const response = await answered;
  await page.waitForLoadState('domcontentloaded');
  return response;
}

const base64ToBase64url = (value: string) => Buffer.from(value, 'base64').toString('base64url');

/** A ceremony server for a new account, a browser page on it with a virtual authenticator; closed after the test. */
async function openCeremony(
  t: ExecutionContext,
  person: { email: string; name: string | null },
  authenticatorOptions?: Parameters<typeof virtualAuthenticator>[2],
) {
  const db = database!.db;
  const account = await insertAccount(db, { ...person, passwordHash: 'not-used' });
  const server = new CeremonyServer(db, account);
  await server.start();
  const context = await browser!.newContext();
  t.teardown(async () => {
    await context.close();
    await server.close();
  });
  const page = await context.newPage();
  page.setDefaultTimeout(10_000);
  const problems = watchPageProblems(page);
  const authenticator = await virtualAuthenticator(context, page, authenticatorOptions);
  return { db, account, server, page, problems, authenticator };
}

test('register and sign in with a passkey through passkey.js under a strict CSP', async (t) => {
  const { db, account, server, page, problems, authenticator } = await openCeremony(t, { email: 'ada@example.com', name: 'Ada Lovelace' });

  // --- registration --------------------------------------------------------------------------------
  const registerPage = await page.goto(`${server.url}/register`);
  t.is((await registerPage!.allHeaders())['content-security-policy'], CSP);
  t.true(await page.evaluate('window.isSecureContext'), 'http://localhost is a secure context');
  t.is(await page.evaluate('typeof window.SimpleWebAuthnBrowser'), 'object', 'the bundle defines SimpleWebAuthnBrowser');
  t.is(await page.locator('script:not([src]):not([type="application/json"])').count(), 0, 'no inline script');
  await page.getByLabel('Name').fill('  Laptop   key ');
  const registered = await submitAndWait(page, 'Add passkey', '/register');
  t.is(registered.status(), 200, `registered (server said: ${server.rejections.join('; ')})`);
  t.is(await page.locator('#outcome').innerText(), 'registered');

  const [registration] = server.posts;
  t.deepEqual(Object.keys(registration!.fields).sort(), ['credential', 'name'], 'the form posts the credential and the name, nothing else');
  const posted = JSON.parse(registration!.fields.credential!) as { type: string; response: { attestationObject: unknown } };
  t.is(posted.type, 'public-key', 'the credential field holds the browser’s JSON');
  t.is(typeof posted.response.attestationObject, 'string');

  const [stored] = await listCredentials(db, account.id);
  const [virtual] = await authenticator.credentials();
  t.truthy(stored);
  t.is(stored!.id, base64ToBase64url(virtual!.credentialId), 'the stored id is the authenticator’s credential id');
  t.is(stored!.name, 'Laptop key');
  t.is(stored!.deviceType, 'singleDevice');
  t.false(stored!.backedUp);
  t.deepEqual(stored!.transports, ['internal']);
  t.true(virtual!.isResidentCredential, 'residentKey "preferred" made a discoverable credential');
  t.is(base64ToBase64url(virtual!.userHandle!), userHandleFor(account.id), 'the authenticator holds the account’s user handle');

  // --- authentication ------------------------------------------------------------------------------
  for (const round of [1, 2]) {
    const before = (await findCredential(db, stored!.id))!;
    await page.goto(`${server.url}/authenticate`);
    const answered = await submitAndWait(page, 'Use passkey', '/authenticate');
    t.is(answered.status(), 200, `round ${round}: signed in (server said: ${server.rejections.join('; ')})`);
    t.is(await page.locator('#outcome').innerText(), 'signed in with hwk', 'a device-bound credential is a hardware-secured key');
    const after = (await findCredential(db, stored!.id))!;
    const [virtualNow] = await authenticator.credentials();
    t.is(after.signCount, virtualNow!.signCount, `round ${round}: the stored counter is the authenticator’s`);
    t.true(after.signCount > before.signCount, `round ${round}: and it advanced`);
    t.truthy(after.lastUsedAt);
    t.deepEqual(Object.keys(server.posts.at(-1)!.fields), ['credential']);
  }

  // --- a replayed assertion (same challenge, same counter) is refused by the server ------------------
  const lastAssertion = server.posts.at(-1)!.fields.credential!;
  await page.goto(`${server.url}/authenticate`);
  const replay = await page.request.post(`${server.url}/authenticate`, { form: { credential: lastAssertion } });
  t.is(replay.status(), 400, 'a replayed assertion is refused');

  // --- an error is shown, nothing is posted: the authenticator is already registered ---------------
  const postsBefore = server.posts.length;
  await page.goto(`${server.url}/register`);
  await page.getByLabel('Name').fill('Again');
  await page.getByRole('button', { name: 'Add passkey' }).click();
  const alert = page.getByRole('alert');
  await alert.waitFor();
  t.regex(await alert.innerText(), /already holds a passkey/);
  t.is(server.posts.length, postsBefore, 'a failed ceremony posts nothing');
  t.is(await page.locator('input[name="credential"]').inputValue(), '');
  t.true(await page.getByRole('button', { name: 'Add passkey' }).isEnabled(), 'the form can be used again');
  t.is((await listCredentials(db, account.id)).length, 1);

  t.deepEqual(problems, [], 'no CSP violations or script errors');
  t.deepEqual(server.failures, []);
});

test('a synced passkey registers as multiDevice and signs in as swk', async (t) => {
  const { db, account, server, page, problems } = await openCeremony(t, { email: 'grace@example.com', name: null }, { backedUp: true });

  await page.goto(`${server.url}/register`);
  await page.getByLabel('Name').fill('Phone');
  t.is((await submitAndWait(page, 'Add passkey', '/register')).status(), 200, server.rejections.join('; '));
  const [stored] = await listCredentials(db, account.id);
  t.like(stored, { deviceType: 'multiDevice', backedUp: true, name: 'Phone' });

  await page.goto(`${server.url}/authenticate`);
  t.is((await submitAndWait(page, 'Use passkey', '/authenticate')).status(), 200, server.rejections.join('; '));
  t.is(await page.locator('#outcome').innerText(), 'signed in with swk');
  t.deepEqual(problems, []);
  t.deepEqual(server.failures, []);
});
