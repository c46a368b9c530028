// Benchmark target (child process) of introspection-throughput.ts: the floor an introspection
// endpoint for RFC 9068 JWT access tokens cannot go below — a bare Koa handler that authenticates
// its one caller (client_secret_basic), verifies the token with `jose` against the same public keys
// Portcullis signs with, makes the one revocation lookup Portcullis makes (PostgreSQL, by jti: the
// same statement against a table of the same schema on the same server) and answers the same JSON.
//
// What it leaves out is what the comparison prices: oidc-provider's routing and client
// authentication, the rate limits in Redis, the introspection policy and the registry cache, and
// Portcullis' middleware. Its database is its own, isolated and migrated like the Portcullis
// target's (test/helpers/stores.ts), and dropped on stop; its pool has the same size (5).
// The parent passes the issuer, the JWKS and the caller's credentials (introspection-ipc.ts).
import { timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify, type JSONWebKeySet } from 'jose';
import Koa from 'koa';
import pg from 'pg';
import { createTestDatabase } from '../../test/helpers/stores.ts';
import { BASELINE_ENV, type IntrospectionTargetInfo } from './introspection-ipc.ts';
import { stopOnRequest } from './target-ipc.ts';

const setting = (name: string) => {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set: the baseline is started by introspection-throughput.ts`);
  return value;
};
const issuer = setting(BASELINE_ENV.issuer);
const keySet = createLocalJWKSet(JSON.parse(setting(BASELINE_ENV.jwks)) as JSONWebKeySet);
const callerId = setting(BASELINE_ENV.callerId);
const callerSecret = setting(BASELINE_ENV.callerSecret);
const expectedAuthorization = Buffer.from(
  `Basic ${Buffer.from(`${encodeURIComponent(callerId)}:${encodeURIComponent(callerSecret)}`).toString('base64')}`,
);

const database = await createTestDatabase('postgres');
const pool = new pg.Pool({ connectionString: database.url, max: 5 });
pool.on('error', () => {}); // an idle client losing its server must not end the run
const http = createServer();
// Registered before anything can fail or take long, so that a stop always drops the database.
stopOnRequest(async () => {
  await new Promise<void>((resolve) => {
    http.close(() => resolve());
    http.closeAllConnections();
  });
  await pool.end();
  await database.dispose();
});

/** The caller's credentials, compared in constant time as a secret must be. */
function authenticated(header: string | undefined): boolean {
  const presented = Buffer.from(header ?? '');
  return presented.length === expectedAuthorization.length && timingSafeEqual(presented, expectedAuthorization);
}

async function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

interface Claims {
  sub?: string;
  aud?: string | string[];
  client_id?: string;
  scope?: string;
  exp?: number;
  iat?: number;
  jti?: string;
  cnf?: { jkt?: string };
}

/** The answer jwt-access-tokens.ts gives, field for field and in the same order. */
async function introspect(token: string): Promise<Record<string, unknown>> {
  let claims: Claims & { iss?: string };
  try {
    ({ payload: claims } = await jwtVerify<Claims>(token, keySet, { issuer, typ: 'at+jwt' }));
  } catch {
    return { active: false };
  }
  if (!claims.jti) return { active: false };
  // The statement of src/storage/revoked-access-tokens.ts isAccessTokenRevoked.
  const revoked = await pool.query('SELECT 1 FROM revoked_access_tokens WHERE jti = $1', [claims.jti]);
  if (revoked.rows.length > 0) return { active: false };
  const jkt = typeof claims.cnf?.jkt === 'string' && claims.cnf.jkt !== '' ? claims.cnf.jkt : undefined;
  return {
    active: true,
    token_type: jkt ? 'DPoP' : 'Bearer',
    iss: claims.iss,
    sub: claims.sub,
    aud: claims.aud,
    client_id: claims.client_id,
    scope: claims.scope,
    exp: claims.exp,
    iat: claims.iat,
    jti: claims.jti,
    ...(jkt ? { cnf: { jkt } } : {}),
  };
}

const app = new Koa();
app.use(async (ctx) => {
  if (ctx.method !== 'POST' || ctx.path !== '/token/introspection') {
    ctx.status = 404;
    return;
  }
  ctx.set('cache-control', 'no-store');
  if (!authenticated(ctx.get('authorization') || undefined)) {
    ctx.status = 401;
    ctx.body = { error: 'invalid_client' };
    return;
  }
  const token = (await readForm(ctx.req)).get('token');
  if (!token) {
    ctx.status = 400;
    ctx.body = { error: 'invalid_request', error_description: 'missing required parameter: token' };
    return;
  }
  ctx.body = await introspect(token);
});

await new Promise<void>((resolve, reject) => {
  http.once('error', reject);
  http.listen(0, '127.0.0.1', () => resolve());
});
// eslint-disable-next-line @typescript-eslint/no-misused-promises -- Koa's callback handles its own errors
http.on('request', app.callback());
const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
const info: IntrospectionTargetInfo = {
  name: 'bare Koa + jose + PostgreSQL',
  url,
  introspectionEndpoint: `${url}/token/introspection`,
  callerId,
  callerSecret,
};
process.send!({ type: 'ready', target: info });
