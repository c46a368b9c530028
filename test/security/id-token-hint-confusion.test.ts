// Attack: an `id_token_hint` that is not what it claims. An attacker holding an ID token issued to one
// relying party (A) uses it at another (B): to end the user's session through B and be sent to B's
// post-logout page, or to request a silent sign-in. Or they hint at another user than the one signed
// in, hoping the server answers with the session's user anyway; or they present a hint they made
// themselves (no signature, their own key, a genuine token with its subject changed, another issuer).
// An ID token is a hint and never a credential: an expired but genuine one may still name the user
// (OpenID Connect RP-Initiated Logout §2 asks the server to accept those), but it signs nobody in.
// The plain RP-initiated logout: test/integration/logout.test.ts; post-logout URI variants:
// test/security/redirect-uri.test.ts.
import type { ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import {
  decodeJwt,
  decodeProtectedHeader,
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  UnsecuredJWT,
  type CryptoKey,
  type JWK,
  type JWTPayload,
} from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import { runAsOperator } from '../helpers/operator.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize, UserAgent } from '../helpers/user-agent.ts';
import { loadPrivateJwks } from '../../src/security/signing-keys.ts';

const A_LOGGED_OUT = 'http://127.0.0.1:8080/logged-out';
const B_LOGGED_OUT = 'http://127.0.0.1:9090/b-logged-out';

/** Relying party B: first-party, its own post-logout page. */
async function createClientB(server: TestServer): Promise<TestClient> {
  const created = (await runAsOperator(server, 'clients.create', {
    name: 'Relying party B',
    grantTypes: ['authorization_code'],
    redirectUris: [REDIRECT_URI],
    postLogoutRedirectUris: [B_LOGGED_OUT],
    firstParty: true,
  })) as { clientId: string; clientSecret: string };
  return { clientId: created.clientId, clientSecret: created.clientSecret };
}

/** Signs `email` in at `client` in `agent` (a new browser if none) and returns the ID token issued. */
async function signIn(
  t: ExecutionContext,
  server: TestServer,
  client: TestClient,
  email: string,
  agent = new UserAgent(),
  extra: Record<string, string> = {},
) {
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email, scope: 'openid', agent, extra });
  t.truthy(flow.code, `${flow.callback} ${flow.pages.at(-1)?.slice(0, 300)}`);
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  t.is(token.status, 200, JSON.stringify(token.body));
  return { agent, idToken: token.body.id_token as string };
}

/** Whether the browser's session still signs `client` in silently (the logout did not happen). */
async function stillSignedIn(server: TestServer, client: TestClient, email: string, agent: UserAgent) {
  const silent = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email,
    scope: 'openid',
    agent,
    extra: { prompt: 'none' },
  });
  return silent.code !== undefined;
}

/** A silent authorization request of `client` carrying the hint: where it ends (the callback) and what it says. */
async function silentWithHint(server: TestServer, client: TestClient, email: string, agent: UserAgent, hint: string) {
  return authorize({
    issuer: server.url,
    clientId: client.clientId,
    email,
    scope: 'openid',
    agent,
    extra: { prompt: 'none', id_token_hint: hint },
  });
}

/** The key that signs this server's RS256 ID tokens (what an insider, or a test making an expired one, would sign with). */
async function serverSigningKey(server: TestServer): Promise<{ key: CryptoKey | Uint8Array; kid: string }> {
  const { keys } = await loadPrivateJwks(server.db, server.portcullis.keys.encryptionKey);
  const jwk = keys.find((candidate: JWK) => candidate.kty === 'RSA' && !candidate.key_ops)!;
  return { key: await importJWK(jwk, 'RS256'), kid: jwk.kid! };
}

