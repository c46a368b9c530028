// The second factor in the sign-in: enrolment when one is required, TOTP codes accepted once, no
// code from the password alone, step-up, recovery codes, throttling, and what relying parties see.
import test from 'ava';
import { decodeJwt } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestClient, createUser, giveAuthenticatorApp, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';
import { runCli } from '../helpers/cli-process.ts';
import { ACR_MFA, ACR_PASSWORD } from '../../src/accounts/second-factor-requirement.ts';

const firstParty = (server: TestServer, options: { requireMfa?: boolean } = {}) =>
  createTestClient(server, { firstParty: true, ...options });

async function idTokenOf(server: TestServer, client: TestClient, flow: SignIn) {
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.page.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  return decodeJwt(token.body.id_token as string);
}

/** A user with a confirmed authenticator app, its secret returned. */
async function userWithTotp(server: TestServer) {
  const user = await createUser(server.db);
  return { user, secret: await giveAuthenticatorApp(server, user.id) };
}

async function auditTypes(server: TestServer) {
  await server.portcullis.audit.flush();
  return (await server.db.query<{ type: string }>('SELECT type FROM audit_events ORDER BY seq')).rows.map((row) => row.type);
}

testEachBackend(
  'a user who must have a second factor enrols an authenticator app before any code; the ID token says pwd + otp',
  async (t, server) => {
    const user = await createUser(server.db);
    await server.db.query('UPDATE accounts SET mfa_required = true WHERE id = $1', [user.id]);
    const client = await firstParty(server);
    const flow = await SignIn.start(server.url, client.clientId);
    await flow.password(user.email);
    t.regex(flow.page.url, /\/second-factor$/);
    t.regex(flow.page.html, /Set up a second factor/);
    t.regex(flow.page.html, /<svg/, 'a QR code');
    t.notRegex(flow.page.html, /<script>/, 'no inline script');
    const secret = flow.enrolmentSecret();
    t.regex(secret, /^[A-Z2-7]{32}$/, '160 bits, base32');

    await flow.submit('/totp/enrol', { code: '000000' === totpCode(secret) ? '111111' : '000000' });
    t.is(flow.page.status, 401, 'a wrong code does not turn it on');
    t.is(flow.page.code, undefined);

    await flow.submit('/totp/enrol', { code: totpCode(secret) });
    const codes = flow.recoveryCodes();
    t.is(codes.length, 10);
    t.is(new Set(codes).size, 10);
    t.regex(flow.page.html, /shown only this once/);
    await flow.submit('/second-factor/done', {});
    t.truthy(flow.page.code, 'an authorization code only now');

    const idToken = await idTokenOf(server, client, flow);
    t.deepEqual(idToken.amr, ['pwd', 'otp']);
    t.is(idToken.acr, ACR_MFA);
    const types = await auditTypes(server);
    t.true(types.includes('login.password_verified') && types.includes('mfa.enrolled') && types.includes('login.succeeded'));
    t.true(types.includes('mfa.recovery_codes_replaced'), 'the recovery codes issued with the first factor are audited too');
  },
);

testEachBackend(
  'password alone never gets a code for a user with a second factor: not by skipping the step, not with prompt=none',
  async (t, server) => {
    const { user, secret } = await userWithTotp(server);
    const client = await firstParty(server);
    const flow = await SignIn.start(server.url, client.clientId);
    await flow.password(user.email);
    t.regex(flow.page.url, /\/second-factor$/);
    t.regex(flow.page.html, /Code from your authenticator app/);

    // skipping the second step: back to the provider's resume URL, or a fresh request on the same browser
    const resumed = await flow.go(
      `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: 'x'.repeat(43), code_challenge_method: 'S256', prompt: 'none' })}`,
    );
    t.is(resumed.code, undefined);
    t.is(resumed.error, 'login_required');

    // a password-only session made before the factor existed is not enough either
    const other = await createUser(server.db);
    const early = await SignIn.start(server.url, client.clientId);
    await early.password(other.email);
    t.truthy(early.page.code, 'no factor yet: the password is enough');
    await giveAuthenticatorApp(server, other.id, secret);
    const silent = await SignIn.start(server.url, client.clientId, { prompt: 'none' }, early.agent);
    t.is(silent.page.error, 'login_required');
    t.is(silent.page.code, undefined);
  },
);

testEachBackend(
  'a TOTP code is accepted once; a code from two steps back is refused; wrong codes are throttled per account',
  async (t, server) => {
    const { user, secret } = await userWithTotp(server);
    const client = await firstParty(server);

    const stale = await SignIn.start(server.url, client.clientId);
    await stale.password(user.email);
    await stale.submit('/second-factor/totp', { code: totpCode(secret, Date.now() - 60_000) });
    t.is(stale.page.status, 401, 'two steps back');
    t.regex(stale.page.html, /That code is not right/);

    const code = totpCode(secret);
    await stale.submit('/second-factor/totp', { code });
    t.truthy(stale.page.code);
    const idToken = await idTokenOf(server, client, stale);
    t.deepEqual(idToken.amr, ['pwd', 'otp']);

    const replay = await SignIn.start(server.url, client.clientId);
    await replay.password(user.email);
    await replay.submit('/second-factor/totp', { code });
    t.is(replay.page.status, 401, 'the same code again');
    t.is(replay.page.code, undefined);

    // re-entering the password does not reset the count of wrong codes
    for (let attempt = 0; attempt < 4; attempt++) await replay.submit('/second-factor/totp', { code: '12345' + String(attempt) });
    const again = await SignIn.start(server.url, client.clientId);
    await again.password(user.email);
    await again.submit('/second-factor/totp', { code: '999999' });
    await again.submit('/second-factor/totp', { code: totpCode(secret, Date.now() + 30_000) });
    t.is(again.page.code, undefined, 'locked: the right code is refused too');
    t.regex(again.page.html, /Too many wrong codes/);
    t.true((await auditTypes(server)).includes('account.locked'));
  },
);

