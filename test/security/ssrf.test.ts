// SSRF: the server's own outbound requests — a private_key_jwt client's `jwks_uri`, a client's
// `backchannel_logout_uri` — aimed at loopback, private, link-local or metadata addresses. They are
// refused when fetched, before any connection is made, whatever was accepted at registration
// (DNS can change after it). Tests can only listen on loopback: the integration tests below show the
// refusal there (by literal address and by a name that resolves to it); the unit tests of the
// address classifier and of the outbound fetch cover the other ranges and resolved names.
import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Server } from 'node:net';
import test, { type ExecutionContext } from 'ava';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize } from '../helpers/user-agent.ts';
import { insertClient } from '../../src/storage/clients.ts';
import { serverUriProblem } from '../../src/admin/clients/client-input.ts';
import { classifyAddress, createOutboundFetch, OutboundRequestRefused, type AddressLookup } from '../../src/oidc/outbound-requests.ts';

/** A TCP listener on loopback that counts the connections it receives (TLS or not). */
async function connectionCounter(t: ExecutionContext, host = '127.0.0.1'): Promise<{ port: number; connections: () => number }> {
  let connections = 0;
  const listener: Server = createNetServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => listener.listen(0, host, resolve));
  t.teardown(() => listener.close());
  return { port: (listener.address() as AddressInfo).port, connections: () => connections };
}

/** A private_key_jwt client whose keys are at `jwksUri`; returns its id and a fresh client assertion. */
async function privateKeyJwtClient(server: TestServer, jwksUri: string) {
  const { privateKey, publicKey } = await generateKeyPair('ES256');
  const clientId = `jwt-client-${randomBytes(6).toString('hex')}`;
  await insertClient(server.db, {
    clientId,
    name: clientId,
    metadata: {
      client_name: clientId,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks_uri: jwksUri,
    },
    secretHash: null,
    firstParty: false,
    resources: {},
  });
  const assertion = () =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
      .setIssuer(clientId)
      .setSubject(clientId)
      .setAudience(server.url)
      .setJti(randomBytes(12).toString('hex'))
      .setIssuedAt()
      .setExpirationTime('1m')
      .sign(privateKey);
  const jwks = { keys: [{ ...(await exportJWK(publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }] };
  return { clientId, assertion, jwks };
}

const tokenWithAssertion = async (server: TestServer, clientId: string, assertion: string) =>
  postForm(`${server.url}/token`, {
    grant_type: 'client_credentials',
    client_id: clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });

for (const [label, uri] of [
  ['a loopback address', (port: number) => `https://127.0.0.1:${port}/jwks`],
  ['another loopback address (127.0.0.0/8)', (port: number) => `http://127.1.2.3:${port}/jwks`],
  ['a name that resolves to loopback (localhost)', (port: number) => `https://localhost:${port}/jwks`],
] as const) {
  testEachBackend(
    `a jwks_uri on ${label} is refused when fetched: no connection is made, the client is not authenticated`,
    async (t, server) => {
      const target = await connectionCounter(t, label.startsWith('another') ? '127.1.2.3' : '127.0.0.1');
      const client = await privateKeyJwtClient(server, uri(target.port));
      const answer = await tokenWithAssertion(server, client.clientId, await client.assertion());
      t.is(answer.status, 401, JSON.stringify(answer.body));
      t.is(answer.body.error, 'invalid_client');
      t.is(target.connections(), 0, 'the server never opened a connection to the internal address');
    },
  );
}

testEachBackend('a jwks_uri on the IPv6 loopback ([::1]) is refused when fetched: no connection is made', async (t, server) => {
  const target = await connectionCounter(t, '::1');
  const client = await privateKeyJwtClient(server, `https://[::1]:${target.port}/jwks`);
  const answer = await tokenWithAssertion(server, client.clientId, await client.assertion());
  t.is(answer.body.error, 'invalid_client');
  t.is(target.connections(), 0);
});

testEachBackend('a backchannel_logout_uri on a loopback address is never called on logout', async (t, server) => {
  const target = await connectionCounter(t);
  const user = await createUser(server.db);
  const client = await createTestClient(server, { firstParty: true, backchannelLogoutUri: `http://127.0.0.1:${target.port}/backchannel` });
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });
  const tokens = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  const query = new URLSearchParams({
    id_token_hint: tokens.body.id_token as string,
    post_logout_redirect_uri: 'http://127.0.0.1:8080/logged-out',
  });
  const confirm = await flow.agent.follow(`${server.url}/session/end?${query}`);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(await confirm.response.text())?.[1];
  const done = await flow.agent.follow(
    `${server.url}/session/end/confirm`,
    {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
    },
    'http://127.0.0.1:8080/logged-out',
  );
  t.is(done.url, 'http://127.0.0.1:8080/logged-out', 'the logout itself still completes');
  t.is(target.connections(), 0, 'the internal address was never connected to');
});

