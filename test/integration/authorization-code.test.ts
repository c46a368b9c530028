import { createLocalJWKSet, decodeJwt, jwtVerify } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { authorize, pkcePair, UserAgent } from '../helpers/user-agent.ts';

const API = 'https://api.example.com';

testEachBackend('code + PKCE: login, consent, tokens, userinfo with only the granted claims', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server);
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid email' });
  t.truthy(flow.code, flow.pages.at(-1));
  t.is(flow.callback?.searchParams.get('iss'), server.url, 'iss in the authorization response');
  t.is(flow.callback?.searchParams.get('state'), flow.state);
  t.true(
    flow.pages.some((page) => page.includes('Allow access?')),
    'third-party client shows consent',
  );

  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  t.is(token.status, 200);
  const idToken = decodeJwt(token.body.id_token as string);
  t.is(idToken.sub, user.id);
  t.is(idToken.aud, client.clientId);
  t.is(idToken.iss, server.url);
  t.is(idToken.name, undefined, 'no profile claim without the profile scope');

  const userinfo = (await (
    await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token.body.access_token as string}` } })
  ).json()) as Record<string, unknown>;
  t.is(userinfo.sub, user.id);
  t.is(userinfo.email, user.email);
  t.false('name' in userinfo, 'profile claims need the profile scope');
  t.is(token.body.refresh_token, undefined, 'no refresh token without offline_access');
});

testEachBackend('the ID token is signed by a published key and verifies, RS256 for a client that chose none', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server);
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email });
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  const jwks = createLocalJWKSet((await (await fetch(`${server.url}/jwks`)).json()) as { keys: [] });
  const { protectedHeader, payload } = await jwtVerify(token.body.id_token as string, jwks, {
    issuer: server.url,
    audience: client.clientId,
  });
  t.is(protectedHeader.alg, 'RS256', 'OpenID Connect Core: RS256 when the client registered no algorithm');
  t.is(payload.sub, user.id);
});

// PKCE downgrades (no challenge, plain, wrong or missing verifier): test/security/pkce-downgrade.test.ts

const pkceFields = () => ({ code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });

testEachBackend('unknown client and unregistered redirect URI get an error page, never a redirect', async (t, server) => {
  const client = await createTestClient(server);
  const agent = new UserAgent();
  const unknown = await agent.request(
    `${server.url}/auth?${new URLSearchParams({ client_id: 'nope', response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', ...pkceFields() })}`,
  );
  t.is(unknown.status, 400);
  t.regex(await unknown.text(), /invalid_client/);
  const wrongUri = await agent.request(
    `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: 'https://evil.example/cb', scope: 'openid', ...pkceFields() })}`,
  );
  t.is(wrongUri.status, 400);
  t.regex(await wrongUri.text(), /redirect_uri/);
  t.is(wrongUri.headers.get('location'), null);
  // exact matching: a prefix or an extra path segment of a registered URI is not the URI
  const prefixed = await agent.request(
    `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: `${REDIRECT_URI}/x`, scope: 'openid', ...pkceFields() })}`,
  );
  t.is(prefixed.status, 400);
});

// A wrong verifier: test/security/pkce-downgrade.test.ts; a reused code: test/security/replay.test.ts.
testEachBackend('a code redeemed with a wrong client secret is refused', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server);
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email });
  const wrongSecret = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    { clientId: client.clientId, clientSecret: 'wrong' },
  );
  t.is(wrongSecret.status, 401);
  t.is(wrongSecret.body.error, 'invalid_client');
});

testEachBackend('a first-party client skips consent; a third-party client can be denied', async (t, server) => {
  const user = await createUser(server.db);
  const firstParty = await createTestClient(server, { firstParty: true });
  const flow = await authorize({ issuer: server.url, clientId: firstParty.clientId, email: user.email, scope: 'openid profile' });
  t.truthy(flow.code);
  t.false(flow.pages.some((page) => page.includes('Allow access?')));

  const thirdParty = await createTestClient(server);
  const denied = await authorize({
    issuer: server.url,
    clientId: thirdParty.clientId,
    email: user.email,
    scope: 'openid profile',
    consent: false,
  });
  t.is(denied.error, 'access_denied');
});

