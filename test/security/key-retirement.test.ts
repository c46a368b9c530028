// Attack 11: signing keys retired too early. A client may have its ID tokens live a day; when the
// key that signed one is rotated out and then dropped from the JWKS after an hour, every relying
// party that checks that still-valid token against the JWKS refuses it (or, worse, an operator learns
// to skip the check). A retired key stays published until every token it signed has expired.
import { createLocalJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify, type JSONWebKeySet } from 'jose';
import { adminTest, type Harness } from '../helpers/admin-harness.ts';
import { createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { authorize } from '../helpers/user-agent.ts';

const DAY = 86_400;

const publishedJwks = async (url: string) => (await (await fetch(`${url}/jwks`)).json()) as JSONWebKeySet;

/** What a process restart (or the next key change) does: the provider reads the keys again. */
async function reloadKeys(harness: Harness) {
  await harness.server.portcullis.host.reload(); // may join a reload already under way
  await harness.server.portcullis.host.reload();
}

adminTest('a retired key stays in the JWKS while a 24-hour ID token it signed is alive, and leaves after', async (t, harness) => {
  const { server, call } = harness;
  const admin = await harness.bootstrap();
  const bearer = await harness.token(admin);
  const created = await call('POST', '/clients', {
    token: bearer,
    json: { name: 'Day-long ID tokens', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI], idTokenTtl: DAY },
  });
  t.is(created.status, 201, JSON.stringify(created.body));
  const client = { clientId: created.body.clientId as string, clientSecret: created.body.clientSecret as string };

  const user = await createUser(server.db);
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });
  const tokens = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  t.is(tokens.status, 200, JSON.stringify(tokens.body));
  const idToken = tokens.body.id_token as string;
  const { exp, iat } = decodeJwt(idToken);
  t.is(exp! - iat!, DAY);
  const { kid } = decodeProtectedHeader(idToken);

  const rotated = await call('POST', '/keys/rotate', { token: bearer });
  t.is(rotated.status, 200, JSON.stringify(rotated.body));
  const retired = (rotated.body as { kid: string; state: string; removeAfter: string | null }[]).find((key) => key.kid === kid);
  t.is(retired?.state, 'retired');
  t.true(
    Date.parse(retired!.removeAfter!) / 1000 >= exp!,
    `the key is kept until ${retired?.removeAfter}; the ID token it signed expires ${new Date(exp! * 1000).toISOString()}`,
  );

  // 23 hours later the ID token is still valid: its key must still be published
  harness.advance(23 * 3600);
  await reloadKeys(harness);
  const later = await publishedJwks(server.url);
  t.true(
    later.keys.some((key) => key.kid === kid),
    'the retired key is still in the JWKS',
  );
  const currentDate = new Date((iat! + 23 * 3600) * 1000);
  await t.notThrowsAsync(
    jwtVerify(idToken, createLocalJWKSet(later), { issuer: server.url, audience: client.clientId, currentDate }),
    'a relying party still verifies the ID token',
  );

  // once the token has expired, the key leaves the JWKS (and the store)
  harness.advance(2 * 3600);
  await reloadKeys(harness);
  t.false(
    (await publishedJwks(server.url)).keys.some((key) => key.kid === kid),
    'the retired key left the JWKS',
  );
  const { rows } = await server.db.query('SELECT 1 FROM signing_keys WHERE kid = $1', [kid]);
  t.is(rows.length, 0);
});
