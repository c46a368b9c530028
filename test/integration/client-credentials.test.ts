import { createLocalJWKSet, jwtVerify } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, postForm } from '../helpers/fixtures.ts';

const API_A = 'https://a.example.com';
const API_B = 'https://b.example.com';

testEachBackend('client credentials: a JWT for one resource with only allowed scopes', async (t, server) => {
  await createResource(server.db, API_A, ['read', 'write']);
  await createResource(server.db, API_B, ['read']);
  const service = await createTestClient(server, {
    grantTypes: ['client_credentials'],
    resources: { [API_A]: ['read'], [API_B]: ['read'] },
  });

  const token = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read', resource: API_A }, service);
  t.is(token.status, 200, JSON.stringify(token.body));
  t.is(token.body.scope, 'read');
  const jwks = createLocalJWKSet((await (await fetch(`${server.url}/jwks`)).json()) as { keys: [] });
  const { payload } = await jwtVerify(token.body.access_token as string, jwks, { issuer: server.url, audience: API_A, typ: 'at+jwt' });
  t.is(payload.client_id, service.clientId);

  // a verifier for resource B refuses the token issued for A
  await t.throwsAsync(jwtVerify(token.body.access_token as string, jwks, { issuer: server.url, audience: API_B, typ: 'at+jwt' }), {
    code: 'ERR_JWT_CLAIM_VALIDATION_FAILED',
  });

  const refused = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'write', resource: API_A }, service);
  t.is(refused.status, 400);
  t.is(refused.body.error, 'invalid_scope');

  const unknownResource = await postForm(
    `${server.url}/token`,
    { grant_type: 'client_credentials', scope: 'read', resource: 'https://c.example.com' },
    service,
  );
  t.is(unknownResource.body.error, 'invalid_target');
});

testEachBackend('client credentials: wrong secret, unknown client, public client and disallowed grant are refused', async (t, server) => {
  await createResource(server.db, API_A, ['read']);
  const service = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API_A]: ['read'] } });
  const wrong = await postForm(
    `${server.url}/token`,
    { grant_type: 'client_credentials', scope: 'read' },
    { clientId: service.clientId, clientSecret: 'x'.repeat(43) },
  );
  t.is(wrong.status, 401);
  t.is(wrong.body.error, 'invalid_client');
  const unknown = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { clientId: 'nobody', clientSecret: 'x' });
  t.is(unknown.status, 401);
  const webApp = await createTestClient(server);
  const notAllowed = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, webApp);
  t.is(notAllowed.status, 400);
  t.is(notAllowed.body.error_description, 'requested grant type is not allowed for this client');
  const password = await postForm(`${server.url}/token`, { grant_type: 'password', username: 'a', password: 'b' }, webApp);
  t.is(password.body.error, 'unsupported_grant_type');
});

testEachBackend('a client created while the server runs is usable at once, and refused once deleted', async (t, server) => {
  await createResource(server.db, API_A, ['read']);
  const service = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API_A]: ['read'] } });
  t.is((await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, service)).status, 200);
  const { deleteClient } = await import('../../src/storage/clients.ts');
  await deleteClient(server.db, service.clientId);
  // the NOTIFY reaches the cache asynchronously; the next request after it must be refused
  let status = 200;
  for (let attempt = 0; attempt < 50 && status === 200; attempt++) {
    status = (await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, service)).status;
  }
  t.is(status, 401);
});

testEachBackend(
  'a client deleted through one process is refused at once by another process (cache invalidated everywhere)',
  async (t, server) => {
    const { startServerProcess } = await import('../helpers/server-process.ts');
    const other = await startServerProcess({
      ISSUER: server.url,
      DATABASE_URL: server.config.databaseUrl!,
      REDIS_URL: server.config.redisUrl!,
      SECRET_KEY: server.config.secretKey!,
    });
    t.teardown(async () => {
      await other.stop();
    });
    await createResource(server.db, API_A, ['read']);
    const service = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API_A]: ['read'] } });
    const issueAt = (url: string) => postForm(`${url}/token`, { grant_type: 'client_credentials', scope: 'read' }, service);
    t.is((await issueAt(other.url)).status, 200, 'the other process has the client cached now');
    const { deleteClient } = await import('../../src/storage/clients.ts');
    await deleteClient(server.db, service.clientId);
    let status = 200;
    for (let attempt = 0; attempt < 50 && status === 200; attempt++) status = (await issueAt(other.url)).status;
    t.is(status, 401, 'the NOTIFY reached the other process and dropped its cached client');
  },
  { only: ['postgres+redis'] },
);
