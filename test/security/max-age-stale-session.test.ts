// Attack: riding on an old sign-in. A relying party that needs a recent authentication (before a
// payment, a settings change) sends `max_age`; someone at an unlocked browser whose session is older
// than that must be asked for the password again, and the ID token's `auth_time` must tell the
// relying party when the user really signed in — not when the code or the token was requested, which
// would make any old session look fresh. Refresh-issued ID tokens keep the original auth_time.
//
// oidc-provider reads its own clock (Date.now) for session ages, so instead of waiting the tests age
// the session: they move the session's sign-in time (`loginTs`, what `auth_time` comes from) back in
// the store, through the provider's own Session model.
// max_age=0 and prompt=login on a fresh session: test/integration/authorization-code.test.ts.
import type { ExecutionContext } from 'ava';
import { decodeJwt, type JWTPayload } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize, pkcePair, UserAgent, type AuthorizeOptions } from '../helpers/user-agent.ts';

/** How far back the tests move a sign-in: well past the max_age they then send, well within the session's lifetime. */
const AGE = 600;

/** A browser that remembers its session cookie's value (the id of the provider's Session record). */
class SessionAgent extends UserAgent {
  sessionId: string | undefined;

  override async request(url: string, init: RequestInit = {}): Promise<Response> {
    const response = await super.request(url, init);
    for (const cookie of response.headers.getSetCookie()) {
      const match = /^portcullis\.session=([^;]*)/.exec(cookie);
      // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an emptied cookie is no session
      if (match) this.sessionId = match[1] || undefined;
    }
    return response;
  }
}

const epoch = () => Math.floor(Date.now() / 1000);

/** Moves the session's sign-in `seconds` back, as if the user had signed in that long ago; returns the new sign-in time. */
async function ageSession(t: ExecutionContext, server: TestServer, agent: SessionAgent, seconds: number): Promise<number> {
  t.truthy(agent.sessionId, 'the browser holds a session cookie');
  const session = await server.portcullis.host.current().Session.find(agent.sessionId!);
  t.truthy(session, 'the session is in the store');
  t.is(typeof session!.loginTs, 'number');
  session!.loginTs! -= seconds;
  await session!.persist();
  return session!.loginTs!;
}

async function signIn(t: ExecutionContext, server: TestServer, client: TestClient, options: Omit<AuthorizeOptions, 'issuer' | 'clientId'>) {
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, ...options });
  t.truthy(flow.code, `${flow.callback} ${flow.pages.at(-1)?.slice(0, 300)}`);
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  t.is(token.status, 200, JSON.stringify(token.body));
  return { flow, token, idToken: decodeJwt(token.body.id_token as string) };
}

const askedForPassword = (pages: string[]) => pages.some((page) => page.includes('id="password"'));

testEachBackend('max_age: a session older than max_age must sign in again; auth_time is the real sign-in time', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server, { firstParty: true });
  const agent = new SessionAgent();

  const before = epoch();
  const first = await signIn(t, server, client, { email: user.email, scope: 'openid', agent, extra: { max_age: '3600' } });
  t.is(typeof first.idToken.auth_time, 'number', 'max_age makes auth_time part of the ID token');
  const signedInAt = first.idToken.auth_time as number;
  t.true(signedInAt >= before && signedInAt <= epoch(), 'auth_time is when the password was checked');

  // the user signed in AGE seconds ago (nothing else changes)
  const agedSignIn = await ageSession(t, server, agent, AGE);

  // a request that tolerates that age is answered silently, and its ID token says how old the sign-in is
  const tolerant = await signIn(t, server, client, {
    email: user.email,
    scope: 'openid',
    agent,
    extra: { max_age: String(AGE * 2), prompt: 'none' },
  });
  t.false(askedForPassword(tolerant.flow.pages));
  t.is(tolerant.idToken.auth_time, agedSignIn, 'auth_time is the time of the sign-in, not of this authorization or token request');
  t.true(tolerant.idToken.iat! - (tolerant.idToken.auth_time as number) >= AGE, 'a relying party can see the sign-in is old');

  // one that does not: no code without a new sign-in
  const silent = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid',
    agent,
    extra: { max_age: '60', prompt: 'none' },
  });
  t.is(silent.code, undefined, 'a stale session yields no code silently');
  t.is(silent.error, 'login_required');

  const before2 = epoch();
  const fresh = await signIn(t, server, client, { email: user.email, scope: 'openid', agent, extra: { max_age: '60' } });
  t.true(askedForPassword(fresh.flow.pages), 'the password is asked for again');
  const reSignedInAt = fresh.idToken.auth_time as number;
  t.true(reSignedInAt >= before2 && reSignedInAt <= epoch(), 'auth_time is the new sign-in');
  t.not(reSignedInAt, agedSignIn);

  // that new sign-in now satisfies the same max_age without a password
  const after = await signIn(t, server, client, { email: user.email, scope: 'openid', agent, extra: { max_age: '60', prompt: 'none' } });
  t.is(after.idToken.auth_time, reSignedInAt);
});

testEachBackend('max_age: an ID token issued from a refresh token keeps the original auth_time', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server, { firstParty: true });
  const agent = new SessionAgent();
  await signIn(t, server, client, { email: user.email, scope: 'openid', agent });
  const agedSignIn = await ageSession(t, server, agent, AGE);

  const { token, idToken } = await signIn(t, server, client, {
    email: user.email,
    scope: 'openid offline_access',
    agent,
    extra: { max_age: String(AGE * 2) },
  });
  t.is(idToken.auth_time, agedSignIn);
  t.truthy(token.body.refresh_token);

  const refreshed = await postForm(
    `${server.url}/token`,
    { grant_type: 'refresh_token', refresh_token: token.body.refresh_token as string },
    client,
  );
  t.is(refreshed.status, 200, JSON.stringify(refreshed.body));
  const refreshedIdToken: JWTPayload = decodeJwt(refreshed.body.id_token as string);
  t.is(refreshedIdToken.auth_time, agedSignIn, 'a refresh is no sign-in (OpenID Connect Core §12.2)');
  t.true(refreshedIdToken.iat! - agedSignIn >= AGE);
});

testEachBackend(
  'max_age: a value that is not a non-negative whole number is refused with invalid_request, never a 500',
  async (t, server) => {
    const client = await createTestClient(server, { firstParty: true });
    const agent = new UserAgent();
    // (an empty max_age is no max_age: RFC 6749 §3.1, a parameter without a value is as if omitted)
    for (const maxAge of ['-1', 'abc', '1.5', '1e400']) {
      const query = new URLSearchParams({
        client_id: client.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        state: 's',
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
        max_age: maxAge,
      });
      const answer = await agent.request(`${server.url}/auth?${query}`);
      t.true(answer.status < 500, `max_age=${maxAge}: ${answer.status}`);
      const location = answer.headers.get('location') ?? '';
      t.true(
        location.startsWith(`${REDIRECT_URI}?`),
        `max_age=${maxAge}: the error goes back to the client, not to a sign-in (${location})`,
      );
      const callback = new URL(location, server.url);
      t.is(callback.searchParams.get('error'), 'invalid_request', `max_age=${maxAge}`);
      t.regex(callback.searchParams.get('error_description') ?? '', /max_age/, `max_age=${maxAge}: the error names the field`);
    }
  },
);