testEachBackend(
  'with the development escape hatch (ALLOW_PRIVATE_OUTBOUND) a loopback jwks_uri is fetched and the client authenticates',
  async (t, server) => {
    const jwksServer = createHttpServer((req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify(current?.jwks));
    });
    // eslint-disable-next-line prefer-const -- the JWKS server above reads it; it is set once that server listens
    let current: Awaited<ReturnType<typeof privateKeyJwtClient>> | undefined;
    await new Promise<void>((resolve) => jwksServer.listen(0, '127.0.0.1', resolve));
    t.teardown(() => jwksServer.close());
    current = await privateKeyJwtClient(server, `http://127.0.0.1:${(jwksServer.address() as AddressInfo).port}/jwks`);
    const answer = await tokenWithAssertion(server, current.clientId, await current.assertion());
    t.is(answer.status, 200, JSON.stringify(answer.body));
    t.truthy(answer.body.access_token, 'the assertion verified against the keys fetched from loopback');
  },
  { env: { ALLOW_PRIVATE_OUTBOUND: 'true' } },
);

// --- the address classifier, over every range -----------------------------------------------------

test('the address classifier: loopback, private, link-local (cloud metadata), special-use and public addresses', (t) => {
  const expect: Record<string, ReturnType<typeof classifyAddress>> = {
    '127.0.0.1': 'loopback',
    '127.255.255.254': 'loopback',
    '::1': 'loopback',
    '::ffff:127.0.0.1': 'loopback',
    '::ffff:7f00:1': 'loopback',
    '10.0.0.1': 'private',
    '10.255.255.255': 'private',
    '172.16.0.1': 'private',
    '172.31.255.255': 'private',
    '192.168.0.1': 'private',
    '192.168.255.255': 'private',
    '100.64.0.1': 'private',
    'fc00::1': 'private',
    'fd12:3456:789a::1': 'private',
    '::ffff:10.1.2.3': 'private',
    '::ffff:192.168.1.1': 'private',
    '169.254.169.254': 'link-local',
    '169.254.0.1': 'link-local',
    'fe80::1': 'link-local',
    'febf::1': 'link-local',
    '::ffff:169.254.169.254': 'link-local',
    'fd00:ec2::254': 'link-local',
    '0.0.0.0': 'special',
    '::': 'special',
    '224.0.0.1': 'special',
    '255.255.255.255': 'special',
    '192.0.2.1': 'special',
    '198.18.0.1': 'special',
    '64:ff9b::a9fe:a9fe': 'special',
    '2002:a9fe:a9fe::1': 'special',
    'ff02::1': 'special',
    '2001:db8::1': 'special',
    '8.8.8.8': 'public',
    '172.15.255.255': 'public',
    '172.32.0.0': 'public',
    '192.169.0.1': 'public',
    '11.0.0.1': 'public',
    '2606:4700:4700::1111': 'public',
    '2a00:1450:4001:80b::200e': 'public',
  };
  for (const [address, kind] of Object.entries(expect)) t.is(classifyAddress(address), kind, address);
  t.is(classifyAddress('localhost'), undefined, 'a name is not an address');
  t.is(classifyAddress('[::1]'), 'loopback', 'a bracketed URL host is read as its address');
});

// --- the outbound fetch, with resolved names (DNS injected) ------------------------------------------

const resolvingTo =
  (table: Record<string, string[]>): AddressLookup =>
  async (hostname) => {
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' });
    return addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  };

test('names that resolve to internal addresses are refused when fetched, before connecting', async (t) => {
  const outbound = createOutboundFetch(
    { allowPrivate: false },
    {
      lookup: resolvingTo({
        'metadata.attacker.example': ['169.254.169.254'],
        'intranet.attacker.example': ['10.0.0.5'],
        'mixed.attacker.example': ['93.184.215.14', '192.168.1.10'],
        'v6.attacker.example': ['fd00::1'],
        'mapped.attacker.example': ['::ffff:127.0.0.1'],
      }),
    },
  );
  for (const host of [
    'metadata.attacker.example',
    'intranet.attacker.example',
    'mixed.attacker.example',
    'v6.attacker.example',
    'mapped.attacker.example',
  ]) {
    await t.throwsAsync(outbound(`https://${host}/jwks`, { method: 'GET' }), { instanceOf: OutboundRequestRefused }, host);
  }
  for (const literal of [
    'http://169.254.169.254/latest/meta-data/',
    'http://[fe80::1]/',
    'http://10.1.2.3/',
    'http://[::ffff:a9fe:a9fe]/',
    'http://0.0.0.0/',
    'http://2130706433/',
  ]) {
    await t.throwsAsync(outbound(literal, { method: 'GET' }), { instanceOf: OutboundRequestRefused }, literal);
  }
  await t.throwsAsync(outbound('file:///etc/passwd', { method: 'GET' }), { instanceOf: OutboundRequestRefused });
});

