// Attacks on second-factor enrolment (issue 11, attacks 1, 2 and 14), played over HTTP against the
// real app on both deployments: enrolment reached with the password alone for an account that has a
// factor, a self-made passkey registered with the sign-in's challenge, an authenticator key planted
// for the victim to confirm, and an SSO session cookie alone adding a factor or setting the password.
import test from 'ava';
import { decodeJwt } from 'jose';
import { ACR_MFA } from '../../src/accounts/second-factor-requirement.ts';
import { hashRecoveryCode } from '../../src/accounts/recovery-codes.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { findAccountById, type Account } from '../../src/storage/accounts.ts';
import { describeFactors, replaceRecoveryCodes, useRecoveryCode } from '../../src/storage/mfa.ts';
import { insertCredential, listCredentials } from '../../src/storage/webauthn-credentials.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import {
  createTestClient,
  createUser,
  giveAuthenticatorApp,
  PASSWORD,
  postForm,
  REDIRECT_URI,
  type TestClient,
} from '../helpers/fixtures.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';
import { newSoftwareAuthenticator, passkeyChallengeOf, registrationResponse, relyingPartyOf } from '../helpers/software-authenticator.ts';

const RECOVERY_CODES = ['aaaa-bbbb-cccc', 'dddd-eeee-ffff'];

const admin = (server: TestServer, name: string, input: unknown) => runAsOperator(server, name, input);

/** The victim: an account whose only factor is a passkey, or an authenticator app; with recovery codes. */
async function victimWith(server: TestServer, factor: 'passkey' | 'totp'): Promise<Account> {
  const user = await createUser(server.db);
  if (factor === 'passkey') {
    const key = newSoftwareAuthenticator();
    await insertCredential(server.db, {
      id: key.credentialId.toString('base64url'),
      accountId: user.id,
      name: 'Victim key',
      publicKey: key.coseKey.toString('base64url'),
      signCount: 0,
      transports: ['usb'],
      deviceType: 'singleDevice',
      backedUp: false,
    });
  } else {
    await giveAuthenticatorApp(server, user.id);
  }
  await replaceRecoveryCodes(
    server.db,
    user.id,
    RECOVERY_CODES.map((code) => hashRecoveryCode(server.portcullis.keys.recoveryCodeKey, code)),
  );
  return user;
}

