// Counts the store round trips of one token request per grant on Portcullis (PostgreSQL + Redis):
// every SQL statement and Redis command the request causes, in order. The throughput bench tells
// how much a request costs; this tells what it talks to, which on a busy host is most of it.
//
//   node scripts/bench/round-trips.ts [--grant refresh_token|authorization_code|client_credentials]
import { parseArgs } from 'node:util';
import type { Redis } from 'ioredis';
import { BACKENDS, startTestServer } from '../../test/helpers/server.ts';
import { createResource, createTestClient, createUser } from '../../test/helpers/fixtures.ts';
import { BENCH_REDIRECT_URI, BENCH_RESOURCE, BENCH_SCOPE } from './target-ipc.ts';
import { mintCredentials } from './user-grants.ts';

const { values: args } = parseArgs({ options: { grant: { type: 'string', default: 'refresh_token' } }, strict: true });
const backend = BACKENDS.find((candidate) => candidate.database === 'postgres' && candidate.redis)!;
const server = await startTestServer(backend);
try {
  await createResource(server.db, BENCH_RESOURCE, [BENCH_SCOPE]);
  const app = await createTestClient(server, {
    grantTypes: ['authorization_code', 'refresh_token'],
    authMethod: 'none',
    redirectUris: [BENCH_REDIRECT_URI],
    resources: { [BENCH_RESOURCE]: [BENCH_SCOPE] },
    metadata: { id_token_signed_response_alg: 'ES256' },
  });
  const user = await createUser(server.db);
  const grant = args.grant === 'authorization_code' ? 'authorization_code' : 'refresh_token';
  const setup = { provider: () => server.portcullis.host.current(), clientId: app.clientId, accountId: user.id };
  const credentials = await mintCredentials(setup, grant, 3);

  const log: string[] = [];
  const db = server.stores.db as unknown as Record<string, (...rest: unknown[]) => unknown>;
  for (const method of ['query', 'transaction'] as const) {
    const original = db[method]!.bind(db);
    db[method] = (...rest: unknown[]) => {
      log.push(`pg     ${method === 'query' ? String(rest[0]).replace(/\s+/g, ' ').slice(0, 150) : 'transaction'}`);
      return original(...rest);
    };
  }
  const redis = server.stores.redis as Redis & { sendCommand: (command: { name: string; args: unknown[] }) => unknown };
  const send = redis.sendCommand.bind(redis);
  redis.sendCommand = (command) => {
    log.push(`redis  ${command.name} ${command.args.map(String).join(' ').slice(0, 110)}`);
    return send(command);
  };

  const redeem = async (value: string, verifier?: string) => {
    const body = new URLSearchParams(
      grant === 'authorization_code'
        ? { grant_type: grant, code: value, code_verifier: verifier!, redirect_uri: BENCH_REDIRECT_URI, client_id: app.clientId }
        : { grant_type: grant, refresh_token: value, client_id: app.clientId },
    );
    const response = await fetch(`${server.url}/token`, { method: 'POST', body });
    if (!response.ok) throw new Error(`${response.status} ${await response.text()}`);
  };
  // the first request warms the caches (client, API); the second is the steady state
  await redeem(credentials[0]!.value, credentials[0]!.verifier);
  await new Promise((resolve) => setTimeout(resolve, 200));
  log.length = 0;
  await redeem(credentials[1]!.value, credentials[1]!.verifier);
  await new Promise((resolve) => setTimeout(resolve, 1500)); // the audit batch
  console.log(
    `${grant}: ${log.filter((line) => line.startsWith('pg')).length} SQL, ${log.filter((line) => line.startsWith('redis')).length} Redis`,
  );
  for (const line of log) console.log(`  ${line}`);
} finally {
  await server.close();
}
