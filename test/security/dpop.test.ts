// Attack 4: DPoP-bound tokens replayed as bearer tokens, and forged or replayed DPoP proofs
// (RFC 9449). A thief who copies a DPoP-bound token without its private key must get nothing
// with it, wherever Portcullis accepts tokens: the admin API, userinfo, and what introspection tells
// a resource server.
import type { ExecutionContext } from 'ava';
import * as oidc from 'openid-client';
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { dpopKey, hmacWithPublicKeyProof, proof, relyingParty, unsignedProof, type DpopKey } from '../helpers/dpop.ts';
import { createResource, createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize } from '../helpers/user-agent.ts';

const ADMIN_SCOPE = 'admin:read';

async function adminClient(server: TestServer): Promise<TestClient> {
  return createTestClient(server, { grantTypes: ['client_credentials'], resources: { [ADMIN_AUDIENCE]: [ADMIN_SCOPE] } });
}

/** A DPoP-bound admin token, obtained by openid-client with the client's key. */
async function boundAdminToken(server: TestServer, client: TestClient, key: DpopKey) {
  const config = await relyingParty(server, client);
  const handle = oidc.getDPoPHandle(config, key.pair);
  const tokens = await oidc.clientCredentialsGrant(config, { scope: ADMIN_SCOPE, resource: ADMIN_AUDIENCE }, { DPoP: handle });
  return { config, handle, token: tokens.access_token, tokenType: tokens.token_type };
}

const adminUrl = (server: TestServer) => `${server.url}/admin/v1/clients`;

async function callAdmin(server: TestServer, headers: Record<string, string>, method = 'GET') {
  const response = await fetch(adminUrl(server), { method, headers: { accept: 'application/json', ...headers } });
  const body = (await response.json()) as Record<string, unknown>;
  return { status: response.status, body, challenge: response.headers.get('www-authenticate') ?? '' };
}

function assertDpopRefusal(t: ExecutionContext, answer: Awaited<ReturnType<typeof callAdmin>>, label: string) {
  t.is(answer.status, 401, `${label}: refused`);
  t.is(answer.body.error, 'invalid_token', label);
  t.regex(answer.challenge, /^DPoP /, `${label}: the challenge names the DPoP scheme`);
  t.regex(answer.challenge, /algs="[^"]*ES256/, `${label}: the challenge lists the accepted algorithms`);
}

testEachBackend('a DPoP-bound admin token replayed as a bearer token is refused', async (t, server) => {
  const key = await dpopKey();
  const { config, handle, token, tokenType } = await boundAdminToken(server, await adminClient(server), key);
  t.is(tokenType.toLowerCase(), 'dpop', 'the token endpoint issued a DPoP-bound token');

  // The thief has the token only.
  assertDpopRefusal(t, await callAdmin(server, { authorization: `Bearer ${token}` }), 'as a bearer token');
  assertDpopRefusal(t, await callAdmin(server, { authorization: `DPoP ${token}` }), 'DPoP scheme without a proof');
  // A proof made with the thief's own key does not match the token's binding.
  const thief = await dpopKey();
  const thiefProof = await proof(thief, { htm: 'GET', htu: adminUrl(server), accessToken: token });
  assertDpopRefusal(t, await callAdmin(server, { authorization: `DPoP ${token}`, dpop: thiefProof }), 'a proof of another key');

  // The legitimate client, with its key: openid-client signs a fresh proof for the request.
  const own = await oidc.fetchProtectedResource(config, token, new URL(adminUrl(server)), 'GET', null, undefined, { DPoP: handle });
  t.is(own.status, 200, 'the key holder is served');
});