/** A form POST inside the sign-in, redirects followed (as a browser, or a script, would). */
const post = (flow: SignIn, path: string, fields: Record<string, string>) =>
  flow.go(`${flow.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: flow.issuer },
    body: new URLSearchParams(fields),
  });

const secretOn = (html: string) => /<code id="totp-secret">([^<]+)<\/code>/.exec(html)?.[1]?.replace(/\s+/g, '');
const challengeOn = (html: string) => (html.includes('id="passkey-options"') ? passkeyChallengeOf(html) : undefined);
const interactionOf = (flow: SignIn) => /\/interaction\/[^/]+/.exec(flow.page.url)![0];

async function idTokenOf(server: TestServer, client: TestClient, flow: SignIn) {
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.page.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  return decodeJwt(token.body.id_token as string);
}

/**
 * Everything an attacker who knows the password tries at the second step to get in without the
 * victim's factor: a failed passkey registration for its enrolment page, the authenticator key it
 * shows, a self-made passkey answering whichever challenge a page carried, then `done`.
 */
async function tryToEnrolOwnFactor(flow: SignIn, server: TestServer) {
  const base = interactionOf(flow);
  const challenges = [challengeOn(flow.page.html)];
  const failed = await post(flow, `${base}/second-factor/passkey/register`, { credential: 'not a credential' });
  const statuses = [failed.status];
  const secret = secretOn(failed.html);
  challenges.push(challengeOn(failed.html));
  statuses.push((await post(flow, `${base}/second-factor/totp/enrol`, { code: secret ? totpCode(secret) : '123456' })).status);
  for (const challenge of challenges) {
    if (!challenge || flow.page.code) continue;
    const credential = JSON.stringify(registrationResponse(newSoftwareAuthenticator(), challenge, relyingPartyOf(server.url)));
    statuses.push((await post(flow, `${base}/second-factor/passkey/register`, { credential, name: 'Attacker' })).status);
  }
  if (!flow.page.code) statuses.push((await post(flow, `${base}/second-factor/done`, {})).status);
  return { keyShown: secret !== undefined, statuses };
}

for (const factor of ['passkey', 'totp'] as const) {
  testEachBackend(
    `the password alone enrols no factor of the attacker's on an account whose only factor is a ${factor === 'totp' ? 'authenticator app' : 'passkey'}`,
    async (t, server) => {
      const victim = await victimWith(server, factor);
      const client = await createTestClient(server, { firstParty: true });
      const flow = await SignIn.start(server.url, client.clientId);
      await flow.password(victim.email);
      t.regex(flow.page.url, /\/second-factor$/);

      const { keyShown, statuses } = await tryToEnrolOwnFactor(flow, server);
      t.true(
        statuses.every((status) => status < 500),
        `a clear answer to every attempt, never a 5xx (${statuses.join(', ')})`,
      );
      t.false(keyShown, 'no authenticator key is shown to a sign-in of an account that has a factor');
      t.is(flow.page.code, undefined, 'no authorization code');
      const factors = await describeFactors(server.db, victim.id);
      t.is(factors.totp, factor === 'totp', 'no authenticator app added');
      t.deepEqual(
        (await listCredentials(server.db, victim.id)).map((credential) => credential.name),
        factor === 'passkey' ? ['Victim key'] : [],
        'no passkey added',
      );
      t.is(factors.recoveryCodesLeft, 2, "the victim's recovery codes are untouched");
      t.true(await useRecoveryCode(server.db, victim.id, hashRecoveryCode(server.portcullis.keys.recoveryCodeKey, RECOVERY_CODES[0]!)));
    },
  );
}

testEachBackend(
  'an authenticator key opened by one sign-in is never shown to another sign-in or to the account page',
  async (t, server) => {
    const victim = await createUser(server.db);
    await server.db.query('UPDATE accounts SET mfa_required = true WHERE id = $1', [victim.id]);
    const client = await createTestClient(server, { firstParty: true });

    // the attacker (who knows the temporary password) opens enrolment first and notes the key
    const attacker = await SignIn.start(server.url, client.clientId);
    await attacker.password(victim.email);
    const planted = attacker.enrolmentSecret();

    // the account page (a password-only account: the password is the whole proof) shows its own key
    const page = new SignIn(server.url);
    await page.go(`${server.url}/account/security`);
    await page.submit('/account/security/sign-in', { email: victim.email, password: PASSWORD });
    await page.go(`${server.url}/account/security/totp/add`);
    t.not(page.enrolmentSecret(), planted, 'the account page does not show the key of another session');

    // the victim signs in later, and confirms the key their page shows
    const owner = await SignIn.start(server.url, client.clientId);
    await owner.password(victim.email);
    const own = owner.enrolmentSecret();
    t.not(own, planted, 'a later sign-in gets a key of its own');
    await owner.submit('/totp/enrol', { code: totpCode(own) });
    await owner.submit('/second-factor/done', {});
    t.truthy(owner.page.code);

    // the planted key is not the account's factor: its codes do not sign in
    const later = await SignIn.start(server.url, client.clientId);
    await later.password(victim.email);
    await later.submit('/second-factor/totp', { code: totpCode(planted, Date.now() + 30_000) });
    t.is(later.page.status, 401);
    t.is(later.page.code, undefined);
  },
);

