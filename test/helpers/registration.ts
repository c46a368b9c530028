// The registration pages as a browser uses them (sign-up, the verification link, an invitation), for
// the integration and security tests: forms posted from the server's own origin, unless told otherwise.
import { lastEmailTo } from './outbox.ts';
import type { TestServer } from './server.ts';
import { UserAgent } from './user-agent.ts';

export const SIGN_UP_PASSWORD = 'lanterns drift over quiet harbours';

export interface PageAnswer {
  status: number;
  body: string;
  headers: Headers;
  location: string | null;
}

async function answerOf(response: Response): Promise<PageAnswer> {
  return { status: response.status, body: await response.text(), headers: response.headers, location: response.headers.get('location') };
}

export async function getPage(agent: UserAgent, url: string): Promise<PageAnswer> {
  return answerOf(await agent.request(url));
}

export async function postPage(
  server: TestServer,
  agent: UserAgent,
  path: string,
  form: Record<string, string> | string,
  headers: Record<string, string> = {},
): Promise<PageAnswer> {
  return answerOf(
    await agent.request(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, ...headers },
      body: typeof form === 'string' ? form : new URLSearchParams(form),
    }),
  );
}

export function signUp(
  server: TestServer,
  fields: { email: string; name?: string; password?: string; confirmation?: string; uid?: string },
  agent = new UserAgent(),
  headers: Record<string, string> = {},
): Promise<PageAnswer> {
  const password = fields.password ?? SIGN_UP_PASSWORD;
  return postPage(
    server,
    agent,
    '/account/sign-up',
    {
      email: fields.email,
      name: fields.name ?? 'Ada Example',
      password,
      confirmation: fields.confirmation ?? password,
      ...(fields.uid ? { uid: fields.uid } : {}),
    },
    headers,
  );
}

/** The token of the last link of `template` queued for `email`. */
export async function lastLinkToken(server: TestServer, email: string, template: 'verify-email' | 'invite'): Promise<string> {
  const { data } = await lastEmailTo(server, email, template);
  const token = new URL(data.link!).searchParams.get('token');
  if (!token) throw new Error(`the ${template} email has no token`);
  return token;
}

export const verifyEmail = (server: TestServer, token: string, agent = new UserAgent()) =>
  postPage(server, agent, '/account/verify-email', { token });

/** The hidden field of a form in `html`. */
export const hiddenField = (html: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(html)?.[1];
