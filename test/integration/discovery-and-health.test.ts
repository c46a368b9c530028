import { testEachBackend } from '../helpers/backend-test.ts';

testEachBackend('discovery advertises the secure defaults', async (t, server) => {
  const response = await fetch(`${server.url}/.well-known/openid-configuration`);
  t.is(response.status, 200);
  const discovery = (await response.json()) as Record<string, unknown>;
  t.is(discovery.issuer, server.url);
  t.deepEqual(discovery.response_types_supported, ['code']);
  t.deepEqual(discovery.code_challenge_methods_supported, ['S256']);
  t.false((discovery.grant_types_supported as string[]).includes('implicit'));
  t.false((discovery.grant_types_supported as string[]).includes('password'));
  t.true(discovery.authorization_response_iss_parameter_supported as boolean);
  t.true((discovery.grant_types_supported as string[]).includes('client_credentials'));
  t.is(discovery.introspection_endpoint, `${server.url}/token/introspection`);
  t.is(discovery.revocation_endpoint, `${server.url}/token/revocation`);
  t.is(discovery.end_session_endpoint, `${server.url}/session/end`);
  t.true(discovery.backchannel_logout_supported as boolean);
  t.false((discovery.token_endpoint_auth_methods_supported as string[]).includes('client_secret_jwt'));
});

testEachBackend('JWKS publishes public ES256 and RS256 keys only', async (t, server) => {
  const { keys } = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: Record<string, unknown>[] };
  t.true(keys.some((key) => key.alg === 'ES256'));
  t.true(keys.some((key) => key.alg === 'RS256'));
  for (const key of keys) {
    for (const secret of ['d', 'p', 'q', 'dp', 'dq', 'qi']) t.false(secret in key, `${String(key.kid)} leaks ${secret}`);
  }
  // staged rotation: a next key per algorithm is already published
  t.is(keys.length, 4);
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
