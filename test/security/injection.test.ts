// Attack 9: bad input answered with 500. A NUL byte or a lone surrogate (in a path id, a query, a
// form field or a JSON body) or a body in a charset other than UTF-8 used to reach PostgreSQL, which
// refuses it with an error the server turned into a 500. One guard at the edge now refuses such
// input with a 400 (415 for a charset) in the shape the endpoint speaks, before any store sees it.
// CRLF in parameters that end up near headers (state, redirect_uri) never splits a header either.
import { adminTest } from '../helpers/admin-harness.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { basicAuth, createTestClient, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { pkcePair, UserAgent } from '../helpers/user-agent.ts';

adminTest(
  'a NUL byte or a lone surrogate in an admin path id, query or JSON body is a 400, never a 500',
  async (t, { server, token, bootstrap, call }) => {
    const admin = await token(await bootstrap());
    for (const path of [
      '/users?query=%00',
      '/clients/%00',
      '/resources/%00',
      '/users/%00',
      '/clients/abc%00def',
      '/users?query=%ED%A0%80',
      '/clients/%ED%A0%80',
    ]) {
      const answer = await call('GET', path, { token: admin });
      t.is(answer.status, 400, path);
      t.is(typeof answer.body.error, 'string', `${path}: the admin API's error shape`);
      t.is(typeof answer.body.error_description, 'string');
    }
    for (const name of ['nul\u0000name', 'lone \ud800 surrogate']) {
      const answer = await call('POST', '/clients', {
        token: admin,
        body: JSON.stringify({ name, redirect_uris: [REDIRECT_URI] }),
        headers: { 'content-type': 'application/json' },
      });
      t.is(answer.status, 400, JSON.stringify(name));
    }
    const { rows } = await server.db.query<{ count: string }>('SELECT count(*) AS count FROM clients');
    t.is(Number(rows[0]!.count), 1, 'nothing was written: only the bootstrap client exists');
  },
);

testEachBackend('a NUL byte in a token request or a body declared as UTF-16 gets invalid_request, never a 500', async (t, server) => {
  const client = await createTestClient(server, { grantTypes: ['client_credentials'] });
  const nulId = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', client_id: '\u0000', client_secret: 'x' });
  t.is(nulId.status, 400);
  t.is(nulId.body.error, 'invalid_request');
  const nulScope = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'a\u0000b' }, client);
  t.is(nulScope.status, 400);
  t.is(nulScope.body.error, 'invalid_request');

  for (const charset of ['utf-16', 'UTF-16LE', 'iso-8859-1', 'no-such-charset']) {
    const response = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': `application/x-www-form-urlencoded; charset=${charset}`, authorization: basicAuth(client) },
      body: Buffer.from('grant_type=client_credentials', 'utf16le'),
    });
    t.true(response.status === 415 || response.status === 400, `${charset}: ${response.status}`);
    t.is(((await response.json()) as { error: string }).error, 'invalid_request', charset);
  }
  // a body the guard cannot read before the provider does (no Content-Length) is refused, not let through
  const chunked = await rawRequest(`${server.url}/token`, {
    method: 'POST',
    chunked: true,
    body: 'grant_type=client_credentials&client_id=%00',
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'transfer-encoding': 'chunked' },
  });
  t.true(chunked.status >= 400 && chunked.status < 500, String(chunked.status));
  t.is((JSON.parse(chunked.body) as { error: string }).error, 'invalid_request');
  // the same request without the bad byte still works
  t.is((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, client)).status, 200);
});

testEachBackend("a NUL byte in a page's query or a sign-in form field gets the error page with 400", async (t, server) => {
  const client = await createTestClient(server);
  const query = new URLSearchParams({
    client_id: client.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  });
  const nulQuery = await fetch(`${server.url}/auth?${query}&login_hint=%00`, { headers: { accept: 'text/html' }, redirect: 'manual' });
  t.is(nulQuery.status, 400);
  t.regex(nulQuery.headers.get('content-type') ?? '', /html/);

  const agent = new UserAgent();
  const { response } = await agent.follow(`${server.url}/auth?${query}`);
  const action = new URL(/action="([^"]+\/login)"/.exec(await response.text())![1]!, server.url).toString();
  for (const body of ['email=a%00b%40example.com&password=x', 'email=a%40example.com&password=%ED%A0%80']) {
    const answer = await agent.request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, accept: 'text/html' },
      body,
    });
    t.is(answer.status, 400, body);
    t.regex(await answer.text(), /<html/i);
  }
  const nulPath = await fetch(`${server.url}/interaction/%00/login`, { method: 'POST', headers: { accept: 'text/html' } });
  t.is(nulPath.status, 400);
});

testEachBackend('CRLF in state or redirect_uri never splits a header', async (t, server) => {
  const client = await createTestClient(server);
  const base = {
    client_id: client.clientId,
    response_type: 'code',
    scope: 'openid',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
  };
  const injected = '\r\nSet-Cookie: injected=1\r\nX-Injected: 1';
  const withState = await fetch(
    `${server.url}/auth?${new URLSearchParams({ ...base, redirect_uri: REDIRECT_URI, state: injected, prompt: 'none' })}`,
    { redirect: 'manual' },
  );
  t.true(withState.status < 500, String(withState.status));
  t.is(withState.headers.get('x-injected'), null);
  t.false(withState.headers.getSetCookie().some((cookie) => cookie.startsWith('injected=')));
  t.false(/[\r\n]/.test(withState.headers.get('location') ?? ''));

  const withRedirect = await fetch(`${server.url}/auth?${new URLSearchParams({ ...base, redirect_uri: `${REDIRECT_URI}${injected}` })}`, {
    redirect: 'manual',
    headers: { accept: 'text/html' },
  });
  t.is(withRedirect.status, 400, 'an unregistered redirect_uri is an error page, no redirect');
  t.is(withRedirect.headers.get('location'), null);
  t.is(withRedirect.headers.get('x-injected'), null);
});

