// Benchmark target (child process): a whole Portcullis server on PostgreSQL + Redis — an isolated,
// freshly migrated database and a fresh Redis key prefix, both removed on stop — with one resource
// server, one client_secret_basic service client allowed client_credentials for it, and for the
// user grants one user and one public app client (authorization_code + refresh_token, PKCE, ES256
// ID tokens like the bare target's; Portcullis rotates a public client's refresh tokens) whose
// codes and refresh tokens it mints on request (user-grants.ts) through its real adapters.
// Started by token-throughput.ts; BENCH_LOG_LEVEL chooses the log level (default silent), and
// BENCH_AUDIT=off replaces the audit trail with one that records nothing (the audit baseline).
import { BACKENDS, startTestServer } from '../../test/helpers/server.ts';
import { createResource, createTestClient, createUser } from '../../test/helpers/fixtures.ts';
import { answerMintRequests, BENCH_REDIRECT_URI, BENCH_RESOURCE, BENCH_SCOPE, reportReady, stopOnRequest } from './target-ipc.ts';
import { mintCredentials } from './user-grants.ts';

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
  const app = await createTestClient(server, {
    grantTypes: ['authorization_code', 'refresh_token'],
    authMethod: 'none',
    redirectUris: [BENCH_REDIRECT_URI],
    resources: { [BENCH_RESOURCE]: [BENCH_SCOPE] },
    metadata: { id_token_signed_response_alg: 'ES256' }, // the bare target's only key (Portcullis' default is RS256)
  });
  const user = await createUser(server.db);
  // the provider of the moment (host.current(): a key rotation would replace it)
  answerMintRequests((grant, count) =>
    mintCredentials({ provider: () => server.portcullis.host.current(), clientId: app.clientId, accountId: user.id }, grant, count),
  );
  reportReady({
    name: auditOff ? 'Portcullis, audit off' : 'Portcullis (PostgreSQL + Redis)',
    issuer: server.url,
    tokenEndpoint: `${server.url}/token`,
    clientId: client.clientId,
    clientSecret: client.clientSecret!,
    appClientId: app.clientId,
  });
} catch (error) {
  await server.close();
  throw error;
}
