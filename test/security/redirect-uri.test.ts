// Redirect URI manipulation: an attacker edits the redirect_uri (or post_logout_redirect_uri) of a
// legitimate request so the code, or the user, lands on a URL they control, or one a lax comparison
// would take for the registered one. Redirect URIs are compared exactly, as registered (RFC 9700
// §2.1, §4.1.3): every variant is refused with an error page and no redirect at all — an error
// redirect to an unverified URI would itself be an open redirector (§4.11.1).
import { pkcePair, UserAgent } from '../helpers/user-agent.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { authorize } from '../helpers/user-agent.ts';
import { insertClient } from '../../src/storage/clients.ts';

/** The fixture client's post-logout redirect URI (fixtures.ts). */
const POST_LOGOUT_URI = 'http://127.0.0.1:8080/logged-out';

/** Variants of `registered` an attacker might try; none is the registered URI. */
const manipulations = (registered: string): Record<string, string> => {
  const url = new URL(registered);
  const path = url.pathname.slice(1);
  return {
    'upper-case path': registered.replace(path, path[0]!.toUpperCase() + path.slice(1)),
    'upper-case scheme': registered.replace('http:', 'HTTP:'),
    'trailing slash': `${registered}/`,
    'percent-encoded letter': registered.replace(path, `%${path.charCodeAt(0).toString(16)}${path.slice(1)}`),
    'percent-encoded slash': registered.replace(`/${path}`, `%2F${path}`),
    'dot segment': `${url.origin}/x/../${path}`,
    'single-dot segment': `${url.origin}/./${path}`,
    'encoded dot segment': `${url.origin}/x/%2e%2e/${path}`,
    'userinfo pointing at another host': `${url.protocol}//${url.host}@evil.example/${path}`,
    'userinfo before the registered host': `${url.protocol}//attacker@${url.host}/${path}`,
    'backslash authority': `${url.protocol}//${url.host}\\@evil.example/${path}`,
    'registered host as a subdomain prefix': `${url.protocol}//${url.hostname}.evil.example:${url.port}/${path}`,
    'another port': `${url.protocol}//${url.hostname}:${Number(url.port) + 1}/${path}`,
    'port left out': `${url.protocol}//${url.hostname}/${path}`,
    'zero-padded port': `${url.protocol}//${url.hostname}:0${url.port}/${path}`,
    'another loopback name': `${url.protocol}//localhost:${url.port}/${path}`,
    'https instead of http': registered.replace('http:', 'https:'),
    'added query': `${registered}?next=https://evil.example`,
    'empty query': `${registered}?`,
    fragment: `${registered}#evil`,
    'empty fragment': `${registered}#`,
    'extra path segment': `${registered}/evil`,
    'another path': `${url.origin}/evil`,
    'whitespace after': `${registered} `,
    'encoded NUL after': `${registered}%00`,
  };
};

const pkce = () => ({ code_challenge: pkcePair().challenge, code_challenge_method: 'S256' });

testEachBackend(
  'redirect_uri manipulation at /auth: every variant of the registered URI gets an error page, never a redirect',
  async (t, server) => {
    const client = await createTestClient(server);
    const agent = new UserAgent();
    for (const [name, variant] of Object.entries(manipulations(REDIRECT_URI))) {
      const query = new URLSearchParams({
        client_id: client.clientId,
        response_type: 'code',
        redirect_uri: variant,
        scope: 'openid',
        state: 's',
        ...pkce(),
      });
      const answer = await agent.request(`${server.url}/auth?${query}`);
      t.is(answer.status, 400, `${name}: ${variant}`);
      t.is(answer.headers.get('location'), null, `${name}: no redirect`);
      t.regex(await answer.text(), /redirect_uri/, `${name}: the page names the problem`);
    }
    // the registered URI itself still works (the refusals were about the variants)
    const exact = await agent.request(
      `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', ...pkce() })}`,
    );
    t.is(exact.status, 303);
  },
);

testEachBackend(
  'redirect_uri manipulation at /token: a code is redeemed only with the exact redirect_uri it was issued for',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server);
    const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });
    for (const [name, variant] of Object.entries(manipulations(REDIRECT_URI))) {
      const answer = await postForm(
        `${server.url}/token`,
        { grant_type: 'authorization_code', code: flow.code!, redirect_uri: variant, code_verifier: flow.verifier },
        client,
      );
      t.is(answer.body.error, 'invalid_grant', `${name}: ${variant} ${JSON.stringify(answer.body)}`);
      t.is(answer.body.access_token, undefined);
    }
    const missing = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: flow.code!, code_verifier: flow.verifier },
      client,
    );
    t.is(missing.body.access_token, undefined, 'a redirect_uri left out is not the one the code was issued for');
    t.regex(String(missing.body.error), /invalid_request|invalid_grant/);
    // the code was good: with the registered URI it redeems (the refusals were about the variants)
    const exact = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
      client,
    );
    t.is(exact.status, 200, JSON.stringify(exact.body));
  },
);

