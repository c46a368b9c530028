// A sign-in form opened once and submitted many times, as an attacker (or a forgetful user) does:
// a failed login re-renders the form under the same interaction.
import { createTestClient, PASSWORD, REDIRECT_URI } from './fixtures.ts';
import type { TestServer } from './server.ts';
import { pkcePair, UserAgent } from './user-agent.ts';

export interface LoginAttempt {
  status: number;
  /** The page's error message, when the form came back. */
  message: string | undefined;
  /** Where a successful login sent the browser (the provider's resume URL). */
  location: string | null;
  headers: Headers;
  body: string;
}

export interface LoginForm {
  submit(email: string, password?: string, headers?: Record<string, string>): Promise<LoginAttempt>;
}

/**
 * Opens the sign-in form of `server` for a new client (or the one given), in a new browser or in
 * `options.agent` (a browser that keeps its cookies between sign-ins; `prompt: 'login'` then asks
 * for the password although it holds a session).
 */
export async function openLoginForm(
  server: TestServer,
  clientId?: string,
  options: { agent?: UserAgent; params?: Record<string, string> } = {},
): Promise<LoginForm> {
  const id = clientId ?? (await createTestClient(server)).clientId;
  const agent = options.agent ?? new UserAgent();
  const query = new URLSearchParams({
    client_id: id,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    ...options.params,
  });
  const { response, url } = await agent.follow(`${server.url}/auth?${query}`);
  const html = await response.text();
  const action = /<form method="post" action="([^"]+\/login)"/.exec(html)?.[1];
  if (!action) throw new Error(`no login form at ${url}`);
  const target = new URL(action.replaceAll('&amp;', '&'), server.url).toString();
  return {
    async submit(email, password = PASSWORD, headers = {}) {
      const response = await agent.request(target, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, ...headers },
        body: new URLSearchParams({ email, password }),
      });
      const body = await response.text();
      return {
        status: response.status,
        message: /<p class="error"[^>]*>([^<]*)</.exec(body)?.[1],
        location: response.headers.get('location'),
        headers: response.headers,
        body,
      };
    },
  };
}
