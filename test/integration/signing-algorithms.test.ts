// Each client chooses the algorithm of its ID tokens and each API that of its access tokens, as
// their libraries need: RS256 (OpenID Connect's default), ES256, PS256 or EdDSA. A token is signed
// with the chosen algorithm by a key the JWKS publishes, and Portcullis' own checks (introspection,
// the admin API) accept every one of them.
import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { redeemCode } from '../helpers/relying-party.ts';
import { authorize } from '../helpers/user-agent.ts';
import { SIGNING_ALGORITHMS } from '../../src/security/signing-algorithms.ts';
import type { TestServer } from '../helpers/server.ts';

interface CreatedClient {
  clientId: string;
  clientSecret: string;
  idTokenAlg: string;
}

const jwksOf = async (server: TestServer) => createLocalJWKSet((await (await fetch(`${server.url}/jwks`)).json()) as { keys: [] });

const webClient = (server: TestServer, fields: Record<string, unknown> = {}) =>
  runAsOperator(server, 'clients.create', {
    name: 'Web app',
    grantTypes: ['authorization_code'],
    redirectUris: [REDIRECT_URI],
    ...fields,
  }) as Promise<CreatedClient>;

async function signInForIdToken(server: TestServer, client: CreatedClient): Promise<string> {
  const user = await createUser(server.db);
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid email' });
  return (await redeemCode(server, client, flow)).body.id_token as string;
}

testEachBackend('a client registered without a choice gets RS256 ID tokens, as OpenID Connect Core requires', async (t, server) => {
  const client = await webClient(server);
  t.is(client.idTokenAlg, 'RS256');
  const idToken = await signInForIdToken(server, client);
  const { protectedHeader } = await jwtVerify(idToken, await jwksOf(server), { issuer: server.url, audience: client.clientId });
  t.is(protectedHeader.alg, 'RS256');
});

testEachBackend('each ID token algorithm a client may choose signs its ID tokens with a published key', async (t, server) => {
  const jwks = await jwksOf(server);
  for (const alg of SIGNING_ALGORITHMS) {
    const client = await webClient(server, { idTokenAlg: alg });
    const idToken = await signInForIdToken(server, client);
    const { protectedHeader } = await jwtVerify(idToken, jwks, { issuer: server.url, audience: client.clientId, algorithms: [alg] });
    t.is(protectedHeader.alg, alg);
  }
});

testEachBackend("changing a client's ID token algorithm takes effect on its next sign-in and is audited", async (t, server) => {
  const client = await webClient(server, { idTokenAlg: 'EdDSA' });
  t.is(decodeProtectedHeader(await signInForIdToken(server, client)).alg, 'EdDSA');
  const updated = (await runAsOperator(server, 'clients.update', { clientId: client.clientId, idTokenAlg: 'PS256' })) as CreatedClient;
  t.is(updated.idTokenAlg, 'PS256');
  t.is(decodeProtectedHeader(await signInForIdToken(server, client)).alg, 'PS256');
  const { rows } = await server.db.query<{ details: { changed?: string[] } }>(
    `SELECT details FROM audit_events WHERE type = 'client.updated' AND target_id = $1`,
    [client.clientId],
  );
  t.deepEqual(
    rows.map((row) => row.details.changed),
    [['idTokenAlg']],
  );
});

testEachBackend('each access token algorithm an API may choose signs its tokens, and introspection accepts them', async (t, server) => {
  const jwks = await jwksOf(server);
  for (const alg of SIGNING_ALGORITHMS) {
    const api = `https://api-${alg.toLowerCase()}.example.com`;
    const created = (await runAsOperator(server, 'resources.create', { identifier: api, scopes: [{ name: 'read' }], tokenAlg: alg })) as {
      tokenAlg: string;
    };
    t.is(created.tokenAlg, alg);
    const service = (await runAsOperator(server, 'clients.create', {
      name: `Service ${alg}`,
      grantTypes: ['client_credentials'],
      resources: [api],
      scopes: ['read'],
    })) as CreatedClient;
    const token = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, service);
    t.is(token.status, 200, JSON.stringify(token.body));
    const accessToken = token.body.access_token as string;
    const { protectedHeader, payload } = await jwtVerify(accessToken, jwks, {
      issuer: server.url,
      audience: api,
      typ: 'at+jwt',
      algorithms: [alg],
    });
    t.is(protectedHeader.alg, alg);
    t.is(payload.scope, 'read');
    const introspection = await postForm(`${server.url}/token/introspection`, { token: accessToken }, service);
    t.is(introspection.body.active, true, `${alg}: introspection verifies the token`);
  }
});

testEachBackend('an API registered without a choice keeps ES256 access tokens; an update switches it to RS256', async (t, server) => {
  const api = 'https://api.example.com';
  const created = (await runAsOperator(server, 'resources.create', { identifier: api, scopes: [{ name: 'read' }] })) as {
    tokenAlg: string;
  };
  t.is(created.tokenAlg, 'ES256');
  const service = (await runAsOperator(server, 'clients.create', {
    name: 'Service',
    grantTypes: ['client_credentials'],
    resources: [api],
    scopes: ['read'],
  })) as CreatedClient;
  const tokenAlg = async () =>
    decodeProtectedHeader(
      (await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, service)).body.access_token as string,
    ).alg;
  t.is(await tokenAlg(), 'ES256');
  await runAsOperator(server, 'resources.update', { identifier: api, tokenAlg: 'RS256' });
  t.is(await tokenAlg(), 'RS256', 'every process follows the change at once (the registry cache is told)');
});