testEachBackend(
  "id_token_hint at logout: client A's ID token with client_id=B is refused, nobody is sent to B, the session stays",
  async (t, server) => {
    const user = await createUser(server.db);
    const clientA = await createTestClient(server, { firstParty: true });
    const clientB = await createClientB(server);
    const { agent, idToken } = await signIn(t, server, clientA, user.email);
    await signIn(t, server, clientB, user.email, agent);

    const attempts: Record<string, [Record<string, string>, RegExp]> = {
      'client_id of B': [
        { id_token_hint: idToken, client_id: clientB.clientId, post_logout_redirect_uri: B_LOGGED_OUT, state: 'x' },
        /client_id does not match .*id_token_hint/,
      ],
      "client_id of B, A's own post-logout URI": [
        { id_token_hint: idToken, client_id: clientB.clientId, post_logout_redirect_uri: A_LOGGED_OUT },
        /client_id does not match .*id_token_hint/,
      ],
      // the hint makes the request A's: B's page is not among A's registered ones
      "B's post-logout URI, no client_id": [
        { id_token_hint: idToken, post_logout_redirect_uri: B_LOGGED_OUT },
        /post_logout_redirect_uri not registered/,
      ],
    };
    for (const [name, [query, problem]] of Object.entries(attempts)) {
      const answer = await agent.request(`${server.url}/session/end?${new URLSearchParams(query)}`);
      const page = await answer.text();
      t.is(answer.status, 400, name);
      t.is(answer.headers.get('location'), null, `${name}: no redirect`);
      t.regex(page, problem, `${name}: the error names the field`);
      t.notRegex(page, /name="xsrf"/, `${name}: no sign-out form to confirm`);
      t.false(page.includes(B_LOGGED_OUT), `${name}: B's page is not even linked`);
    }
    t.true(await stillSignedIn(server, clientA, user.email, agent), 'the session was not ended');
    t.true(await stillSignedIn(server, clientB, user.email, agent));

    // the same hint with A's own client_id is the ordinary logout: a page to confirm it
    const own = await agent.follow(
      `${server.url}/session/end?${new URLSearchParams({ id_token_hint: idToken, client_id: clientA.clientId, post_logout_redirect_uri: A_LOGGED_OUT })}`,
    );
    t.is(own.response.status, 200);
    t.regex(await own.response.text(), /name="xsrf"/);
  },
);

testEachBackend("id_token_hint at /auth: client A's ID token sent by client B is refused; no code", async (t, server) => {
  const user = await createUser(server.db);
  const clientA = await createTestClient(server, { firstParty: true });
  const clientB = await createClientB(server);
  const { agent, idToken } = await signIn(t, server, clientA, user.email);
  await signIn(t, server, clientB, user.email, agent);

  const confused = await silentWithHint(server, clientB, user.email, agent, idToken);
  t.is(confused.code, undefined);
  t.is(confused.error, 'invalid_request');
  t.regex(confused.callback?.searchParams.get('error_description') ?? '', /id_token_hint/);
  t.true(await stillSignedIn(server, clientB, user.email, agent), 'B without the foreign hint is fine');
});

testEachBackend(
  "id_token_hint of another user: prompt=none gets login_required, never a code for the session's user",
  async (t, server) => {
    const alice = await createUser(server.db);
    const mallory = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const { idToken: mallorysToken } = await signIn(t, server, client, mallory.email);
    // Alice's browser, signed in as Alice
    const { agent, idToken: alicesToken } = await signIn(t, server, client, alice.email);

    const silent = await silentWithHint(server, client, alice.email, agent, mallorysToken);
    t.is(silent.code, undefined, 'no code for Alice when the relying party expects Mallory');
    t.is(silent.error, 'login_required');

    // interactively, the user is asked to sign in instead of being handed Alice's session
    const query = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      state: 's',
      id_token_hint: mallorysToken,
      code_challenge: 'E9Melhoa2OwvFrEMTJguCQaoeKp1c_XHc8vi5OJ7g5A',
      code_challenge_method: 'S256',
    });
    const interactive = await agent.follow(`${server.url}/auth?${query}`);
    t.false(interactive.url.startsWith(REDIRECT_URI), 'no silent answer to the client');
    t.regex(await interactive.response.text(), /id="password"/, 'the sign-in page');

    // the hint of the signed-in user is answered silently, for that user
    const matching = await silentWithHint(server, client, alice.email, agent, alicesToken);
    t.truthy(matching.code);
  },
);

