// Replay: an attacker who observed a one-time credential — an authorization code, a refresh token a
// public client rotated away, a TOTP code, a recovery code, a passkey assertion — presents it again.
// Each is good once: a second presentation is refused, and where the replay betrays a theft (a code
// or a rotated refresh token used twice) the whole grant is revoked, the legitimate holder's tokens
// with it (RFC 9700 §4.5, §4.14.2). (DPoP proof `jti` replay: test/security/dpop*.)
import test from 'ava';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI, PASSWORD, type TestClient } from '../helpers/fixtures.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';
import {
  assertionResponse,
  newSoftwareAuthenticator,
  passkeyChallengeOf,
  registrationResponse,
} from '../helpers/software-authenticator.ts';
import { authorize, pkcePair, UserAgent } from '../helpers/user-agent.ts';
import { registrationOptions, relyingPartyFor, userHandleFor, verifyRegistration } from '../../src/accounts/passkeys.ts';
import { encryptTotpSecret, generateTotpSecret } from '../../src/accounts/totp.ts';
import { findCredential, insertCredential } from '../../src/storage/webauthn-credentials.ts';

const redeem = (server: TestServer, client: TestClient, flow: { code?: string | undefined; verifier: string }) =>
  postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
const refresh = (server: TestServer, client: TestClient, refreshToken: string) =>
  postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);
