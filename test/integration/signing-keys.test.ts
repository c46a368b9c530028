import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, postForm } from '../helpers/fixtures.ts';
import { listSigningKeys, rotateSigningKeys } from '../../src/security/signing-keys.ts';
import { SIGNING_ALGORITHMS } from '../../src/security/signing-algorithms.ts';

const API = 'https://api.example.com';
const jwksOf = async (url: string) => ((await (await fetch(`${url}/jwks`)).json()) as { keys: { kid: string; alg: string }[] }).keys;

testEachBackend('private keys are encrypted at rest', async (t, server) => {
  const { rows } = await server.db.query<{ private_jwk: string }>('SELECT private_jwk FROM signing_keys');
  t.is(rows.length, SIGNING_ALGORITHMS.length * 2, 'a current and a next key per algorithm');
  for (const row of rows) {
    t.regex(row.private_jwk, /^v1\./);
    t.notRegex(row.private_jwk, /"d"/);
  }
});

testEachBackend('staged rotation: the published next key signs, the old key stays published until its tokens expire', async (t, server) => {
  await createResource(server.db, API, ['read']);
  const service = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API]: ['read'] } });
  const issue = async () =>
    (await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, service)).body.access_token as string;

  const before = await listSigningKeys(server.db);
  const currentEs = before.find((key) => key.alg === 'ES256' && key.state === 'current')!;
  const nextEs = before.find((key) => key.alg === 'ES256' && key.state === 'next')!;
  const oldToken = await issue();
  t.is(decodeProtectedHeader(oldToken).kid, currentEs.kid);
  t.true(
    (await jwksOf(server.url)).some((key) => key.kid === nextEs.kid),
    'the next key is published before it signs',
  );

  await rotateSigningKeys(server.db, server.portcullis.keys.encryptionKey, 900);
  // the running server hears the change and reloads its keys
  let newToken = await issue();
  for (let attempt = 0; attempt < 50 && decodeProtectedHeader(newToken).kid !== nextEs.kid; attempt++) newToken = await issue();
  t.is(decodeProtectedHeader(newToken).kid, nextEs.kid);

  const published = await jwksOf(server.url);
  t.true(
    published.some((key) => key.kid === currentEs.kid),
    'the retired key is still published',
  );
  const jwks = createLocalJWKSet({ keys: published });
  await t.notThrowsAsync(jwtVerify(oldToken, jwks, { issuer: server.url, audience: API }));
  await t.notThrowsAsync(jwtVerify(newToken, jwks, { issuer: server.url, audience: API }));
  const after = await listSigningKeys(server.db);
  t.is(after.find((key) => key.kid === currentEs.kid)?.state, 'retired');
  t.truthy(after.find((key) => key.kid === currentEs.kid)?.removeAfter);

  // once its tokens have expired, the retired key leaves the JWKS
  await server.db.query(`UPDATE signing_keys SET remove_after = now() - interval '1 second' WHERE kid = $1`, [currentEs.kid]);
  await rotateSigningKeys(server.db, server.portcullis.keys.encryptionKey, 900);
  // the running server heard the change above; wait for its reload (a busy machine can take seconds)
  await server.portcullis.host.reload();
  await server.portcullis.host.reload();
  t.false((await jwksOf(server.url)).some((key) => key.kid === currentEs.kid));
});