testEachBackend(
  'forged id_token_hint (none, attacker key, altered subject, other issuer) is refused at /auth and at logout',
  async (t, server) => {
    const alice = await createUser(server.db);
    const mallory = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const { agent, idToken } = await signIn(t, server, client, alice.email);
    const genuine = decodeJwt(idToken);
    const { kid } = decodeProtectedHeader(idToken);
    const claims: JWTPayload = { ...genuine, sub: alice.id };

    const attacker = await generateKeyPair('RS256', { extractable: true });
    const insider = await serverSigningKey(server);
    const [header, , signature] = idToken.split('.');
    const forgeries: Record<string, string> = {
      'alg none': new UnsecuredJWT(claims).encode(),
      "signed by the attacker under the server's kid": await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', kid: kid! })
        .sign(attacker.privateKey),
      'attacker key embedded in the header': await new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256', jwk: await exportJWK(attacker.publicKey) })
        .sign(attacker.privateKey),
      'genuine token, subject changed to another user': `${header}.${Buffer.from(JSON.stringify({ ...genuine, sub: mallory.id })).toString('base64url')}.${signature}`,
      "the server's key, another issuer": await new SignJWT({ ...claims, iss: 'https://evil.example' })
        .setProtectedHeader({ alg: 'RS256', kid: insider.kid })
        .sign(insider.key),
      'not a JWT': 'not.a.jwt',
    };
    for (const [name, hint] of Object.entries(forgeries)) {
      const silent = await silentWithHint(server, client, alice.email, agent, hint);
      t.is(silent.code, undefined, `${name}: no code`);
      t.is(silent.error, 'invalid_request', `${name} at /auth`);
      t.regex(silent.callback?.searchParams.get('error_description') ?? '', /id_token_hint/, name);

      const logout = await agent.request(
        `${server.url}/session/end?${new URLSearchParams({ id_token_hint: hint, post_logout_redirect_uri: A_LOGGED_OUT })}`,
      );
      const page = await logout.text();
      t.is(logout.status, 400, `${name} at logout`);
      t.is(logout.headers.get('location'), null, `${name}: no redirect`);
      t.regex(page, /id_token_hint/, `${name}: the error names the field`);
      t.notRegex(page, /name="xsrf"/, `${name}: no sign-out form`);
    }
    t.true(await stillSignedIn(server, client, alice.email, agent), 'no forged hint ended the session');

    // the control: the same request with the genuine hint goes through
    t.truthy((await silentWithHint(server, client, alice.email, agent, idToken)).code);
  },
);

testEachBackend(
  "an expired but genuine id_token_hint is a hint, never a sign-in: no session, or another user's session, gets login_required",
  async (t, server) => {
    const alice = await createUser(server.db);
    const mallory = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const { agent: alicesBrowser, idToken } = await signIn(t, server, client, alice.email);
    const insider = await serverSigningKey(server);
    const hour = 3600;
    const expired = await new SignJWT({
      ...decodeJwt(idToken),
      iat: Math.floor(Date.now() / 1000) - 2 * hour,
      exp: Math.floor(Date.now() / 1000) - hour,
      jti: randomUUID(),
    })
      .setProtectedHeader({ alg: 'RS256', kid: insider.kid })
      .sign(insider.key);

    // a browser with no session: the hint (expired or not) does not sign Alice in
    for (const [name, hint] of Object.entries({ expired, fresh: idToken })) {
      const nobody = await silentWithHint(server, client, alice.email, new UserAgent(), hint);
      t.is(nobody.code, undefined, `${name} hint, no session`);
      t.is(nobody.error, 'login_required', `${name} hint, no session`);
    }

    // Mallory's browser: an (expired) hint naming Alice gets no code for Mallory
    const { agent: mallorysBrowser } = await signIn(t, server, client, mallory.email);
    const other = await silentWithHint(server, client, mallory.email, mallorysBrowser, expired);
    t.is(other.code, undefined);
    t.is(other.error, 'login_required');

    // the control: in Alice's own browser the expired hint still names the signed-in user (a relying
    // party's stored ID token is usually expired by the time it is used as a hint)
    t.truthy((await silentWithHint(server, client, alice.email, alicesBrowser, expired)).code);
  },
);
