// PKCE downgrade and authorization-request tampering: an attacker who steals or injects a code tries
// to redeem it without the proof of possession PKCE demands (no challenge, `plain`, no or a wrong
// verifier, another request's challenge), or changes what was authorized between /auth and /token
// (client, redirect URI, resource, scope). PKCE with S256 is required of every client (RFC 9700
// §2.1.1, §4.5, §4.8); what the token endpoint issues is what the user authorized, never more.
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize, pkcePair, UserAgent } from '../helpers/user-agent.ts';

const API_A = 'https://a.api.example.com';
const API_B = 'https://b.api.example.com';

const redeem = (server: TestServer, client: TestClient, form: Record<string, string>) =>
  postForm(`${server.url}/token`, { grant_type: 'authorization_code', redirect_uri: REDIRECT_URI, ...form }, client);

testEachBackend(
  'PKCE downgrade at /auth: no code_challenge, `plain`, an unknown method or a malformed challenge is refused',
  async (t, server) => {
    for (const authMethod of ['client_secret_basic', 'none'] as const) {
      const client = await createTestClient(server, { authMethod });
      const agent = new UserAgent();
      const base = { client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', state: 'st' };
      const attempts: Record<string, Record<string, string>> = {
        'no code_challenge': {},
        'a method but no challenge': { code_challenge_method: 'S256' },
        plain: { code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
        'no method (plain by default)': { code_challenge: pkcePair().challenge },
        'an unknown method': { code_challenge: pkcePair().challenge, code_challenge_method: 'S512' },
        'a challenge too short': { code_challenge: 'abc', code_challenge_method: 'S256' },
        'a challenge with invalid characters': { code_challenge: `${'a'.repeat(42)}+`, code_challenge_method: 'S256' },
      };
      for (const [name, extra] of Object.entries(attempts)) {
        const { url } = await agent.follow(`${server.url}/auth?${new URLSearchParams({ ...base, ...extra })}`);
        const callback = new URL(url);
        t.is(callback.searchParams.get('error'), 'invalid_request', `${authMethod}, ${name}: ${url}`);
        t.is(callback.searchParams.get('code'), null);
      }
    }
    const implicit = await new UserAgent().follow(
      `${server.url}/auth?${new URLSearchParams({
        client_id: (await createTestClient(server)).clientId,
        response_type: 'token',
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
      })}`,
    );
    t.regex(implicit.url, /error=unsupported_response_type/, 'no implicit flow to fall back to');
    t.notRegex(implicit.url, /access_token=/);
  },
);

testEachBackend(
  'PKCE downgrade at /token: a stolen code without its verifier, with a wrong one or with the challenge itself is refused',
  async (t, server) => {
    const user = await createUser(server.db);
    for (const authMethod of ['client_secret_basic', 'none'] as const) {
      const client = await createTestClient(server, { authMethod });
      const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });
      const challenge = createHash('sha256').update(flow.verifier).digest('base64url');
      const attempts: Record<string, Record<string, string>> = {
        'no code_verifier': {},
        'an empty code_verifier': { code_verifier: '' },
        'another verifier': { code_verifier: pkcePair().verifier },
        'the challenge as verifier (plain)': { code_verifier: challenge },
        'a verifier too short': { code_verifier: flow.verifier.slice(0, 42) },
        'the verifier with a character changed': {
          code_verifier: `${flow.verifier.slice(0, -1)}${flow.verifier.endsWith('A') ? 'B' : 'A'}`,
        },
      };
      for (const [name, extra] of Object.entries(attempts)) {
        const answer = await redeem(server, client, { code: flow.code!, ...extra });
        t.true(
          ['invalid_grant', 'invalid_request'].includes(answer.body.error as string),
          `${authMethod}, ${name}: ${JSON.stringify(answer.body)}`,
        );
        t.is(answer.body.access_token, undefined);
      }
    }
  },
);

testEachBackend(
  'code injection: a victim’s code redeemed with the verifier of the attacker’s own request is refused',
  async (t, server) => {
    const client = await createTestClient(server, { authMethod: 'none' });
    const victim = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: (await createUser(server.db)).email,
      scope: 'openid',
    });
    const attacker = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: (await createUser(server.db)).email,
      scope: 'openid',
    });
    const injected = await redeem(server, client, { code: victim.code!, code_verifier: attacker.verifier });
    t.is(injected.body.error, 'invalid_grant');
    t.is(injected.body.access_token, undefined);
    // and the attacker's own code does not take the victim's verifier either
    t.is((await redeem(server, client, { code: attacker.code!, code_verifier: victim.verifier })).body.error, 'invalid_grant');
  },
);

