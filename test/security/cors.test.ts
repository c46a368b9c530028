// Cross-origin reads (CORS). oidc-provider's default echoes any Origin on its client endpoints until
// a client is known, and on /jwks and discovery always. The policy here: a browser app may call
// /token, pushed authorization and /me from the origin of one of its own redirect URIs (a public
// client at /token); introspection and revocation are server-to-server and answer no web origin;
// an Origin header that is not an origin (16 KB of text, a path) is refused, never echoed.
import { testEachBackend } from '../helpers/backend-test.ts';
import { basicAuth, createTestClient, REDIRECT_URI } from '../helpers/fixtures.ts';

const FORM = 'application/x-www-form-urlencoded';
const OWN_ORIGIN = new URL(REDIRECT_URI).origin;

testEachBackend("another site cannot read a client's token or introspection answers from a browser", async (t, server) => {
  const spa = await createTestClient(server, { authMethod: 'none' });
  const backend = await createTestClient(server, { grantTypes: ['client_credentials'] });
  const post = (path: string, origin: string, body: string, authorization?: string) =>
    fetch(`${server.url}${path}`, {
      method: 'POST',
      headers: { 'content-type': FORM, origin, ...(authorization ? { authorization } : {}) },
      body,
    });

  // the public browser app, from its own origin: it may read the answer (here an error about the code)
  const own = await post(
    '/token',
    OWN_ORIGIN,
    `grant_type=authorization_code&code=nope&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_verifier=${'a'.repeat(43)}&client_id=${spa.clientId}`,
  );
  t.is(own.headers.get('access-control-allow-origin'), OWN_ORIGIN);

  // the same request from a site that is not the app's
  const foreign = await post(
    '/token',
    'https://evil.example',
    `grant_type=authorization_code&code=nope&redirect_uri=${encodeURIComponent(REDIRECT_URI)}&code_verifier=${'a'.repeat(43)}&client_id=${spa.clientId}`,
  );
  t.not(foreign.headers.get('access-control-allow-origin'), 'https://evil.example');

  // introspection and revocation are not for browsers, not even for the public app from its own origin
  for (const path of ['/token/introspection', '/token/revocation']) {
    const answer = await post(path, OWN_ORIGIN, `token=x&client_id=${spa.clientId}`);
    t.is(answer.headers.get('access-control-allow-origin'), null, `${path} (public client)`);
  }

  // a confidential client's token, introspection and revocation calls are never for a browser, not
  // even from an origin the client might own
  for (const [path, body] of [
    ['/token', 'grant_type=client_credentials'],
    ['/token/introspection', 'token=x'],
    ['/token/revocation', 'token=x'],
  ] as const) {
    const answer = await post(path, OWN_ORIGIN, body, basicAuth(backend));
    t.is(answer.headers.get('access-control-allow-origin'), null, path);
  }
});

testEachBackend('an absurd Origin header is refused, never echoed', async (t, server) => {
  const backend = await createTestClient(server, { grantTypes: ['client_credentials'] });
  for (const origin of [`https://${'a'.repeat(15 * 1024)}.example`, 'https://evil.example/path', 'javascript:alert(1)', 'evil']) {
    for (const [method, path] of [
      ['GET', '/jwks'],
      ['GET', '/.well-known/openid-configuration'],
      ['POST', '/token'],
      ['POST', '/token/introspection'],
      ['GET', '/me'],
    ] as const) {
      const answer = await fetch(`${server.url}${path}`, {
        method,
        headers: { origin, ...(method === 'POST' ? { 'content-type': FORM, authorization: basicAuth(backend) } : {}) },
        body: method === 'POST' ? 'grant_type=client_credentials&token=x' : undefined,
      });
      t.is(answer.status, 400, `${method} ${path} ${origin.slice(0, 30)}`);
      t.is(((await answer.json()) as { error: string }).error, 'invalid_request');
      t.is(answer.headers.get('access-control-allow-origin'), null);
    }
  }
  // an ordinary origin still reads the public documents
  const jwks = await fetch(`${server.url}/jwks`, { headers: { origin: 'https://app.example' } });
  t.is(jwks.status, 200);
  t.is(jwks.headers.get('access-control-allow-origin'), 'https://app.example');
});
