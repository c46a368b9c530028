// Benchmark target (child process): a whole Portcullis server on PostgreSQL + Redis — an isolated,
// freshly migrated database and a fresh Redis key prefix, both removed on stop — with one resource
// server and one client_secret_basic service client allowed client_credentials for it.
// Started by token-throughput.ts; BENCH_LOG_LEVEL chooses the log level (default silent), and
// BENCH_AUDIT=off replaces the audit trail with one that records nothing (the audit baseline).
import { BACKENDS, startTestServer } from '../../test/helpers/server.ts';
import { createResource, createTestClient } from '../../test/helpers/fixtures.ts';
import { BENCH_RESOURCE, BENCH_SCOPE, reportReady, stopOnRequest } from './target-ipc.ts';

const backend = BACKENDS.find((candidate) => candidate.database === 'postgres' && candidate.redis);
if (!backend) throw new Error('no PostgreSQL + Redis backend in test/helpers/server.ts');

const auditOff = process.env.BENCH_AUDIT === 'off';
const server = await startTestServer(backend, { logLevel: process.env.BENCH_LOG_LEVEL ?? 'silent', auditOff });
stopOnRequest(() => server.close());
try {
  await createResource(server.db, BENCH_RESOURCE, [BENCH_SCOPE]);
  const client = await createTestClient(server, {
    grantTypes: ['client_credentials'],
    authMethod: 'client_secret_basic',
    resources: { [BENCH_RESOURCE]: [BENCH_SCOPE] },
  });
  reportReady({
    name: auditOff ? 'Portcullis, audit off' : 'Portcullis (PostgreSQL + Redis)',
    issuer: server.url,
    tokenEndpoint: `${server.url}/token`,
    clientId: client.clientId,
    clientSecret: client.clientSecret!,
  });
} catch (error) {
  await server.close();
  throw error;
}
