// APIs protected by the JWT libraries people use (test/interop/apis.ts), pointed at Portcullis as
// the README says: each accepts a right access token and refuses one for another API, an expired
// one and one without the scope. Access tokens are ES256 by default, RS256 with `--token-alg RS256`;
// the JWKS the libraries read holds EC, RSA and OKP keys.
import test, { type ExecutionContext } from 'ava';
import { postForm } from '../helpers/fixtures.ts';
import { createdClient, listenForApp, startPortcullis, type InteropPortcullis } from '../helpers/interop.ts';
import { BACKENDS, type BackendSetup } from '../helpers/server.ts';
import { API_LIBRARIES, type ApiOptions } from './apis.ts';
import { README_COMMANDS } from './readme-commands.ts';

const API = 'https://api.example.com';
/** What an API library sees in a request: the status and the subject it answered. */
interface Answer {
  status: number;
  sub?: string;
}

interface Tokens {
  audience: string;
  /** the audience of `short`: a resource server whose tokens live 30 s */
  shortAudience: string;
  algorithm: ApiOptions['algorithm'];
  right: string;
  rightSubject: string;
  otherApi: string;
  withoutScope: string;
  /** a fresh token of the 30-s resource server (fresh: it must not expire while the test runs) */
  short: () => Promise<string>;
}

interface Deployment {
  portcullis: InteropPortcullis;
  es256: Tokens;
  rs256: Promise<Tokens>;
}

async function clientCredentials(
  portcullis: InteropPortcullis,
  client: { clientId: string; clientSecret: string | undefined },
  form: Record<string, string>,
) {
  const answer = await postForm(`${portcullis.url}/token`, { grant_type: 'client_credentials', ...form }, client);
  if (answer.status !== 200) throw new Error(`client_credentials ${JSON.stringify(form)}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.access_token as string;
}

/** The README's API and worker; besides them (test only) another API and APIs of 30-s tokens. */
async function deploy(backend: BackendSetup): Promise<Deployment> {
  const portcullis = await startPortcullis(backend);
  const cli = portcullis.cli;
  await cli(README_COMMANDS.api);
  const worker = createdClient(await cli(README_COMMANDS.worker));
  await cli('npx portcullis resources create --identifier https://other.example.com --scope read');
  await cli('npx portcullis resources create --identifier https://short.example.com --scope read --token-ttl 30');
  const tester = createdClient(
    await cli(
      `npx portcullis clients create --name Tester --grant-type client_credentials --resource ${API} --resource https://other.example.com --resource https://short.example.com --scope read --scope write`,
    ),
  );
  const es256: Tokens = {
    audience: API,
    shortAudience: 'https://short.example.com',
    algorithm: 'ES256',
    right: await clientCredentials(portcullis, worker, { scope: 'read' }),
    rightSubject: worker.clientId,
    otherApi: await clientCredentials(portcullis, tester, { scope: 'read', resource: 'https://other.example.com' }),
    withoutScope: await clientCredentials(portcullis, tester, { scope: 'write', resource: API }),
    short: () => clientCredentials(portcullis, tester, { scope: 'read', resource: 'https://short.example.com' }),
  };
  const rs256 = (async (): Promise<Tokens> => {
    await cli('npx portcullis resources create --identifier https://rs256.example.com --scope read --scope write --token-alg RS256');
    await cli('npx portcullis resources create --identifier https://short-rs256.example.com --scope read --token-ttl 30 --token-alg RS256');
    const rsTester = createdClient(
      await cli(
        'npx portcullis clients create --name "RS256 tester" --grant-type client_credentials --resource https://rs256.example.com --resource https://short-rs256.example.com --scope read --scope write',
      ),
    );
    return {
      audience: 'https://rs256.example.com',
      shortAudience: 'https://short-rs256.example.com',
      algorithm: 'RS256',
      right: await clientCredentials(portcullis, rsTester, { scope: 'read', resource: 'https://rs256.example.com' }),
      rightSubject: rsTester.clientId,
      otherApi: es256.otherApi,
      withoutScope: await clientCredentials(portcullis, rsTester, { scope: 'write', resource: 'https://rs256.example.com' }),
      short: () => clientCredentials(portcullis, rsTester, { scope: 'read', resource: 'https://short-rs256.example.com' }),
    };
  })();
  rs256.catch(() => {}); // its tests report the failure; the ES256 ones go on
  return { portcullis, es256, rs256 };
}