// The same TOTP code at two processes at once: test/security/replay.test.ts

testEachBackend(
  'step-up: acr_values asking for multi-factor inside a password-only session demands the second factor; enrolling one needs the password again',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await firstParty(server);
    const session = await SignIn.start(server.url, client.clientId);
    await session.password(user.email);
    t.truthy(session.page.code);
    t.is((await idTokenOf(server, client, session)).acr, ACR_PASSWORD);

    const stepUp = await SignIn.start(server.url, client.clientId, { acr_values: ACR_MFA }, session.agent);
    t.regex(stepUp.page.html, /<label for="password">/, 'no factor yet: enrolling one needs the password typed in this sign-in');
    await stepUp.password(user.email);
    t.regex(stepUp.page.html, /Set up a second factor/, 'then enrol');
    await stepUp.submit('/totp/enrol', { code: totpCode(stepUp.enrolmentSecret()) });
    await stepUp.submit('/second-factor/done', {});
    const idToken = await idTokenOf(server, client, stepUp);
    t.is(idToken.acr, ACR_MFA);
    t.deepEqual(idToken.amr, ['pwd', 'otp']);

    // a factor the account has is asked for straight away: the session proved the password
    const { user: withFactor, secret } = await userWithTotp(server);
    await server.db.query('DELETE FROM mfa_totp WHERE account_id = $1', [withFactor.id]);
    const early = await SignIn.start(server.url, client.clientId);
    await early.password(withFactor.email);
    t.truthy(early.page.code, 'no factor yet: the password is enough');
    await giveAuthenticatorApp(server, withFactor.id, secret);
    const verify = await SignIn.start(server.url, client.clientId, { acr_values: ACR_MFA }, early.agent);
    t.regex(verify.page.url, /\/second-factor$/, 'straight to the second factor');
    t.regex(verify.page.html, /Code from your authenticator app/);
    await verify.submit('/second-factor/totp', { code: totpCode(secret) });
    t.is((await idTokenOf(server, client, verify)).acr, ACR_MFA);
  },
);

testEachBackend('max_age exceeded inside a multi-factor session asks for the password and the second factor again', async (t, server) => {
  const { user, secret } = await userWithTotp(server);
  const client = await firstParty(server);
  const first = await SignIn.start(server.url, client.clientId);
  await first.password(user.email);
  await first.submit('/second-factor/totp', { code: totpCode(secret) });
  t.truthy(first.page.code);

  const again = await SignIn.start(server.url, client.clientId, { max_age: '0' }, first.agent);
  t.regex(again.page.html, /<label for="password">/, 'the password first');
  await again.password(user.email);
  t.regex(again.page.url, /\/second-factor$/, 'then the second factor, even within a multi-factor session');
  t.is(again.page.code, undefined);
  await again.submit('/second-factor/totp', { code: totpCode(secret, Date.now() + 30_000) });
  t.deepEqual((await idTokenOf(server, client, again)).amr, ['pwd', 'otp']);
});

// A recovery code used twice: test/security/replay.test.ts

testEachBackend('a client that requires MFA makes its users enrol; another client does not', async (t, server) => {
  const user = await createUser(server.db);
  const strict = await firstParty(server, { requireMfa: true });
  const relaxed = await firstParty(server);
  const viaRelaxed = await SignIn.start(server.url, relaxed.clientId);
  await viaRelaxed.password(user.email);
  t.truthy(viaRelaxed.page.code);
  const viaStrict = await SignIn.start(server.url, strict.clientId);
  await viaStrict.password(user.email);
  t.regex(viaStrict.page.html, /Set up a second factor/);
});

testEachBackend(
  'MFA_POLICY=required: every user enrols at the next sign-in',
  async (t, server) => {
    const user = await createUser(server.db);
    const flow = await SignIn.start(server.url, (await firstParty(server)).clientId);
    await flow.password(user.email);
    t.regex(flow.page.html, /Set up a second factor/);
    t.is(flow.page.code, undefined);
  },
  { env: { MFA_POLICY: 'required' } },
);

testEachBackend('discovery advertises the password-only and the multi-factor acr', async (t, server) => {
  const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as { acr_values_supported?: string[] };
  t.deepEqual(discovery.acr_values_supported, [ACR_PASSWORD, ACR_MFA]);
});

test.serial('[postgres] `portcullis users reset-mfa` removes the factors; the user enrols again', async (t) => {
  const server = await startTestServer(BACKENDS.find((backend) => backend.redis)!);
  t.teardown(() => server.close());
  const { user } = await userWithTotp(server);
  await server.db.query('UPDATE accounts SET mfa_required = true WHERE id = $1', [user.id]);
  const env = { DATABASE_URL: server.config.databaseUrl!, SECRET_KEY: server.config.secretKey! };
  const run = await runCli(env, ['users', 'reset-mfa', user.email, '--json']);
  t.is(run.code, 0, run.stderr);
  t.like(JSON.parse(run.stdout), { id: user.id, removed: { totp: 1, passkeys: 0, recoveryCodes: 0 }, mustEnrol: true });
  const flow = await SignIn.start(server.url, (await firstParty(server)).clientId);
  await flow.password(user.email);
  t.regex(flow.page.html, /Set up a second factor/);
  t.true((await auditTypes(server)).includes('mfa.reset'));
});