test('the escape hatch (loopback and private admitted) never admits link-local (cloud metadata) or special-use addresses', async (t) => {
  const outbound = createOutboundFetch(
    { allowPrivate: true },
    { lookup: resolvingTo({ 'metadata.attacker.example': ['169.254.169.254'] }) },
  );
  for (const uri of [
    'http://169.254.169.254/latest/meta-data/',
    'https://metadata.attacker.example/',
    'http://[fe80::1]/',
    'http://0.0.0.0/',
    'http://[fd00:ec2::254]/',
  ]) {
    await t.throwsAsync(outbound(uri, { method: 'GET' }), { instanceOf: OutboundRequestRefused }, uri);
  }
});

test('a redirect from an allowed address to an internal one is refused at the redirect', async (t) => {
  const hops: string[] = [];
  const redirector = createHttpServer((req, res) => {
    hops.push(req.url ?? '');
    res.statusCode = 302;
    res.setHeader('location', 'http://169.254.169.254/latest/meta-data/');
    res.end();
  });
  await new Promise<void>((resolve) => redirector.listen(0, '127.0.0.1', resolve));
  t.teardown(() => redirector.close());
  const outbound = createOutboundFetch({ allowPrivate: true });
  await t.throwsAsync(outbound(`http://127.0.0.1:${(redirector.address() as AddressInfo).port}/jwks`, { method: 'GET' }), {
    instanceOf: OutboundRequestRefused,
  });
  t.deepEqual(hops, ['/jwks'], 'the first hop was made, the redirect to the metadata address was not followed');
});

test('an allowed fetch returns the answer (status, headers, body); an oversized answer is cut off', async (t) => {
  const big = 'x'.repeat(2 * 1024 * 1024);
  const origin = createHttpServer((req, res) => {
    if (req.url === '/big') return void res.end(big);
    if (req.url === '/big-chunked') {
      for (let offset = 0; offset < big.length; offset += 64 * 1024) res.write(big.slice(offset, offset + 64 * 1024));
      return void res.end();
    }
    res.setHeader('content-type', 'application/json');
    res.setHeader('cache-control', 'max-age=60');
    res.end(JSON.stringify({ keys: [], method: req.method }));
  });
  await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
  t.teardown(() => origin.close());
  const base = `http://127.0.0.1:${(origin.address() as AddressInfo).port}`;
  const outbound = createOutboundFetch({ allowPrivate: true });
  const response = await outbound(`${base}/jwks`, { method: 'GET', headers: new Headers({ accept: 'application/json' }) });
  t.is(response.status, 200);
  t.is(response.headers.get('cache-control'), 'max-age=60');
  t.deepEqual(await response.json(), { keys: [], method: 'GET' });
  await t.throwsAsync(outbound(`${base}/big`, { method: 'GET' }), { message: /larger than/ }, 'a declared length over the cap');
  const chunked = await outbound(`${base}/big-chunked`, { method: 'GET' });
  await t.throwsAsync(chunked.arrayBuffer(), undefined, 'an undeclared length is cut off at the cap');
});

test('registering a jwks_uri or backchannel_logout_uri on a link-local (metadata) or special-use address is refused', (t) => {
  for (const uri of [
    'https://169.254.169.254/latest/meta-data/',
    'https://[fe80::1]/jwks',
    'https://[fd00:ec2::254]/',
    'https://0.0.0.0/jwks',
    'https://[::ffff:a9fe:a9fe]/',
  ]) {
    t.regex(serverUriProblem(uri) ?? 'accepted', /must not name a (link-local|special) address/, uri);
  }
  // a name, or a loopback / private address, is judged when fetched (where ALLOW_PRIVATE_OUTBOUND applies)
  t.is(serverUriProblem('https://keys.example.com/jwks'), undefined);
  t.is(serverUriProblem('http://127.0.0.1:8080/backchannel'), undefined);
});

test('a name server that never answers does not hold the outbound request past its deadline', async (t) => {
  const outbound = createOutboundFetch({ allowPrivate: false }, { lookup: () => new Promise(() => {}) });
  const controller = new AbortController();
  const pending = outbound('https://slow.attacker.example/jwks', { method: 'GET', signal: controller.signal });
  controller.abort(new Error('deadline'));
  await t.throwsAsync(pending, { message: 'deadline' });
});
