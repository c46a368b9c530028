// JWT attacks on the `private_key_jwt` client assertion, the one JWT a client presents to
// authenticate itself at the token, introspection and revocation endpoints. An attacker who got
// hold of one assertion, or of the client's public key, tries to pass for the client: no signature,
// an HMAC keyed with the public key, an audience of another server (or a list that also names
// ours), an expired or day-long assertion, the same assertion twice. Each is refused with
// `invalid_client`; a fresh, short-lived assertion for this issuer alone is accepted once.
import { randomUUID } from 'node:crypto';
import { exportJWK, exportSPKI, generateKeyPair, SignJWT, type CryptoKey, type JWTPayload } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, postForm } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { insertClient } from '../../src/storage/clients.ts';

const API = 'https://api.example.com';

interface SigningClient {
  clientId: string;
  privateKey: CryptoKey;
  publicPem: string;
  publicJwkJson: string;
}

/** A service that authenticates with private_key_jwt (its public key registered inline). */
async function createSigningClient(server: TestServer): Promise<SigningClient> {
  await createResource(server.db, API, ['read']);
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const publicJwk = { ...(await exportJWK(publicKey)), alg: 'ES256', use: 'sig', kid: 'client-key' };
  const clientId = `signer-${randomUUID()}`;
  await insertClient(server.db, {
    clientId,
    name: 'Signing service',
    metadata: {
      client_name: 'Signing service',
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'private_key_jwt',
      jwks: { keys: [publicJwk] },
    },
    secretHash: null,
    firstParty: false,
    requireMfa: false,
    resources: { [API]: ['read'] },
  });
  return { clientId, privateKey, publicPem: await exportSPKI(publicKey), publicJwkJson: JSON.stringify(publicJwk) };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);

/** The claims of an honest assertion, which each attack then bends. */
const honestClaims = (server: TestServer, client: SigningClient): JWTPayload => ({
  iss: client.clientId,
  sub: client.clientId,
  aud: server.url,
  jti: randomUUID(),
  iat: nowSeconds(),
  exp: nowSeconds() + 60,
});

const sign = (client: SigningClient, claims: JWTPayload) =>
  new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: 'client-key' }).sign(client.privateKey);

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** A client-credentials token request authenticated by `assertion` alone. */
const tokenWith = (server: TestServer, client: SigningClient, assertion: string) =>
  postForm(`${server.url}/token`, {
    grant_type: 'client_credentials',
    scope: 'read',
    client_id: client.clientId,
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: assertion,
  });

async function assertRefused(t: import('ava').ExecutionContext, answer: Awaited<ReturnType<typeof tokenWith>>, what: string) {
  t.is(answer.status, 401, `${what}: ${JSON.stringify(answer.body)}`);
  t.is(answer.body.error, 'invalid_client', what);
  t.is(answer.body.access_token, undefined, what);
}

testEachBackend('an honest private_key_jwt assertion gets a token; the same assertion replayed is refused', async (t, server) => {
  const client = await createSigningClient(server);
  const assertion = await sign(client, honestClaims(server, client));
  const first = await tokenWith(server, client, assertion);
  t.is(first.status, 200, JSON.stringify(first.body));
  t.truthy(first.body.access_token);
  await assertRefused(t, await tokenWith(server, client, assertion), 'a reused jti');
});

testEachBackend("an assertion with alg none, or HS256 keyed with the client's public key, is refused", async (t, server) => {
  const client = await createSigningClient(server);
  const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64(honestClaims(server, client))}.`;
  await assertRefused(t, await tokenWith(server, client, unsigned), 'alg none');
  for (const [name, secret] of [
    ['PEM', client.publicPem],
    ['JWK', client.publicJwkJson],
  ] as const) {
    const hmac = await new SignJWT(honestClaims(server, client))
      .setProtectedHeader({ alg: 'HS256' })
      .sign(new TextEncoder().encode(secret));
    await assertRefused(t, await tokenWith(server, client, hmac), `HS256 keyed with the public key as ${name}`);
  }
});

testEachBackend(
  'an assertion for another audience, an audience list, or the token endpoint URL is refused: aud is the issuer alone',
  async (t, server) => {
    const client = await createSigningClient(server);
    const withAud = async (aud: string | string[]) =>
      tokenWith(server, client, await sign(client, { ...honestClaims(server, client), aud }));
    await assertRefused(t, await withAud('https://other-issuer.example.com'), 'another issuer');
    await assertRefused(t, await withAud([server.url, 'https://other-issuer.example.com']), 'a list naming the issuer and another server');
    await assertRefused(t, await withAud([server.url]), 'a one-element list (RFC 7523bis: a single string)');
    await assertRefused(t, await withAud(`${server.url}/token`), 'the token endpoint URL (a mix-up-prone audience)');
    t.is((await withAud(server.url)).status, 200, 'the issuer identifier itself is accepted');
  },
);

testEachBackend('an expired assertion, a long-lived one, or one without iat living long is refused', async (t, server) => {
  const client = await createSigningClient(server);
  const withTimes = async (times: { iat?: number; exp: number }) => {
    const { iat: _iat, exp: _exp, ...rest } = honestClaims(server, client);
    return tokenWith(server, client, await sign(client, { ...rest, ...times }));
  };
  await assertRefused(t, await withTimes({ iat: nowSeconds() - 600, exp: nowSeconds() - 300 }), 'expired');
  await assertRefused(t, await withTimes({ iat: nowSeconds(), exp: nowSeconds() + 24 * 3600 }), 'a day-long lifetime');
  await assertRefused(t, await withTimes({ iat: nowSeconds() - 60, exp: nowSeconds() + 3600 }), 'an hour-long lifetime');
  await assertRefused(t, await withTimes({ exp: nowSeconds() + 3600 }), 'no iat, an hour to live');
  await assertRefused(t, await withTimes({ iat: nowSeconds() + 3000, exp: nowSeconds() + 3060 }), 'an iat in the future');
  t.is((await withTimes({ iat: nowSeconds(), exp: nowSeconds() + 120 })).status, 200, 'two minutes is fine');
});