testEachBackend('a bearer admin token is refused under the DPoP scheme, and two proofs are refused', async (t, server) => {
  const client = await adminClient(server);
  const key = await dpopKey();
  const bearer = (
    await postForm(`${server.url}/token`, { grant_type: 'client_credentials', resource: ADMIN_AUDIENCE, scope: ADMIN_SCOPE }, client)
  ).body.access_token as string;
  t.is((await callAdmin(server, { authorization: `Bearer ${bearer}` })).status, 200, 'an unbound token works as a bearer token');
  const withProof = await proof(key, { htm: 'GET', htu: adminUrl(server), accessToken: bearer });
  assertDpopRefusal(
    t,
    await callAdmin(server, { authorization: `DPoP ${bearer}`, dpop: withProof }),
    'an unbound token under the DPoP scheme',
  );

  const { token } = await boundAdminToken(server, client, key);
  const [first, second] = [
    await proof(key, { htm: 'GET', htu: adminUrl(server), accessToken: token }),
    await proof(key, { htm: 'GET', htu: adminUrl(server), accessToken: token }),
  ];
  assertDpopRefusal(
    t,
    await callAdmin(server, { authorization: `DPoP ${token}`, dpop: `${first}, ${second}` }),
    'two proofs in one request',
  );
});

testEachBackend('DPoP proofs for another method, another URL, another token, or from another time are refused', async (t, server) => {
  const key = await dpopKey();
  const { token } = await boundAdminToken(server, await adminClient(server), key);
  const now = Math.floor(Date.now() / 1000);
  const htu = adminUrl(server);
  const forged: [string, Promise<string>][] = [
    ['wrong htm', proof(key, { htm: 'POST', htu, accessToken: token })],
    ['wrong htu (another route)', proof(key, { htm: 'GET', htu: `${server.url}/admin/v1/resources`, accessToken: token })],
    ['wrong htu (another host)', proof(key, { htm: 'GET', htu: 'https://evil.example/admin/v1/clients', accessToken: token })],
    ['wrong ath (another token)', proof(key, { htm: 'GET', htu, ath: 'x'.repeat(43) })],
    ['no ath', proof(key, { htm: 'GET', htu })],
    ['stale iat (10 minutes ago)', proof(key, { htm: 'GET', htu, accessToken: token, iat: now - 600 })],
    ['iat in the future (10 minutes on)', proof(key, { htm: 'GET', htu, accessToken: token, iat: now + 600 })],
    ['wrong typ', proof(key, { htm: 'GET', htu, accessToken: token }, { typ: 'JWT' })],
  ];
  for (const [label, made] of forged)
    assertDpopRefusal(t, await callAdmin(server, { authorization: `DPoP ${token}`, dpop: await made }), label);
  // The same request with a correct proof is served: the refusals above were about the proofs.
  const good = await proof(key, { htm: 'GET', htu, accessToken: token, iat: now });
  t.is((await callAdmin(server, { authorization: `DPoP ${token}`, dpop: good })).status, 200);
});

testEachBackend(
  'DPoP proofs signed with alg none, with HS256 keyed by the public key, or carrying a private key are refused',
  async (t, server) => {
    const key = await dpopKey();
    const { token } = await boundAdminToken(server, await adminClient(server), key);
    const claims = { htm: 'GET', htu: adminUrl(server), accessToken: token };
    assertDpopRefusal(t, await callAdmin(server, { authorization: `DPoP ${token}`, dpop: unsignedProof(key, claims) }), 'alg none');
    assertDpopRefusal(
      t,
      await callAdmin(server, { authorization: `DPoP ${token}`, dpop: await hmacWithPublicKeyProof(key, claims) }),
      'HS256 keyed with the public key',
    );
    const { exportJWK } = await import('jose');
    const extractable = await crypto.subtle.generateKey({ name: 'ECDSA', namedCurve: 'P-256' }, true, ['sign', 'verify']);
    const privateJwk = await exportJWK(extractable.privateKey);
    const leaky = { ...key, pair: extractable };
    assertDpopRefusal(
      t,
      await callAdmin(server, { authorization: `DPoP ${token}`, dpop: await proof(leaky, claims, { jwk: privateJwk }) }),
      'a private key in the header',
    );
  },
);