// the server's clock is moved instead of waiting 10 minutes
for (const backend of BACKENDS) {
  test.serial(`[${backend.name}] a pending authenticator key expires with its sign-in after 10 minutes`, async (t) => {
    let offsetMs = 0;
    const server = await startTestServer(backend, { now: () => new Date(Date.now() + offsetMs) });
    t.teardown(() => server.close());
    const user = await createUser(server.db);
    await server.db.query('UPDATE accounts SET mfa_required = true WHERE id = $1', [user.id]);
    const client = await createTestClient(server, { firstParty: true });
    const flow = await SignIn.start(server.url, client.clientId);
    await flow.password(user.email);
    const first = flow.enrolmentSecret();
    const base = interactionOf(flow);

    offsetMs = 10 * 60_000 + 1_000;
    await post(flow, `${base}/second-factor/totp/enrol`, { code: totpCode(first) });
    t.regex(flow.page.html, /<label for="password">/, 'back to the password');
    t.false((await describeFactors(server.db, user.id)).totp, 'the expired key is not confirmed');
    await flow.password(user.email);
    t.not(flow.enrolmentSecret(), first, 'a new sign-in, a new key');
  });
}

testEachBackend(
  'an SSO session cookie alone adds no factor: a step-up to the multi-factor acr asks for the password before enrolment',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const session = await SignIn.start(server.url, client.clientId);
    await session.password(user.email);
    const first = await idTokenOf(server, client, session);

    // someone holding only the session cookie asks for the multi-factor acr
    const stepUp = await SignIn.start(server.url, client.clientId, { acr_values: ACR_MFA }, session.agent);
    t.is(secretOn(stepUp.page.html), undefined, 'no authenticator key without the password');
    t.regex(stepUp.page.html, /<label for="password">/, 'the password is asked for');
    const base = interactionOf(stepUp);
    for (const [path, fields] of [
      ['/second-factor', undefined],
      ['/second-factor/totp/enrol', { code: '123456' }],
      ['/second-factor/passkey/register', { credential: 'x' }],
      ['/second-factor/done', {}],
    ] as const) {
      const page = fields ? await post(stepUp, `${base}${path}`, fields) : await stepUp.go(`${server.url}${base}${path}`);
      t.is(secretOn(page.html), undefined, `${path}: no key`);
      t.is(page.code, undefined, `${path}: no code`);
    }
    t.like(await describeFactors(server.db, user.id), { totp: false, passkeys: 0, recoveryCodesLeft: 0 });

    // with the password typed, the user enrols; auth_time moves because a credential was presented
    await stepUp.go(`${server.url}${base}`);
    await stepUp.password(user.email);
    await stepUp.submit('/totp/enrol', { code: totpCode(stepUp.enrolmentSecret()) });
    await stepUp.submit('/second-factor/done', {});
    const stepped = await idTokenOf(server, client, stepUp);
    t.is(stepped.acr, ACR_MFA);
    t.true((stepped.auth_time as number) >= (first.auth_time as number));
  },
);

testEachBackend('an SSO session cookie alone does not set a new password when a change is required', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server, { firstParty: true });
  const session = await SignIn.start(server.url, client.clientId);
  await session.password(user.email);
  await admin(server, 'users.require-password-change', { user: user.id });
  const before = (await findAccountById(server.db, user.id))!.passwordHash;

  // the session holder steps up, enrols what is offered and sets the password that is asked for
  const stepUp = await SignIn.start(server.url, client.clientId, { acr_values: ACR_MFA }, session.agent);
  const secret = secretOn(stepUp.page.html);
  if (secret) {
    await stepUp.submit('/totp/enrol', { code: totpCode(secret) });
    await stepUp.submit('/second-factor/done', {});
  }
  await post(stepUp, `${interactionOf(stepUp)}/change-password`, {
    password: 'velvet thunder mosaic lantern',
    confirmation: 'velvet thunder mosaic lantern',
  });

  const after = (await findAccountById(server.db, user.id))!;
  t.is(after.passwordHash, before, 'the password is unchanged');
  t.true(after.passwordChangeRequired, 'the change is still due');
  t.is(stepUp.page.code, undefined);
  t.false((await describeFactors(server.db, user.id)).totp);
});
