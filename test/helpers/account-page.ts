// A browser on the user's account page (/account): re-authenticated through the security page's
// sign-in (which brings it back), with the change posts sent as they are, and what tests check
// afterwards (audit events, whether a refresh token still works).
import { PASSWORD, postForm, type TestClient } from './fixtures.ts';
import type { TestServer } from './server.ts';
import { SignIn, totpCode } from './sign-in-flow.ts';
import type { UserAgent } from './user-agent.ts';

export const ACCOUNT = '/account';

/** A browser (cookies kept, redirects followed) that opened /account; `agent`: one that signed in to apps before. */
export async function openAccount(server: TestServer, agent?: UserAgent): Promise<SignIn> {
  const browser = new SignIn(server.url, agent);
  await browser.go(`${server.url}${ACCOUNT}`);
  return browser;
}

/** A browser proven on /account: the password, then (for an account with one) a TOTP code. */
export async function reauthenticate(
  server: TestServer,
  email: string,
  options: { secret?: string; agent?: UserAgent; password?: string } = {},
): Promise<SignIn> {
  const browser = await openAccount(server, options.agent);
  // the form's hidden field, as a browser sends it: back to /account once proven
  await browser.submit('/account/security/sign-in', { email, password: options.password ?? PASSWORD, then: ACCOUNT });
  if (options.secret) await browser.submit('/account/security/totp', { code: totpCode(options.secret) });
  return browser;
}

/** A POST sent as is (no redirect followed), from our own origin unless `origin` says otherwise. */
export async function post(browser: SignIn, path: string, fields: Record<string, string> = {}, origin = browser.issuer) {
  const response = await browser.agent.request(`${browser.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams(fields),
  });
  return { status: response.status, location: response.headers.get('location'), html: await response.text() };
}

export async function auditEvents(server: TestServer, type: string) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{
    actor_type: string;
    actor_id: string;
    target_id: string;
    ip: string | null;
    details: Record<string, unknown>;
  }>('SELECT actor_type, actor_id, target_id, ip, details FROM audit_events WHERE type = $1 ORDER BY seq', [type]);
  return rows;
}

/** Whether the client can still use this refresh token (it is rotated when it works: the new one is returned). */
export async function refresh(server: TestServer, client: TestClient, refreshToken: string) {
  const answer = await postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
  return { ok: answer.status === 200, refreshToken: answer.body.refresh_token as string | undefined, error: answer.body.error };
}

/** The link of the last email-change email to `to`, as a path with its query. */
export function pathOf(link: string): string {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}