testEachBackend('a DPoP proof is accepted once, by any server process', async (t, server, backend) => {
  const key = await dpopKey();
  const { token } = await boundAdminToken(server, await adminClient(server), key);
  const once = await proof(key, { htm: 'GET', htu: adminUrl(server), accessToken: token });
  t.is((await callAdmin(server, { authorization: `DPoP ${token}`, dpop: once })).status, 200, 'first use');
  assertDpopRefusal(t, await callAdmin(server, { authorization: `DPoP ${token}`, dpop: once }), 'replayed at the same process');
  if (backend.database !== 'postgres') return;

  // Another server process behind the same load balancer (same ISSUER, so the same public URL, and
  // the same stores): a proof used at one is refused at the other, even when both arrive at once.
  const other = await server.startSibling({ sharedIssuer: true });
  const atOther = (dpop: string) =>
    fetch(`${other.url}/admin/v1/clients`, { headers: { accept: 'application/json', authorization: `DPoP ${token}`, dpop } });
  const fresh = await proof(key, { htm: 'GET', htu: adminUrl(server), accessToken: token });
  t.is((await atOther(fresh)).status, 200, 'the other process serves a fresh proof');
  const usedThere = await callAdmin(server, { authorization: `DPoP ${token}`, dpop: fresh });
  t.is(usedThere.status, 401, 'a proof used at the other process is refused here');

  const raced = await proof(key, { htm: 'GET', htu: adminUrl(server), accessToken: token });
  const statuses = await Promise.all(
    [0, 1, 2, 3].map(async (index) =>
      index % 2 === 0 ? (await atOther(raced)).status : (await callAdmin(server, { authorization: `DPoP ${token}`, dpop: raced })).status,
    ),
  );
  t.is(statuses.filter((status) => status === 200).length, 1, `one of four simultaneous uses is served (${statuses.join(', ')})`);
});

testEachBackend('introspection reports a DPoP-bound token as token_type DPoP with its key thumbprint', async (t, server) => {
  const key = await dpopKey();
  const client = await adminClient(server);
  const { token } = await boundAdminToken(server, client, key);
  const answer = await postForm(`${server.url}/token/introspection`, { token }, client);
  t.is(answer.body.active, true);
  t.is(answer.body.token_type, 'DPoP');
  t.deepEqual(answer.body.cnf, { jkt: key.jkt });
});

/** A user's tokens for `client`, bound to `key` at the token endpoint (a proof for POST /token). */
async function boundUserTokens(server: TestServer, client: TestClient, key: DpopKey) {
  const user = await createUser(server.db);
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid email' });
  const dpop = await proof(key, { htm: 'POST', htu: `${server.url}/token` });
  const answer = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
    { dpop },
  );
  if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
  return answer.body.access_token as string;
}

testEachBackend('a DPoP-bound access token replayed as a bearer token is refused at userinfo', async (t, server) => {
  const client = await createTestClient(server);
  const key = await dpopKey();
  const token = await boundUserTokens(server, client, key);
  const bearer = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${token}` } });
  t.is(bearer.status, 401, 'as a bearer token');
  const proven = await fetch(`${server.url}/me`, {
    headers: { authorization: `DPoP ${token}`, dpop: await proof(key, { htm: 'GET', htu: `${server.url}/me`, accessToken: token }) },
  });
  t.is(proven.status, 200, 'with its proof');
});

testEachBackend('a client that requires DPoP is refused a bearer token', async (t, server) => {
  await createResource(server.db, 'https://api.example.com', ['read']);
  const created = (await runAsOperator(server, 'clients.create', {
    name: 'Bound service',
    grantTypes: ['client_credentials'],
    resources: ['https://api.example.com'],
    scopes: ['read'],
    requireDpop: true,
  })) as { clientId: string; clientSecret: string; requireDpop: boolean };
  t.true(created.requireDpop);
  const client = { clientId: created.clientId, clientSecret: created.clientSecret };
  const plain = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, client);
  t.is(plain.status, 400, 'no token without a proof');
  t.is(plain.body.access_token, undefined);

  const key = await dpopKey();
  const bound = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, client, {
    dpop: await proof(key, { htm: 'POST', htu: `${server.url}/token` }),
  });
  t.is(bound.status, 200);
  t.is(bound.body.token_type, 'DPoP');

  // Turned off again, the client may take bearer tokens.
  await runAsOperator(server, 'clients.update', { clientId: client.clientId, requireDpop: false });
  t.is((await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, client)).status, 200);
});
