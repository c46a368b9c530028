// Benchmark target (child process): a bare oidc-provider with its default in-memory adapter,
// one client_secret_basic service client and one resource server issuing ES256 JWT access tokens.
// Started by token-throughput.ts; reports its endpoint over IPC and stops when told to (or when
// the parent goes away).
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import { BENCH_RESOURCE, BENCH_SCOPE, reportReady, stopOnRequest } from './target-ipc.ts';

const http = createServer();
await new Promise<void>((resolve, reject) => {
  http.once('error', reject);
  http.listen(0, '127.0.0.1', () => resolve());
});
const issuer = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;

const { privateKey } = await generateKeyPair('ES256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'bench-es256', alg: 'ES256', use: 'sig' };
const clientId = 'bench-service';
const clientSecret = randomBytes(32).toString('base64url');

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: clientId,
      client_secret: clientSecret,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'ES256', // the only key it has (the default would be RS256)
    },
  ],
  features: {
    devInteractions: { enabled: false },
    clientCredentials: { enabled: true },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => BENCH_RESOURCE,
      getResourceServerInfo: () => ({
        scope: BENCH_SCOPE,
        audience: BENCH_RESOURCE,
        accessTokenFormat: 'jwt',
        accessTokenTTL: 900,
        jwt: { sign: { alg: 'ES256' } },
      }),
    },
  },
  ttl: { ClientCredentials: 900 },
  jwks: { keys: [signingKey] },
});
// eslint-disable-next-line @typescript-eslint/no-misused-promises -- Koa's callback handles its own errors
http.on('request', provider.callback());

reportReady({ name: 'bare oidc-provider', issuer, tokenEndpoint: `${issuer}/token`, clientId, clientSecret });
stopOnRequest(async () => {
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
});