testEachBackend('tampering between /auth and /token: another client_id, another registered redirect_uri', async (t, server) => {
  const user = await createUser(server.db);
  const second = 'http://127.0.0.1:8080/other-callback';
  const client = await createTestClient(server, { authMethod: 'none', redirectUris: [REDIRECT_URI, second] });
  const other = await createTestClient(server, { authMethod: 'none', redirectUris: [REDIRECT_URI, second] });
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });

  const otherClient = await redeem(server, other, { code: flow.code!, code_verifier: flow.verifier });
  t.is(otherClient.body.error, 'invalid_grant', 'a public client naming itself cannot take another client’s code');
  const otherUri = await redeem(server, client, { code: flow.code!, code_verifier: flow.verifier, redirect_uri: second });
  t.is(otherUri.body.error, 'invalid_grant', 'another of the client’s own registered URIs is not the one the code was issued for');
  t.is((await redeem(server, client, { code: flow.code!, code_verifier: flow.verifier })).status, 200, 'the untampered redemption works');
});

testEachBackend('tampering between /auth and /token: another resource or a wider scope is not issued', async (t, server) => {
  await createResource(server.db, API_A, ['read', 'write']);
  await createResource(server.db, API_B, ['read', 'write']);
  const user = await createUser(server.db);
  const client = await createTestClient(server, { resources: { [API_A]: ['read', 'write'], [API_B]: ['read', 'write'] } });
  const authorized = () =>
    authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid read', resource: API_A });

  const first = await authorized();
  const otherResource = await redeem(server, client, { code: first.code!, code_verifier: first.verifier, resource: API_B });
  t.not(otherResource.status, 200, `a token for API B from a code for API A: ${JSON.stringify(otherResource.body)}`);
  t.is(otherResource.body.access_token, undefined);

  const second = await authorized();
  const wider = await redeem(server, client, {
    code: second.code!,
    code_verifier: second.verifier,
    resource: API_A,
    scope: 'openid read write',
  });
  if (wider.status === 200) {
    t.is(decodeJwt(wider.body.access_token as string).scope, 'read', 'only the authorized scope, never write');
    t.is(decodeJwt(wider.body.access_token as string).aud, API_A);
  } else {
    t.regex(String(wider.body.error), /invalid_scope|invalid_grant|invalid_request/);
  }
});

testEachBackend(
  'a pushed authorization request: no PKCE is refused, its request_uri is bound to its client, parameters added at /auth do not override it',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const other = await createTestClient(server, { firstParty: true });
    const base = { client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid' };
    const withoutPkce = await postForm(`${server.url}/request`, base, client);
    t.is(withoutPkce.status, 400);
    t.is(withoutPkce.body.error, 'invalid_request');
    const plain = await postForm(
      `${server.url}/request`,
      { ...base, code_challenge: 'a'.repeat(43), code_challenge_method: 'plain' },
      client,
    );
    t.is(plain.status, 400);

    const pkce = pkcePair();
    const pushed = await postForm(
      `${server.url}/request`,
      { ...base, code_challenge: pkce.challenge, code_challenge_method: 'S256' },
      client,
    );
    const requestUri = pushed.body.request_uri as string;
    const byOther = await new UserAgent().request(
      `${server.url}/auth?${new URLSearchParams({ client_id: other.clientId, request_uri: requestUri })}`,
    );
    t.is(byOther.status, 400, 'another client cannot use the pushed request');
    t.is(byOther.headers.get('location'), null);

    // an attacker appends their own redirect_uri, challenge and scope to the victim's request_uri
    const attackerPkce = pkcePair();
    const tampered = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid',
      extra: {
        request_uri: requestUri,
        redirect_uri: 'https://evil.example/cb',
        code_challenge: attackerPkce.challenge,
        scope: 'openid email',
      },
    });
    t.truthy(tampered.code, 'the pushed request is what was authorized: the code goes to the registered redirect URI');
    const withAttackerVerifier = await redeem(server, client, { code: tampered.code!, code_verifier: attackerPkce.verifier });
    t.is(withAttackerVerifier.body.error, 'invalid_grant', 'the challenge added at /auth is not the one bound to the code');
    const genuine = await redeem(server, client, { code: tampered.code!, code_verifier: pkce.verifier });
    t.is(genuine.status, 200);
    t.is(decodeJwt(genuine.body.id_token as string).email, undefined, 'the scope added at /auth was not granted');
  },
);