// Attack 9, through the Authorization header: HTTP Basic client credentials are base64 of
// `client_id:client_secret`, each part form-urlencoded first (RFC 6749 §2.3.1), so a NUL may hide
// in the base64 or behind a `%00`. Malformed client authentication is invalid_request (RFC 6749
// §5.2), in the endpoint's JSON shape, before any store is asked for such a client.
testEachBackend('a NUL hidden in HTTP Basic client credentials gets invalid_request, never a 500', async (t, server) => {
  const client = await createTestClient(server, { grantTypes: ['client_credentials'] });
  const basic = (text: string) => `Basic ${Buffer.from(text, 'utf8').toString('base64')}`;
  const forged = [
    basic('\u0000:x'),
    basic(`${client.clientId}:a\u0000b`),
    basic('%00:x'),
    basic(`${client.clientId}:%00`),
    basic('a%ED%A0%80:x'),
    `Basic ${Buffer.from([0x61, 0xff, 0x3a, 0x78]).toString('base64')}`,
  ];
  for (const path of ['/token', '/token/introspection', '/token/revocation', '/request']) {
    for (const authorization of forged) {
      const response = await fetch(`${server.url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', authorization },
        body: 'grant_type=client_credentials&token=x&response_type=code',
      });
      t.is(response.status, 400, `${path} ${authorization}`);
      t.is(((await response.json()) as { error: string }).error, 'invalid_request', `${path} ${authorization}`);
    }
  }
  // the genuine credentials still work
  t.is((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, client)).status, 200);
});

// Attack 9, through a JSON escape: `"a\u0000b"` is six plain ASCII bytes on the wire, a NUL only
// once parsed. The guard judges the parsed strings, keys and values at any depth.
adminTest(
  'a NUL written as a JSON escape in an admin body is a 400, and nothing is created',
  async (t, { server, token, bootstrap, call }) => {
    const admin = await token(await bootstrap());
    const bodies = [
      '{"email":"nul@example.com","password":"correct horse battery staple","name":"a\\u0000b"}',
      '{"email":"nul\\u0000@example.com","password":"correct horse battery staple"}',
      '{"email":"nul2@example.com","password":"correct horse battery staple","a\\u0000b":1}',
      '{"email":"nul3@example.com","password":"correct horse battery staple","x":[{"y":["\\u0000"]}]}',
      '{"email":"nul4@example.com","password":"correct horse battery staple","name":"\\ud800"}',
    ];
    for (const body of bodies) {
      const answer = await call('POST', '/users', { token: admin, body, headers: { 'content-type': 'application/json' } });
      t.is(answer.status, 400, body);
      t.is(answer.body.error, 'invalid_request', body);
    }
    const { rows } = await server.db.query<{ count: string }>("SELECT count(*) AS count FROM accounts WHERE email LIKE 'nul%'");
    t.is(Number(rows[0]!.count), 0, 'no user was created');
  },
);

testEachBackend('a NUL behind a Content-Type spelled another way (case, spaces) is still refused, never a 500', async (t, server) => {
  const client = await createTestClient(server, { grantTypes: ['client_credentials'] });
  for (const type of [
    'Application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded ;charset=utf-8',
    'APPLICATION/X-WWW-FORM-URLENCODED',
  ]) {
    const token = await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': type, authorization: basicAuth(client) },
      body: 'grant_type=client_credentials&scope=a%00b',
    });
    t.is(token.status, 400, `/token, ${type}`);
    t.is(((await token.json()) as { error: string }).error, 'invalid_request');
    const page = await fetch(`${server.url}/account/security/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': type, origin: server.url },
      body: 'email=a%00b&password=x',
    });
    t.is(page.status, 400, `account sign-in, ${type}`);
  }
  const utf16 = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': 'Application/X-WWW-Form-Urlencoded; charset=UTF-16', authorization: basicAuth(client) },
    body: 'grant_type=client_credentials',
  });
  t.is(utf16.status, 415, 'another charset, however the type is spelled');
});

testEachBackend(
  'a NUL in a client id read from an unverified JWT (client assertion sub, id_token_hint aud) finds no client, never a 500',
  async (t, server) => {
    const unsigned = (claims: Record<string, unknown>) =>
      `${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.`;
    const assertion = unsigned({ iss: 'a\u0000', sub: 'a\u0000', aud: server.url, exp: Math.floor(Date.now() / 1000) + 60, jti: 'x' });
    const token = await postForm(`${server.url}/token`, {
      grant_type: 'client_credentials',
      client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
      client_assertion: assertion,
    });
    t.true(token.status >= 400 && token.status < 500, `client assertion: ${token.status}`);
    t.is(token.body.error, 'invalid_client');
    const hint = unsigned({ iss: server.url, sub: 'x', aud: 'a\u0000' });
    const logout = await fetch(`${server.url}/session/end?id_token_hint=${hint}`, { redirect: 'manual' });
    t.true(logout.status >= 400 && logout.status < 500, `id_token_hint: ${logout.status}`);
  },
);
