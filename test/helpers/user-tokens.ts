// A browser signs a user in to a client (authorization code + PKCE through the real pages) and the
// client redeems the code: the tokens an application holds for that user.
import { postForm, REDIRECT_URI, type TestClient } from './fixtures.ts';
import type { TestServer } from './server.ts';
import { authorize, type UserAgent } from './user-agent.ts';

export interface SignInOptions {
  password?: string;
  /** default `openid offline_access`: a refresh token too */
  scope?: string;
  resource?: string;
  agent?: UserAgent;
}

/** The client's tokens for `email` (a refresh token when the scope has offline_access); undefined when the sign-in is refused (a redemption refused throws). */
export async function signInForTokens(server: TestServer, client: TestClient, email: string, options: SignInOptions = {}) {
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email,
    scope: options.scope ?? 'openid offline_access',
    ...(options.password ? { password: options.password } : {}),
    ...(options.resource ? { resource: options.resource } : {}),
    ...(options.agent ? { agent: options.agent } : {}),
  });
  if (!flow.code) return undefined;
  const answer = await postForm(
    `${server.url}/token`,
    {
      grant_type: 'authorization_code',
      code: flow.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: flow.verifier,
      ...(options.resource ? { resource: options.resource } : {}),
    },
    client,
  );
  if (answer.status !== 200) throw new Error(`token: ${JSON.stringify(answer.body)}`);
  return {
    agent: flow.agent,
    accessToken: answer.body.access_token as string,
    refreshToken: answer.body.refresh_token as string | undefined,
  };
}
