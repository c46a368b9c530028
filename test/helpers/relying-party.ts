// What a relying party does after the browser comes back: redeem the code with its PKCE verifier and read what it learns — the ID token's claims and userinfo's answer.
import type { ExecutionContext } from 'ava';
import { decodeJwt } from 'jose';
import { postForm, REDIRECT_URI, type TestClient } from './fixtures.ts';
import type { TestServer } from './server.ts';
import { authorize, type AuthorizeOptions } from './user-agent.ts';

type Flow = Awaited<ReturnType<typeof authorize>>;

/** The token endpoint's answer to redeeming the flow's code. */
export const redeemCode = (server: TestServer, client: TestClient, flow: Flow, extra: Record<string, string> = {}) =>
  postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code ?? '', redirect_uri: REDIRECT_URI, code_verifier: flow.verifier, ...extra },
    client,
  );

/** Signs in, redeems the code: the flow, the ID token's claims, and what userinfo answers with the access token. */
export async function signInAndRead(
  t: ExecutionContext,
  server: TestServer,
  client: TestClient,
  options: Omit<AuthorizeOptions, 'issuer' | 'clientId'>,
) {
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, ...options });
  t.truthy(flow.code, `${String(flow.callback)} ${flow.pages.at(-1)?.slice(0, 300) ?? ''}`);
  const token = await redeemCode(server, client, flow);
  t.is(token.status, 200, JSON.stringify(token.body));
  const userinfo = (await (
    await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token.body.access_token as string}` } })
  ).json()) as Record<string, unknown>;
  return { flow, agent: flow.agent, idToken: decodeJwt(token.body.id_token as string), userinfo };
}
