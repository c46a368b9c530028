import { testEachBackend } from '../helpers/backend-test.ts';
import { SIGNING_ALGORITHMS } from '../../src/security/signing-algorithms.ts';
import { PRIVATE_JWK_MEMBERS } from '../../src/security/jwk-private-members.ts';

testEachBackend('discovery advertises the secure defaults', async (t, server) => {
  const response = await fetch(`${server.url}/.well-known/openid-configuration`);
  t.is(response.status, 200);
  const discovery = (await response.json()) as Record<string, unknown>;
  t.is(discovery.issuer, server.url);
  t.deepEqual(discovery.response_types_supported, ['code']);
  t.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
  t.false((discovery.grant_types_supported as string[]).includes('implicit'));
  t.false((discovery.grant_types_supported as string[]).includes('password'));
  t.true(discovery.authorization_response_iss_parameter_supported);
  t.true((discovery.grant_types_supported as string[]).includes('client_credentials'));
  t.is(discovery.introspection_endpoint, `${server.url}/token/introspection`);
  t.is(discovery.revocation_endpoint, `${server.url}/token/revocation`);
  t.is(discovery.end_session_endpoint, `${server.url}/session/end`);
  t.true(discovery.backchannel_logout_supported);
  t.false((discovery.token_endpoint_auth_methods_supported as string[]).includes('client_secret_jwt'));
});

testEachBackend('JWKS publishes public keys of every signing algorithm, and only public ones', async (t, server) => {
  const { keys } = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: Record<string, unknown>[] };
  for (const alg of SIGNING_ALGORITHMS) {
    // staged rotation: a next key per algorithm is already published beside the current one
    t.is(keys.filter((key) => key.alg === alg).length, 2, `${alg}: a current and a next key`);
  }
  t.deepEqual(new Set(keys.map((key) => key.kty)), new Set(['RSA', 'EC', 'OKP']));
  t.true(keys.filter((key) => key.kty === 'OKP').every((key) => key.crv === 'Ed25519'));
  for (const key of keys) {
    for (const secret of PRIVATE_JWK_MEMBERS) t.false(secret in key, `${String(key.kid)} leaks ${secret}`);
  }
  t.is(keys.length, SIGNING_ALGORITHMS.length * 2);
});

testEachBackend('discovery lists every ID token signing algorithm, RS256 among them', async (t, server) => {
  const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, string[]>;
  t.deepEqual([...discovery.id_token_signing_alg_values_supported!].sort(), [...SIGNING_ALGORITHMS].sort());
});

testEachBackend('health and readiness answer', async (t, server) => {
  const health = await fetch(`${server.url}/healthz`);
  t.is(health.status, 200);
  const ready = await fetch(`${server.url}/readyz`);
  t.is(ready.status, 200);
  const body = (await ready.json()) as { checks: Record<string, string> };
  t.is(body.checks.database, 'ok');
  t.is(ready.headers.get('x-request-id')?.length, 36);
});
