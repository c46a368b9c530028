// Attack: breaking the nonce binding. A relying party sends a fresh `nonce` with each sign-in and
// accepts an ID token only if it carries exactly that nonce back: that is what stops an injected or
// replayed code or ID token (OpenID Connect Core §3.1.2.1, §15.5.2). So the server must return the
// nonce of the request the code was issued for, byte for byte: never an earlier one of the same
// session or grant, never one an attacker adds at the token endpoint, and on a refresh-issued ID token
// either none or that same one (Core §12.2). Ambiguous requests (the nonce twice) are refused, and
// a nonce past the request's size limit or with a NUL byte gets a 4xx, never a 500.
// The nonce that pkce-optional clients must send: test/security/pkce-optional-abuse.test.ts.
import type { ExecutionContext } from 'ava';
import { decodeJwt } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { basicAuth, createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize, pkcePair, UserAgent, type AuthorizeOptions } from '../helpers/user-agent.ts';

async function signIn(
  t: ExecutionContext,
  server: TestServer,
  client: TestClient,
  options: Omit<AuthorizeOptions, 'issuer' | 'clientId'>,
  tokenExtra: Record<string, string> = {},
) {
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, ...options });
  t.truthy(flow.code, `${flow.callback} ${flow.pages.at(-1)?.slice(0, 300)}`);
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier, ...tokenExtra },
    client,
  );
  t.is(token.status, 200, JSON.stringify(token.body));
  return { flow, token, idToken: decodeJwt(token.body.id_token as string) };
}

const authorizationQuery = (client: TestClient) =>
  new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    state: 's',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  });

testEachBackend(
  'nonce: each ID token carries exactly the nonce of its own request, never an earlier one nor one added at /token',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const agent = new UserAgent();
    // what relying parties send: random base64url; and legal but unusual strings that a lax server could normalise
    const nonces = ['n-0S6_WzA2Mj', ' padded nonce ', 'é☃ unicode', 'line\r\nbreak', 'x'.repeat(2048)];
    for (const nonce of nonces) {
      const { idToken } = await signIn(t, server, client, { email: user.email, scope: 'openid', agent, extra: { nonce } });
      t.is(idToken.nonce, nonce, `returned byte for byte: ${JSON.stringify(nonce.slice(0, 20))}`);
    }

    // the same session and grant, a request without a nonce: the ID token has none (not the last one)
    const without = await signIn(t, server, client, { email: user.email, scope: 'openid', agent, extra: { prompt: 'none' } });
    t.false('nonce' in without.idToken, 'no nonce asked, none returned');

    // an attacker redeeming a code they injected cannot choose the nonce the ID token carries
    const injected = await signIn(
      t,
      server,
      client,
      { email: user.email, scope: 'openid', agent, extra: { nonce: 'victim-nonce', prompt: 'none' } },
      { nonce: 'attacker-nonce' },
    );
    t.is(injected.idToken.nonce, 'victim-nonce', 'the nonce is bound to the code at /auth; /token ignores one sent there');
  },
);

testEachBackend(
  'nonce: an ID token issued from a refresh token carries the original nonce or none, never a later one',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const agent = new UserAgent();
    const first = await signIn(t, server, client, {
      email: user.email,
      scope: 'openid offline_access',
      agent,
      extra: { nonce: 'nonce-one' },
    });
    t.is(first.idToken.nonce, 'nonce-one');
    // a second sign-in of the same user, client and grant, with another nonce
    const second = await signIn(t, server, client, {
      email: user.email,
      scope: 'openid offline_access',
      agent,
      extra: { nonce: 'nonce-two' },
    });
    t.is(second.idToken.nonce, 'nonce-two');

    for (const [earlier, nonce] of [
      [first, 'nonce-one'],
      [second, 'nonce-two'],
    ] as const) {
      const refreshed = await postForm(
        `${server.url}/token`,
        { grant_type: 'refresh_token', refresh_token: earlier.token.body.refresh_token as string },
        client,
      );
      t.is(refreshed.status, 200, JSON.stringify(refreshed.body));
      const idToken = decodeJwt(refreshed.body.id_token as string);
      t.true(!('nonce' in idToken) || idToken.nonce === nonce, `refresh of the ${nonce} sign-in: ${String(idToken.nonce)}`);
      // and a nonce sent with the refresh request is not taken either
      const withNonce = await postForm(
        `${server.url}/token`,
        { grant_type: 'refresh_token', refresh_token: earlier.token.body.refresh_token as string, nonce: 'attacker-nonce' },
        client,
      );
      t.is(withNonce.status, 200, JSON.stringify(withNonce.body));
      t.not(decodeJwt(withNonce.body.id_token as string).nonce, 'attacker-nonce');
    }
  },
);

