// Benchmark target (child process) of introspection-throughput.ts: a whole Portcullis server on
// PostgreSQL + Redis — an isolated, freshly migrated database and a fresh Redis key prefix, both
// removed on stop; audit trail and rate limits on, as in portcullis-target.ts — with one API
// (https://api.example.com, ES256 RFC 9068 tokens), one service client allowed client_credentials
// for it, and one gateway client the API names as an introspecting client (README: "Who may
// introspect"). The gateway introspects the service client's tokens, so every introspection runs
// the whole policy: the caller is not the token's client, the API's introspecting clients decide.
// BENCH_LOG_LEVEL chooses the log level (default silent).
import { BACKENDS, startTestServer } from '../../test/helpers/server.ts';
import { createTestClient } from '../../test/helpers/fixtures.ts';
import { insertResourceServer } from '../../src/storage/resource-servers.ts';
import type { PortcullisIntrospectionInfo } from './introspection-ipc.ts';
import { BENCH_RESOURCE, BENCH_SCOPE, stopOnRequest } from './target-ipc.ts';

const backend = BACKENDS.find((candidate) => candidate.database === 'postgres' && candidate.redis);
if (!backend) throw new Error('no PostgreSQL + Redis backend in test/helpers/server.ts');

const server = await startTestServer(backend, { logLevel: process.env.BENCH_LOG_LEVEL ?? 'silent' });
stopOnRequest(() => server.close());
try {
  // The gateway first: the API names it, so it must exist when the API is created.
  const gateway = await createTestClient(server, { grantTypes: ['client_credentials'], authMethod: 'client_secret_basic' });
  await insertResourceServer(server.db, {
    identifier: BENCH_RESOURCE,
    name: 'Benchmark API',
    scopes: [{ name: BENCH_SCOPE, description: `Can ${BENCH_SCOPE}` }],
    tokenTtl: null,
    tokenAlg: 'ES256',
    introspectingClients: [gateway.clientId],
  });
  const service = await createTestClient(server, {
    grantTypes: ['client_credentials'],
    authMethod: 'client_secret_basic',
    resources: { [BENCH_RESOURCE]: [BENCH_SCOPE] },
  });
  const info: PortcullisIntrospectionInfo = {
    name: 'Portcullis (PostgreSQL + Redis)',
    url: server.url,
    issuer: server.config.issuer,
    jwksUri: `${server.url}/jwks`,
    introspectionEndpoint: `${server.url}/token/introspection`,
    callerId: gateway.clientId,
    callerSecret: gateway.clientSecret!,
    token: {
      name: 'Portcullis (PostgreSQL + Redis)',
      issuer: server.config.issuer,
      tokenEndpoint: `${server.url}/token`,
      clientId: service.clientId,
      clientSecret: service.clientSecret!,
    },
  };
  // target-ipc.ts' reportReady takes its TargetInfo; this target reports more.
  process.send!({ type: 'ready', target: info });
} catch (error) {
  await server.close();
  throw error;
}