const deployments = new Map<string, Promise<Deployment>>();
const deployment = (backend: BackendSetup) => {
  if (!deployments.has(backend.name)) deployments.set(backend.name, deploy(backend));
  return deployments.get(backend.name)!;
};

test.after.always(async () => {
  for (const pending of deployments.values()) {
    const deployed = await pending.catch(() => undefined);
    await deployed?.rs256.catch(() => undefined);
    await deployed?.portcullis.close();
  }
});

/** Starts the library's API on a free port; resolves to a function calling `GET /data` with a token. */
async function startApi(t: ExecutionContext, library: keyof typeof API_LIBRARIES, options: ApiOptions) {
  const server = await listenForApp();
  t.teardown(() => server.close());
  server.serve(API_LIBRARIES[library](options));
  return async (token?: string): Promise<Answer> => {
    const response = await fetch(`${server.url}/data`, token ? { headers: { authorization: `Bearer ${token}` } } : {});
    const body = (await response.json().catch(() => ({}))) as { sub?: string };
    return { status: response.status, ...(body.sub ? { sub: body.sub } : {}) };
  };
}

async function apiChecks(t: ExecutionContext, backend: BackendSetup, library: keyof typeof API_LIBRARIES, algorithm: 'ES256' | 'RS256') {
  const { portcullis, es256, rs256 } = await deployment(backend);
  const tokens = algorithm === 'ES256' ? es256 : await rs256;
  const header = JSON.parse(Buffer.from(tokens.right.split('.')[0]!, 'base64url').toString()) as { alg: string; typ: string };
  t.like(header, { alg: algorithm, typ: 'at+jwt' }, 'the token is what the resource server says it signs');

  const jwks = (await (await fetch(`${portcullis.url}/jwks`)).json()) as { keys: { kty: string }[] };
  t.deepEqual(
    [...new Set(jwks.keys.map((key) => key.kty))].sort(),
    ['EC', 'OKP', 'RSA'],
    'the libraries read a JWKS of EC, RSA and OKP (Ed25519) keys',
  );

  const base = { issuer: portcullis.url, algorithm: tokens.algorithm };
  const api = await startApi(t, library, { ...base, audience: tokens.audience });
  t.deepEqual(await api(tokens.right), { status: 200, sub: tokens.rightSubject }, 'a right token is accepted');
  t.is((await api(tokens.otherApi)).status, 401, 'a token for another API is refused');
  t.is((await api(tokens.withoutScope)).status, 403, 'a token without the read scope is refused');
  t.is((await api()).status, 401, 'no token, no data');

  // Expiry, with the verifier's clock moved rather than waiting: just after the token's exp it is
  // refused, ten seconds before it the same verifier takes it.
  const short = await tokens.short();
  const { iat, exp } = JSON.parse(Buffer.from(short.split('.')[1]!, 'base64url').toString()) as { iat: number; exp: number };
  t.is(exp - iat, 30, 'a token of a resource server created with --token-ttl 30 lives 30 s');
  const nowSeconds = Math.floor(Date.now() / 1000);
  const before = await startApi(t, library, { ...base, audience: tokens.shortAudience, clockOffsetSeconds: exp - 10 - nowSeconds });
  const after = await startApi(t, library, { ...base, audience: tokens.shortAudience, clockOffsetSeconds: exp + 1 - nowSeconds });
  t.is((await before(short)).status, 200, 'ten seconds before exp the token is good');
  t.is((await after(short)).status, 401, 'an expired token is refused');
}

for (const backend of BACKENDS) {
  for (const library of Object.keys(API_LIBRARIES) as (keyof typeof API_LIBRARIES)[]) {
    for (const algorithm of ['ES256', 'RS256'] as const) {
      test(
        `${library} accepts right ${algorithm} access tokens and refuses another API's, expired and scopeless ones (${backend.name})`,
        apiChecks,
        backend,
        library,
        algorithm,
      );
    }
  }
}
