// Token-endpoint prefetch (src/oidc/adapters/request-prefetch.ts): a grant source's Grant and account
// are read with it and kept on the request (oidc-provider's Provider.ctx, an AsyncLocalStorage). The
// attack: refresh tokens of different users redeemed at the same moment, their reads interleaved on
// the event loop and in the store's pool, hoping one request is answered with what another read (an
// ID token for someone else, or a disabled user let through on a neighbour's account). Each answer
// must name its own user, and a disabled user among them must be refused whatever the others do.
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { signInForTokens } from '../helpers/user-tokens.ts';

/** A new user signed in to `client`, and the refresh token it holds for them. */
async function tokensFor(server: TestServer, client: TestClient) {
  const user = await createUser(server.db);
  const tokens = await signInForTokens(server, client, user.email);
  if (!tokens?.refreshToken) throw new Error(`${user.email} got no refresh token`);
  return { user, refreshToken: tokens.refreshToken };
}

const subjectOf = (idToken: unknown): string =>
  (JSON.parse(Buffer.from(String(idToken).split('.')[1]!, 'base64url').toString('utf8')) as { sub: string }).sub;

testEachBackend(
  'refresh tokens of different users redeemed at once: each answer is for its own user, a disabled one is refused',
  async (t, server) => {
    const client = await createTestClient(server); // confidential: no rotation, each token can be used every round
    const holders = [];
    for (let i = 0; i < 5; i++) holders.push(await tokensFor(server, client));
    const disabled = holders[2]!;
    await server.db.query('UPDATE accounts SET disabled_at = now() WHERE id = $1', [disabled.user.id]);

    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(
        holders.flatMap((holder) =>
          [0, 1].map(async () => ({
            holder,
            answer: await postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: holder.refreshToken }, client),
          })),
        ),
      );
      for (const { holder, answer } of answers) {
        if (holder === disabled) {
          t.is(answer.body.error, 'invalid_grant', `round ${round}: the disabled user is refused`);
          continue;
        }
        t.is(answer.status, 200, JSON.stringify(answer.body));
        t.is(subjectOf(answer.body.id_token), holder.user.id, `round ${round}: the ID token names the token's own user`);
      }
    }
  },
);