testEachBackend('nonce sent twice is refused with invalid_request, at /auth and at the PAR endpoint', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server, { firstParty: true });
  const agent = new UserAgent();
  await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid', agent }); // a session, so only the nonce can stop it

  const query = authorizationQuery(client);
  query.append('nonce', 'relying-party-nonce');
  query.append('nonce', 'attacker-nonce');
  const answer = await agent.request(`${server.url}/auth?${query}`);
  const callback = new URL(answer.headers.get('location') ?? '', server.url);
  t.is(`${callback.origin}${callback.pathname}`, REDIRECT_URI, 'the error goes back to the client');
  t.is(callback.searchParams.get('code'), null, 'no code for an ambiguous nonce');
  t.is(callback.searchParams.get('error'), 'invalid_request');
  t.regex(callback.searchParams.get('error_description') ?? '', /nonce/);

  const body = authorizationQuery(client);
  body.append('nonce', 'relying-party-nonce');
  body.append('nonce', 'attacker-nonce');
  const pushed = await fetch(`${server.url}/request`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(client) },
    body,
  });
  const error = (await pushed.json()) as Record<string, string>;
  t.is(pushed.status, 400);
  t.is(error.error, 'invalid_request');
  t.regex(error.error_description ?? '', /nonce/);
});

testEachBackend('nonce past the size limits or with a NUL byte or invalid UTF-8: a 4xx that says why, never a 500', async (t, server) => {
  const client = await createTestClient(server, { firstParty: true });
  const agent = new UserAgent();
  const withNonce = (nonce: string) => {
    const query = authorizationQuery(client);
    query.set('nonce', nonce);
    return `${server.url}/auth?${query}`;
  };

  // past Node's 16 KiB request head: refused before any of it is processed
  const huge = await agent.request(withNonce('n'.repeat(20_000)));
  t.is(huge.status, 431);
  t.is(huge.headers.get('location'), null);

  for (const [name, url] of Object.entries({ 'a NUL byte': withNonce('a\u0000b'), 'invalid UTF-8': `${withNonce('x')}&nonce=%FF%FE` })) {
    const answer = await agent.request(url);
    const text = await answer.text();
    t.is(answer.status, 400, name);
    t.is(answer.headers.get('location'), null, `${name}: not passed on to the client`);
    t.regex(text, /invalid_request/, name);
    t.regex(text, /NUL character|UTF-8/, `${name}: the error says what is wrong`);
  }

  // the same at the PAR endpoint, whose body limit is the token endpoint's
  const nul = await postForm(`${server.url}/request`, { ...Object.fromEntries(authorizationQuery(client)), nonce: 'a\u0000b' }, client);
  t.is(nul.status, 400);
  t.is(nul.body.error, 'invalid_request');
  const oversized = await postForm(
    `${server.url}/request`,
    { ...Object.fromEntries(authorizationQuery(client)), nonce: 'n'.repeat(300 * 1024) },
    client,
  );
  t.is(oversized.status, 413);
  t.is(typeof oversized.body.error, 'string');

  t.is((await fetch(`${server.url}/healthz`)).status, 200, 'the server still answers');
});