testEachBackend('JWT access token for a resource carries requested ∩ resource ∩ allowed scopes', async (t, server) => {
  await createResource(server.db, API, ['read', 'write', 'admin']);
  const user = await createUser(server.db);
  const client = await createTestClient(server, { resources: { [API]: ['read', 'write'] } });
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid read', resource: API });
  t.truthy(flow.code, flow.pages.at(-1));
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier, resource: API },
    client,
  );
  t.is(token.status, 200, JSON.stringify(token.body));
  const jwks = createLocalJWKSet((await (await fetch(`${server.url}/jwks`)).json()) as { keys: [] });
  const { payload, protectedHeader } = await jwtVerify(token.body.access_token as string, jwks, {
    issuer: server.url,
    audience: API,
    typ: 'at+jwt',
  });
  t.is(protectedHeader.typ, 'at+jwt');
  t.is(payload.scope, 'read');
  t.is(payload.sub, user.id);

  const refused = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid admin',
    resource: API,
  });
  t.is(refused.error, 'invalid_scope', 'a scope the client may not have is refused, not dropped');
});

testEachBackend(
  'prompt=login and max_age=0 force a new login; login_hint fills the email; prompt=none needs a session',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const agent = new UserAgent();
    const none = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid',
      agent,
      extra: { prompt: 'none' },
    });
    t.is(none.error, 'login_required');

    const first = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid', agent });
    t.truthy(first.code);
    t.true(first.pages.some((page) => page.includes('Sign in')));
    const silent = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid',
      agent,
      extra: { prompt: 'none' },
    });
    t.truthy(silent.code, 'an existing session answers prompt=none');
    t.is(silent.pages.length, 0);
    const forced = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid',
      agent,
      extra: { prompt: 'login' },
    });
    t.truthy(forced.code);
    t.true(
      forced.pages.some((page) => page.includes('id="password"')),
      'prompt=login shows the login page again',
    );
    const aged = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid',
      agent,
      extra: { max_age: '0' },
    });
    t.true(
      aged.pages.some((page) => page.includes('id="password"')),
      'max_age=0 shows the login page again',
    );

    const hinted = await new UserAgent().follow(
      `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', login_hint: 'hint@example.com', ...pkceFields() })}`,
    );
    t.regex(await hinted.response.text(), /value="hint@example.com"/);
  },
);

testEachBackend('wrong password and unknown user get the same answer; a disabled user cannot log in', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server);
  const wrong = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, password: 'not the password at all' });
  const unknown = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: 'nobody@example.com',
    password: 'not the password at all',
  });
  t.is(wrong.response.status, 401);
  t.is(unknown.response.status, 401);
  const message = (page: string | undefined) => /<p class="error"[^>]*>([^<]*)</.exec(page ?? '')?.[1];
  t.is(message(wrong.pages.at(-1) ?? (await wrong.response.text())), message(unknown.pages.at(-1) ?? (await unknown.response.text())));
  await server.db.query('UPDATE accounts SET disabled_at = now() WHERE id = $1', [user.id]);
  const disabled = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email });
  t.is(disabled.code, undefined);
});

testEachBackend('login pages carry the security headers and no inline script', async (t, server) => {
  const client = await createTestClient(server);
  const { response } = await new UserAgent().follow(
    `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', ...pkceFields() })}`,
  );
  const html = await response.text();
  t.is(response.status, 200);
  const csp = response.headers.get('content-security-policy') ?? '';
  t.regex(csp, /frame-ancestors 'none'/);
  t.notRegex(csp, /unsafe-inline/);
  t.is(response.headers.get('x-content-type-options'), 'nosniff');
  t.is(response.headers.get('referrer-policy'), 'same-origin');
  t.regex(response.headers.get('cache-control') ?? '', /no-store/);
  t.notRegex(html, /<script/);
  t.regex(html, /<label for="email">/);
  t.regex(html, /<label for="password">/);
});