const userinfoStatus = async (server: TestServer, accessToken: string) =>
  (await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${accessToken}` } })).status;
const introspect = (server: TestServer, client: TestClient, token: string) =>
  postForm(`${server.url}/token/introspection`, { token }, client);

testEachBackend('an authorization code redeemed twice: the replay is refused and the grant’s tokens are revoked', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server);
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email });
  const first = await redeem(server, client, flow);
  t.is(first.status, 200);
  t.is(await userinfoStatus(server, first.body.access_token as string), 200, 'the first redemption’s access token works');

  const replay = await redeem(server, client, flow);
  t.is(replay.status, 400);
  t.is(replay.body.error, 'invalid_grant');
  t.is(replay.body.access_token, undefined);
  t.is(
    (await refresh(server, client, first.body.refresh_token as string)).body.error,
    'invalid_grant',
    'the refresh token of the first redemption is revoked',
  );
  t.is(await userinfoStatus(server, first.body.access_token as string), 401, 'and so is its access token');
  t.deepEqual((await introspect(server, client, first.body.access_token as string)).body, { active: false });
});

testEachBackend('a rotated refresh token reused: refused, and the whole grant is revoked (the newest token too)', async (t, server) => {
  const client = await createTestClient(server, { authMethod: 'none' });
  const user = await createUser(server.db);
  const tokens = await redeem(
    server,
    client,
    await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid offline_access' }),
  );
  t.is(tokens.status, 200, JSON.stringify(tokens.body));
  const first = tokens.body.refresh_token as string;
  const rotated = await refresh(server, client, first);
  t.is(rotated.status, 200);
  const second = rotated.body.refresh_token as string;
  t.not(second, first, 'a new refresh token on every use');

  const reuse = await refresh(server, client, first);
  t.is(reuse.body.error, 'invalid_grant');
  t.is(reuse.body.access_token, undefined);
  t.is((await refresh(server, client, second)).body.error, 'invalid_grant', 'reuse revoked the whole grant, the newest token too');
  t.is(await userinfoStatus(server, rotated.body.access_token as string), 401, 'the access token of the rotation is revoked too');
});

testEachBackend(
  'a pushed authorization request (request_uri) replayed: refused once its authorization completed, and the second of two open sign-ins gets no code',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const pkce = pkcePair();
    const pushed = await postForm(
      `${server.url}/request`,
      {
        client_id: client.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        scope: 'openid',
        code_challenge: pkce.challenge,
        code_challenge_method: 'S256',
      },
      client,
    );
    t.is(pushed.status, 201, JSON.stringify(pushed.body));
    const requestUri = pushed.body.request_uri as string;
    const viaPar = (agent = new UserAgent()) =>
      authorize({
        issuer: server.url,
        clientId: client.clientId,
        email: user.email,
        scope: 'openid',
        agent,
        extra: { request_uri: requestUri },
      });

    // two browsers open the same pushed request; the first to finish gets the code
    const slowAgent = new UserAgent();
    const slowStart = await slowAgent.follow(
      `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, request_uri: requestUri })}`,
    );
    t.is(slowStart.response.status, 200, 'the sign-in page');
    const first = await viaPar();
    t.truthy(first.code, first.pages.at(-1));
    const slow = await viaPar(slowAgent);
    t.is(slow.code, undefined, 'the pushed request was used: the other open sign-in ends without a code');

    const replayed = await new UserAgent().request(
      `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, request_uri: requestUri })}`,
    );
    t.is(replayed.status, 400);
    t.regex(await replayed.text(), /invalid_request_uri|request_uri/);
    const tokens = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: first.code!, redirect_uri: REDIRECT_URI, code_verifier: pkce.verifier },
      client,
    );
    t.is(tokens.status, 200, 'the one code redeems with the pushed request’s verifier');
  },
);

/** A user with a confirmed authenticator app, its secret returned. */
async function userWithTotp(server: TestServer) {
  const user = await createUser(server.db);
  const secret = generateTotpSecret();
  await server.db.query('INSERT INTO mfa_totp (account_id, secret_encrypted, confirmed_at) VALUES ($1, $2, now())', [
    user.id,
    encryptTotpSecret(server.portcullis.keys.encryptionKey, user.id, secret),
  ]);
  return { user, secret };
}

testEachBackend(
  'a TOTP code replayed by someone who knows the password: refused in another sign-in and at the account page',
  async (t, server) => {
    const { user, secret } = await userWithTotp(server);
    const client = await createTestClient(server, { firstParty: true });
    const victim = await SignIn.start(server.url, client.clientId);
    await victim.password(user.email);
    const code = totpCode(secret);
    await victim.submit('/second-factor/totp', { code });
    t.truthy(victim.page.code, 'the victim signs in with the code');

    const attacker = await SignIn.start(server.url, client.clientId);
    await attacker.password(user.email);
    await attacker.submit('/second-factor/totp', { code });
    t.is(attacker.page.status, 401, 'the observed code, replayed in another browser');
    t.is(attacker.page.code, undefined);

    const accountPage = new SignIn(server.url);
    await accountPage.go(`${server.url}/account/security`);
    await accountPage.submit('/account/security/sign-in', { email: user.email, password: PASSWORD });
    await accountPage.submit('/account/security/totp', { code });
    t.is(accountPage.page.status, 401, 'the same code at the account page');
    t.notRegex(accountPage.page.html, /id="totp-state"/, 'the factors are not shown');
  },
);

test.serial('[postgres+redis] a TOTP code replayed at two server processes at once: exactly one succeeds', async (t) => {
  const server = await startTestServer(BACKENDS.find((backend) => backend.redis)!);
  t.teardown(() => server.close());
  const sibling = await server.startSibling();
  const { user, secret } = await userWithTotp(server);
  const client = await createTestClient(server, { firstParty: true });
  const first = await SignIn.start(server.url, client.clientId);
  await first.password(user.email);
  const second = await SignIn.start(server.url, client.clientId);
  await second.password(user.email);
  const code = totpCode(secret);
  const post = (flow: SignIn, target: TestServer) =>
    flow.agent.request(flow.action('/second-factor/totp').replace(server.url, target.url), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: target.url },
      body: new URLSearchParams({ code }),
    });
  const answers = await Promise.all([post(first, server), post(second, sibling)]);
  t.deepEqual(answers.map((answer) => answer.status).sort(), [303, 401]);
});

testEachBackend('a recovery code used a second time is refused, and its use is audited', async (t, server) => {
  const user = await createUser(server.db);
  await server.db.query('UPDATE accounts SET mfa_required = true WHERE id = $1', [user.id]);
  const client = await createTestClient(server, { firstParty: true });
  const enrol = await SignIn.start(server.url, client.clientId);
  await enrol.password(user.email);
  await enrol.submit('/totp/enrol', { code: totpCode(enrol.enrolmentSecret()) });
  const [code] = enrol.recoveryCodes();
  await enrol.submit('/second-factor/done', {});

  const useIt = async () => {
    const flow = await SignIn.start(server.url, client.clientId);
    await flow.password(user.email);
    await flow.go(`${flow.page.url}/recovery`);
    await flow.submit('/second-factor/recovery', { code: code!.toUpperCase().replace(/-/g, ' ') });
    return flow;
  };
  const once = await useIt();
  t.truthy(once.page.code, 'typed in another case and with spaces: still the code');
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: once.page.code!, redirect_uri: REDIRECT_URI, code_verifier: once.verifier },
    client,
  );
  t.is(token.status, 200);
  const twice = await useIt();
  t.is(twice.page.status, 401);
  t.is(twice.page.code, undefined);

  const accountPage = new SignIn(server.url);
  await accountPage.go(`${server.url}/account/security`);
  await accountPage.submit('/account/security/sign-in', { email: user.email, password: PASSWORD });
  await accountPage.submit('/account/security/recovery', { code: code! });
  t.is(accountPage.page.status, 401);
  t.notRegex(accountPage.page.html, /id="totp-state"/, 'nor at the account page');

  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ type: string }>('SELECT type FROM audit_events WHERE type = $1', ['mfa.recovery_code_used']);
  t.is(rows.length, 1, 'one use, audited once');
});

testEachBackend(
  'a passkey assertion replayed: refused in a later sign-in and in the same sign-in after a new challenge',
  async (t, server) => {
    const user = await createUser(server.db);
    const rp = relyingPartyFor(server.url);
    const authenticator = newSoftwareAuthenticator({ counter: 1 });
    const options = await registrationOptions(rp, { id: user.id, email: user.email, name: user.name }, []);
    const verified = await verifyRegistration(rp, registrationResponse(authenticator, options.challenge, rp), options.challenge);
    if (!verified) throw new Error('the software authenticator did not register');
    await insertCredential(server.db, { ...verified, accountId: user.id, name: 'Key' });
    const client = await createTestClient(server, { firstParty: true });

    const challengeOf = (flow: SignIn) => passkeyChallengeOf(flow.page.html);
    const signedFor = (challenge: string) =>
      JSON.stringify(assertionResponse(authenticator, challenge, rp, { userHandle: userHandleFor(user.id) }));

    const victim = await SignIn.start(server.url, client.clientId);
    await victim.password(user.email);
    const observed = signedFor(challengeOf(victim));
    await victim.submit('/second-factor/passkey', { credential: observed });
    t.truthy(victim.page.code, 'the genuine assertion signs the victim in');
    const counterAfter = (await findCredential(server.db, verified.id))!.signCount;

    const attacker = await SignIn.start(server.url, client.clientId);
    await attacker.password(user.email);
    await attacker.submit('/second-factor/passkey', { credential: observed });
    t.is(attacker.page.status, 401, 'the observed assertion answers another challenge');
    t.is(attacker.page.code, undefined);

    // a sign-in left at the passkey step: an answer to the challenge it showed first is dead once the
    // page showed a new one (a failed attempt re-renders it)
    const stale = await SignIn.start(server.url, client.clientId);
    await stale.password(user.email);
    const firstChallenge = challengeOf(stale);
    const early = signedFor(firstChallenge);
    await stale.submit('/second-factor/passkey', { credential: '{}' });
    t.not(challengeOf(stale), firstChallenge, 'a failed attempt shows a new challenge');
    await stale.submit('/second-factor/passkey', { credential: early });
    t.is(stale.page.status, 401, 'an assertion for the superseded challenge');
    t.is(stale.page.code, undefined);
    t.is((await findCredential(server.db, verified.id))!.signCount, counterAfter, 'no replay moved the stored counter');
  },
);
