// Attack: make Portcullis sign or accept a token under an algorithm it should not. An admin input
// naming `none`, an HMAC algorithm (whose key would be a secret the server keeps only as a hash) or
// a near spelling is refused with a 400 naming the field; a token whose header was re-labelled to
// another algorithm, or MAC'd with a published public key as the HMAC secret, is not accepted.
import { createHmac, createPublicKey } from 'node:crypto';
import { decodeProtectedHeader } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { postForm } from '../helpers/fixtures.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { AppError } from '../../src/http/app-error.ts';
import type { TestServer } from '../helpers/server.ts';

const HOSTILE_ALGORITHMS: unknown[] = [
  'none',
  'HS256',
  'HS512',
  'rs256',
  'RS256 ',
  'Ed25519',
  'RS256\u0000',
  '',
  ['RS256'],
  { alg: 'RS256' },
  null,
  256,
];

async function refusal(t: { fail: (message: string) => void }, run: () => Promise<unknown>): Promise<AppError | undefined> {
  try {
    await run();
  } catch (error) {
    if (error instanceof AppError) return error;
    throw error;
  }
  t.fail('accepted');
  return undefined;
}

testEachBackend('an admin cannot give a client or an API the none, an HMAC or a misspelt signing algorithm', async (t, server) => {
  const api = 'https://api.example.com';
  await runAsOperator(server, 'resources.create', { identifier: api, scopes: [{ name: 'read' }] });
  const client = (await runAsOperator(server, 'clients.create', { name: 'App', redirectUris: ['https://app.example.com/cb'] })) as {
    clientId: string;
  };
  for (const alg of HOSTILE_ALGORITHMS) {
    const label = JSON.stringify(alg);
    const attempts: [string, string, () => Promise<unknown>][] = [
      [
        'clients.create',
        'idTokenAlg',
        () => runAsOperator(server, 'clients.create', { name: 'Evil', redirectUris: ['https://app.example.com/cb'], idTokenAlg: alg }),
      ],
      ['clients.update', 'idTokenAlg', () => runAsOperator(server, 'clients.update', { clientId: client.clientId, idTokenAlg: alg })],
      [
        'resources.create',
        'tokenAlg',
        () => runAsOperator(server, 'resources.create', { identifier: 'https://evil.example.com', tokenAlg: alg }),
      ],
      ['resources.update', 'tokenAlg', () => runAsOperator(server, 'resources.update', { identifier: api, tokenAlg: alg })],
    ];
    for (const [operation, field, attempt] of attempts) {
      const error = await refusal(t, attempt);
      t.is(error?.status, 400, `${operation} ${label}`);
      t.true(error?.message.startsWith(`${field}:`), `${operation} ${label} names ${field}: ${error?.message}`);
    }
  }
  const { rows } = await server.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM clients WHERE name = 'Evil'`);
  t.is(rows[0]!.n, 0, 'nothing was registered');
  const resource = (await runAsOperator(server, 'resources.show', { identifier: api })) as { tokenAlg: string };
  t.is(resource.tokenAlg, 'ES256', 'nothing was changed');
});

const segments = (token: string) => token.split('.') as [string, string, string];
const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

async function tokenSignedWith(server: TestServer, alg: string) {
  const api = `https://api-${alg.toLowerCase()}.example.com`;
  await runAsOperator(server, 'resources.create', { identifier: api, scopes: [{ name: 'read' }], tokenAlg: alg });
  const service = (await runAsOperator(server, 'clients.create', {
    name: 'Service',
    grantTypes: ['client_credentials'],
    resources: [api],
    scopes: ['read'],
  })) as { clientId: string; clientSecret: string };
  const token = (await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, service)).body
    .access_token as string;
  if (decodeProtectedHeader(token).alg !== alg) throw new Error(`expected a ${alg} token`);
  return { service, token };
}

testEachBackend("a token re-labelled to another algorithm, or MAC'd with a published public key, is not accepted", async (t, server) => {
  const introspect = async (service: { clientId: string; clientSecret: string }, token: string) =>
    (await postForm(`${server.url}/token/introspection`, { token }, service)).body.active;

  const ps = await tokenSignedWith(server, 'PS256');
  const ed = await tokenSignedWith(server, 'EdDSA');
  t.true(await introspect(ps.service, ps.token), 'the honest PS256 token is active');
  t.true(await introspect(ed.service, ed.token), 'the honest EdDSA token is active');

  const [psHeader, psPayload, psSignature] = segments(ps.token);
  const header = JSON.parse(Buffer.from(psHeader, 'base64url').toString()) as Record<string, unknown>;
  // RSASSA-PSS signature presented as PKCS#1 v1.5 under the same RSA key
  t.false(await introspect(ps.service, `${encode({ ...header, alg: 'RS256' })}.${psPayload}.${psSignature}`));
  const [edHeader, edPayload, edSignature] = segments(ed.token);
  const edHeaderJson = JSON.parse(Buffer.from(edHeader, 'base64url').toString()) as Record<string, unknown>;
  t.false(await introspect(ed.service, `${encode({ ...edHeaderJson, alg: 'Ed25519' })}.${edPayload}.${edSignature}`));
  t.false(await introspect(ed.service, `${encode({ ...edHeaderJson, alg: 'none' })}.${edPayload}.`));

  // the classic confusion: HS256 keyed with the RSA public key as the verifier would read it
  const jwks = (await (await fetch(`${server.url}/jwks`)).json()) as { keys: Record<string, unknown>[] };
  const psKey = jwks.keys.find((key) => key.kid === header.kid)!;
  const pem = createPublicKey({ key: psKey, format: 'jwk' }).export({ type: 'spki', format: 'pem' });
  for (const secret of [pem, JSON.stringify(psKey), String(psKey.n)]) {
    const forgedHeader = encode({ ...header, alg: 'HS256' });
    const mac = createHmac('sha256', secret).update(`${forgedHeader}.${psPayload}`).digest('base64url');
    t.false(await introspect(ps.service, `${forgedHeader}.${psPayload}.${mac}`));
  }
});
