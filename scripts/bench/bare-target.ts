// Benchmark target (child process): a bare oidc-provider with its in-memory adapter, one
// client_secret_basic service client and one resource server issuing ES256 JWT access tokens; for
// the user grants one public app client (authorization_code + refresh_token, PKCE, ES256 ID
// tokens) whose refresh tokens rotate on every use, as Portcullis rotates a public client's, and
// whose codes and refresh tokens it mints on request (user-grants.ts). Its claims per scope and its
// use of the granted resource at the token endpoint are Portcullis' own, so that both issue the
// same tokens for the same request. Started by token-throughput.ts; reports its endpoint over IPC
// and stops when told to (or when the parent goes away).
import { randomBytes, randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';
import MemoryAdapter from 'oidc-provider/lib/adapters/memory_adapter.js';
import LRU from 'oidc-provider/lib/helpers/lru.js';
import { CLAIMS_BY_SCOPE } from '../../src/oidc/find-account.ts';
import { answerMintRequests, BENCH_REDIRECT_URI, BENCH_RESOURCE, BENCH_SCOPE, reportReady, stopOnRequest } from './target-ipc.ts';
import { mintCredentials } from './user-grants.ts';

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
const appClientId = 'bench-app';
const accountId = randomUUID();

// The library's memory adapter keeps 1000 to 2000 records (an LRU of two generations): minting a
// round's codes (a Grant, a code and the grant's index each) would evict the first ones before they
// are redeemed. The same adapter over the same LRU, only large enough for a whole run.
const store = new LRU({ maxSize: 10_000_000 });

const provider = new Provider(issuer, {
  adapter: (name: string) => new MemoryAdapter(name, store),
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
    {
      client_id: appClientId,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: [BENCH_REDIRECT_URI],
      token_endpoint_auth_method: 'none',
      id_token_signed_response_alg: 'ES256',
    },
  ],
  // the account from memory: Portcullis reads it from PostgreSQL (part of what is compared)
  findAccount: (_ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  claims: CLAIMS_BY_SCOPE,
  rotateRefreshToken: true,
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
      // a code or refresh token for one API gets an access token for it without naming it again
      useGrantedResource: () => true,
    },
  },
  // Portcullis' default lifetimes (the library would warn about its own on every first use)
  ttl: { ClientCredentials: 900, AccessToken: 900, AuthorizationCode: 60, IdToken: 3600, RefreshToken: 14 * 86_400, Grant: 14 * 86_400 },
  jwks: { keys: [signingKey] },
});
// eslint-disable-next-line @typescript-eslint/no-misused-promises -- Koa's callback handles its own errors
http.on('request', provider.callback());

answerMintRequests((grant, count) => mintCredentials({ provider: () => provider, clientId: appClientId, accountId }, grant, count));
reportReady({ name: 'bare oidc-provider', issuer, tokenEndpoint: `${issuer}/token`, clientId, clientSecret, appClientId });
stopOnRequest(async () => {
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
});
