// ID_TOKEN_CLAIMS: by default (`scopes`) the claims of the granted profile and email scopes are also
// in the ID token, where most relying-party libraries read them; `minimal` keeps them at userinfo
// only. Either way only the scopes of this request that the user granted yield claims, never more.
import type { JWTPayload } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser } from '../helpers/fixtures.ts';
import { signInAndRead } from '../helpers/relying-party.ts';

const PROFILE_AND_EMAIL = ['email', 'email_verified', 'name'];

const present = (claims: JWTPayload | Record<string, unknown>) => PROFILE_AND_EMAIL.filter((name) => name in claims);

testEachBackend('by default the ID token carries the claims of the granted profile and email scopes, and only those', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server);
  const full = await signInAndRead(t, server, client, { email: user.email, scope: 'openid email profile' });
  t.like(full.idToken, { sub: user.id, email: user.email, email_verified: true, name: 'Test User' });
  t.like(full.userinfo, { email: user.email, email_verified: true, name: 'Test User' });

  const emailOnly = await signInAndRead(t, server, client, { email: user.email, scope: 'openid email' });
  t.deepEqual(present(emailOnly.idToken), ['email', 'email_verified'], 'no profile claim without the profile scope');

  const bare = await signInAndRead(t, server, client, { email: user.email, scope: 'openid' });
  t.deepEqual(present(bare.idToken), [], 'openid alone yields no profile or email claim');
  t.deepEqual(present(bare.userinfo), []);
});

testEachBackend('a scope granted earlier but not requested now yields no claims; the claims parameter adds none', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server);
  const first = await signInAndRead(t, server, client, { email: user.email, scope: 'openid email profile' });
  t.deepEqual(present(first.idToken), PROFILE_AND_EMAIL);

  // the same browser and grant: the user consented to email and profile before, this request asks for openid only
  const again = await signInAndRead(t, server, client, { email: user.email, scope: 'openid', agent: first.agent });
  t.deepEqual(present(again.idToken), [], 'only the scopes of this request');
  t.deepEqual(present(again.userinfo), []);

  const claimsParameter = JSON.stringify({ id_token: { email: { essential: true }, name: null }, userinfo: { email: null } });
  const asked = await signInAndRead(t, server, client, {
    email: user.email,
    scope: 'openid',
    agent: first.agent,
    extra: { claims: claimsParameter },
  });
  t.deepEqual(present(asked.idToken), [], 'the claims parameter does not reach past the requested scopes');
  t.deepEqual(present(asked.userinfo), []);
});

testEachBackend(
  'ID_TOKEN_CLAIMS=minimal: the ID token has no profile or email claims, userinfo has them',
  async (t, server) => {
    t.is(server.config.idTokenClaims, 'minimal');
    const user = await createUser(server.db);
    const client = await createTestClient(server);
    const { idToken, userinfo } = await signInAndRead(t, server, client, { email: user.email, scope: 'openid email profile' });
    t.is(idToken.sub, user.id);
    t.deepEqual(present(idToken), []);
    t.like(userinfo, { sub: user.id, email: user.email, email_verified: true, name: 'Test User' });
  },
  { env: { ID_TOKEN_CLAIMS: 'minimal' } },
);