testEachBackend(
  'post_logout_redirect_uri manipulation: every variant of the registered URI is refused, never redirected to',
  async (t, server) => {
    const client = await createTestClient(server);
    const agent = new UserAgent();
    for (const [name, variant] of Object.entries(manipulations(POST_LOGOUT_URI))) {
      const answer = await agent.request(
        `${server.url}/session/end?${new URLSearchParams({ client_id: client.clientId, post_logout_redirect_uri: variant, state: 's' })}`,
      );
      t.is(answer.status, 400, `${name}: ${variant}`);
      t.is(answer.headers.get('location'), null, `${name}: no redirect`);
      t.regex(await answer.text(), /post_logout_redirect_uri/, name);
    }
    // and with a real session, the manipulated URI is not where the logout ends
    const user = await createUser(server.db);
    const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });
    const tokens = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
      client,
    );
    const hinted = await flow.agent.request(
      `${server.url}/session/end?${new URLSearchParams({ id_token_hint: tokens.body.id_token as string, post_logout_redirect_uri: `${POST_LOGOUT_URI}.evil.example` })}`,
    );
    t.is(hinted.status, 400);
    t.is(hinted.headers.get('location'), null);
  },
);

testEachBackend('CRLF in redirect_uri or post_logout_redirect_uri cannot inject a header or a redirect', async (t, server) => {
  const client = await createTestClient(server);
  const agent = new UserAgent();
  for (const injected of [
    `${REDIRECT_URI}\r\nLocation: https://evil.example/`,
    `${REDIRECT_URI}%0d%0aSet-Cookie:%20pwned=1`,
    `${REDIRECT_URI}\nSet-Cookie: pwned=1`,
  ]) {
    const auth = await agent.request(
      `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: injected, scope: 'openid', ...pkce() })}`,
    );
    t.is(auth.status, 400, JSON.stringify(injected));
    t.is(auth.headers.get('location'), null);
    t.false(auth.headers.getSetCookie().some((cookie) => cookie.startsWith('pwned')));
    const logout = await agent.request(
      `${server.url}/session/end?${new URLSearchParams({ client_id: client.clientId, post_logout_redirect_uri: injected.replace(REDIRECT_URI, POST_LOGOUT_URI) })}`,
    );
    t.is(logout.status, 400, JSON.stringify(injected));
    t.is(logout.headers.get('location'), null);
    t.false(logout.headers.getSetCookie().some((cookie) => cookie.startsWith('pwned')));
  }
});

testEachBackend(
  'a native app’s loopback redirect: any port is accepted (RFC 8252 §7.3), every other manipulation is refused',
  async (t, server) => {
    const clientId = 'native-app';
    await insertClient(server.db, {
      clientId,
      name: 'Native app',
      secretHash: null,
      firstParty: false,
      resources: {},
      metadata: {
        client_name: 'Native app',
        application_type: 'native',
        grant_types: ['authorization_code'],
        response_types: ['code'],
        redirect_uris: [REDIRECT_URI],
        token_endpoint_auth_method: 'none',
      },
    });
    const agent = new UserAgent();
    const ask = (redirectUri: string) =>
      agent.request(
        `${server.url}/auth?${new URLSearchParams({ client_id: clientId, response_type: 'code', redirect_uri: redirectUri, scope: 'openid', ...pkce() })}`,
      );
    const portVariants = new Set(['another port', 'port left out', 'zero-padded port']);
    for (const [name, variant] of Object.entries(manipulations(REDIRECT_URI))) {
      const answer = await ask(variant);
      if (portVariants.has(name)) {
        t.is(answer.status, 303, `${name}: the loopback port is the app's own choice`);
        continue;
      }
      t.is(answer.status, 400, `${name}: ${variant}`);
      t.is(answer.headers.get('location'), null, `${name}: no redirect`);
    }
    for (const variant of [
      'http://evil@127.0.0.1:5000/callback',
      'http://127.0.0.1:5000@evil.example/callback',
      'http://127.0.0.1:5000\\@evil.example/callback',
      'http://localhost:5000/callback',
      'http://[::1]:5000/callback',
      'https://127.0.0.1:5000/callback',
    ]) {
      const answer = await ask(variant);
      t.is(answer.status, 400, variant);
      t.is(answer.headers.get('location'), null, variant);
    }
  },
);
