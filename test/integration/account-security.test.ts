// The user's own sign-in security page (/account/security): nothing is shown or changed before the
// user re-authenticates (password, then the second factor the account has); factors are listed and
// removed, recovery codes replaced, an authenticator app added; the rules (a user who must have a
// factor keeps one, only one's own passkeys, same-origin forms, a 10-minute proof) hold; every
// change is in the audit trail with the user as actor.
import { randomBytes } from 'node:crypto';
import test, { type ExecutionContext } from 'ava';
import { testEachBackend } from '../helpers/backend-test.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestClient, createUser, PASSWORD } from '../helpers/fixtures.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';
import { encryptTotpSecret, generateTotpSecret } from '../../src/accounts/totp.ts';
import { hashRecoveryCode } from '../../src/accounts/recovery-codes.ts';
import { describeFactors, replaceRecoveryCodes, useRecoveryCode } from '../../src/storage/mfa.ts';
import { insertCredential, listCredentials } from '../../src/storage/webauthn-credentials.ts';
import type { Account } from '../../src/storage/accounts.ts';

const PAGE = '/account/security';

/** A user with a confirmed authenticator app (its secret returned) and a set of recovery codes. */
async function userWithTotp(server: TestServer, options: { mfaRequired?: boolean } = {}) {
  const user = await createUser(server.db);
  if (options.mfaRequired) await server.db.query('UPDATE accounts SET mfa_required = true WHERE id = $1', [user.id]);
  const secret = generateTotpSecret();
  await server.db.query('INSERT INTO mfa_totp (account_id, secret_encrypted, confirmed_at) VALUES ($1, $2, now())', [
    user.id,
    encryptTotpSecret(server.portcullis.keys.encryptionKey, user.id, secret),
  ]);
  const recoveryCodes = ['aaaa-bbbb-cccc', 'dddd-eeee-ffff'];
  await replaceRecoveryCodes(
    server.db,
    user.id,
    recoveryCodes.map((code) => hashRecoveryCode(server.portcullis.keys.recoveryCodeKey, code)),
  );
  return { user, secret, recoveryCodes };
}

/** A passkey row for `account` (never used in a ceremony here: only listed and removed). */
const addPasskey = (server: TestServer, account: Account, name: string) =>
  insertCredential(server.db, {
    id: randomBytes(16).toString('base64url'),
    accountId: account.id,
    name,
    publicKey: randomBytes(77).toString('base64url'),
    signCount: 0,
    transports: ['internal'],
    deviceType: 'singleDevice',
    backedUp: false,
  }).then((credential) => credential!);

/** A browser (cookies kept, redirects followed, forms found by action) on the security page. */
async function openPage(server: TestServer) {
  const browser = new SignIn(server.url);
  await browser.go(`${server.url}${PAGE}`);
  return browser;
}

/** A browser that proved the password, then (for an account with one) a TOTP code. */
async function reauthenticate(server: TestServer, email: string, secret?: string) {
  const browser = await openPage(server);
  await browser.submit(`${PAGE}/sign-in`, { email, password: PASSWORD });
  if (secret) await browser.submit(`${PAGE}/totp`, { code: totpCode(secret) });
  return browser;
}

/** A change POST sent as is (no redirects followed): its status and where it points. */
async function post(browser: SignIn, path: string, fields: Record<string, string> = {}, origin = browser.issuer) {
  const response = await browser.agent.request(`${browser.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin },
    body: new URLSearchParams(fields),
  });
  return { status: response.status, location: response.headers.get('location'), html: await response.text() };
}

async function auditEvents(server: TestServer, type: string) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ actor_type: string; actor_id: string; target_id: string; details: Record<string, unknown> }>(
    'SELECT actor_type, actor_id, target_id, details FROM audit_events WHERE type = $1 ORDER BY seq',
    [type],
  );
  return rows;
}

/** What the account has, straight from the database. */
async function factorsOf(server: TestServer, account: Account) {
  return {
    ...(await describeFactors(server.db, account.id)),
    passkeyNames: (await listCredentials(server.db, account.id)).map((credential) => credential.name),
  };
}

/** Every change the page offers, as a form post. */
const CHANGES = (passkeyId: string): [string, Record<string, string>][] => [
  [`${PAGE}/totp/remove`, {}],
  [`${PAGE}/passkeys/remove`, { id: passkeyId }],
  [`${PAGE}/recovery-codes`, {}],
  [`${PAGE}/totp/add`, { code: '123456' }],
  [`${PAGE}/passkeys/add`, { credential: '{}', name: 'Mine' }],
];

async function assertEveryChangeRefused(
  t: ExecutionContext,
  server: TestServer,
  browser: SignIn,
  user: Account,
  passkeyId: string,
  label: string,
) {
  const before = await factorsOf(server, user);
  for (const [path, fields] of CHANGES(passkeyId)) {
    const answer = await post(browser, path, fields);
    t.is(answer.status, 303, `${label}: ${path} refused`);
    t.is(answer.location, `${PAGE}?notice=confirm`, `${label}: ${path} sends to the re-authentication`);
  }
  t.deepEqual(await factorsOf(server, user), before, `${label}: nothing changed`);
}

testEachBackend('without re-authentication the page shows only the sign-in form, and no change goes through', async (t, server) => {
  const { user } = await userWithTotp(server);
  const passkey = await addPasskey(server, user, 'Laptop');
  const browser = await openPage(server);
  t.is(browser.page.status, 200);
  t.regex(browser.page.html, /To see or change how you sign in, confirm it is you/);
  t.deepEqual(
    [...browser.page.html.matchAll(/<form method="post" action="([^"]+)"/g)].map((match) => match[1]),
    [`${PAGE}/sign-in`],
  );
  t.notRegex(browser.page.html, /Laptop|Authenticator app|<script>/);
  await assertEveryChangeRefused(t, server, browser, user, passkey.id, 'no session');

  // the password alone is half-way: the second factor is asked for, and still nothing can change
  await browser.submit(`${PAGE}/sign-in`, { email: user.email, password: PASSWORD });
  t.regex(browser.page.html, /Code from your authenticator app/);
  t.regex(browser.page.html, /Use a passkey/);
  t.notRegex(browser.page.html, /Laptop/);
  await assertEveryChangeRefused(t, server, browser, user, passkey.id, 'password only');
  t.deepEqual(await auditEvents(server, 'mfa.removed'), []);
});

testEachBackend(
  'a wrong password or an unknown email gets the sign-in page’s generic answer, and is counted and audited',
  async (t, server) => {
    const { user } = await userWithTotp(server);
    const browser = await openPage(server);
    await browser.submit(`${PAGE}/sign-in`, { email: user.email, password: 'not the password' });
    t.is(browser.page.status, 401);
    const generic = /Incorrect email or password\. After repeated failures, signing in to an account pauses for a while\./;
    t.regex(browser.page.html, generic);
    await browser.submit(`${PAGE}/sign-in`, { email: 'nobody@example.com', password: 'not the password' });
    t.is(browser.page.status, 401);
    t.regex(browser.page.html, generic);
    const failures = await auditEvents(server, 'login.failed');
    t.is(failures.length, 2);
    t.like(failures[0]!.details, { reason: 'invalid_credentials', page: 'account_security' });
    t.is(failures[0]!.target_id, user.id);
    const { rows } = await server.db.query<{ failures: number }>('SELECT sum(failures)::int AS failures FROM login_failures');
    t.is(rows[0]!.failures, 2, 'the same lockout counts as on the sign-in page');
  },
);

testEachBackend('password + TOTP code shows the factors; a wrong code does not; a recovery code works too', async (t, server) => {
  const { user, secret, recoveryCodes } = await userWithTotp(server);
  await addPasskey(server, user, 'Laptop <work>');
  const wrong = await openPage(server);
  await wrong.submit(`${PAGE}/sign-in`, { email: user.email, password: PASSWORD });
  await wrong.submit(`${PAGE}/totp`, { code: totpCode(secret) === '000000' ? '111111' : '000000' });
  t.is(wrong.page.status, 401);
  t.regex(wrong.page.html, /That code is not right/);
  t.notRegex(wrong.page.html, /Passkeys/);

  const browser = await reauthenticate(server, user.email, secret);
  t.is(browser.page.status, 200);
  t.is(new URL(browser.page.url).pathname, PAGE);
  t.regex(browser.page.html, new RegExp(`<strong id="account-email">${user.email}</strong>`));
  t.regex(browser.page.html, /<p id="totp-state">On<\/p>/);
  t.regex(browser.page.html, /Laptop &lt;work&gt;/, 'the passkey, its name escaped');
  t.regex(browser.page.html, /created <time datetime="\d{4}-/);
  t.regex(browser.page.html, /never used/);
  t.regex(browser.page.html, /<span id="recovery-codes-left">2<\/span> unused recovery codes left/);
  t.regex(browser.page.html, /<script type="application\/json" id="passkey-options">/, 'registration options for "Add a passkey"');
  t.notRegex(browser.page.html, /<script>/, 'no inline script');
  t.like((await auditEvents(server, 'account.reauthenticated'))[0], { actor_id: user.id, details: { amr: ['pwd', 'otp'] } });

  const withCode = await openPage(server);
  await withCode.submit(`${PAGE}/sign-in`, { email: user.email, password: PASSWORD });
  await withCode.submit(`${PAGE}/recovery`, { code: recoveryCodes[0]!.toUpperCase() });
  t.regex(withCode.page.html, /<p id="totp-state">On<\/p>/);
  t.is((await describeFactors(server.db, user.id)).recoveryCodesLeft, 1, 'the code is spent');
  t.is((await auditEvents(server, 'mfa.recovery_code_used')).length, 1);
});

testEachBackend(
  'removing a passkey and the authenticator app works, and each removal is audited with the user as actor',
  async (t, server) => {
    const { user, secret } = await userWithTotp(server);
    const laptop = await addPasskey(server, user, 'Laptop');
    await addPasskey(server, user, 'Phone');
    const browser = await reauthenticate(server, user.email, secret);

    await browser.submit(`${PAGE}/passkeys/remove`, { id: laptop.id });
    t.regex(browser.page.html, /Your passkey was removed/);
    t.notRegex(browser.page.html, /Laptop/);
    t.regex(browser.page.html, /Phone/);
    await browser.submit(`${PAGE}/totp/remove`, {});
    t.regex(browser.page.html, /Your authenticator app was removed/);
    t.regex(browser.page.html, /<p id="totp-state">Off<\/p>/);
    t.like(await factorsOf(server, user), { totp: false, passkeys: 1, passkeyNames: ['Phone'], recoveryCodesLeft: 2 });

    const removed = await auditEvents(server, 'mfa.removed');
    t.is(removed.length, 2);
    t.like(removed[0], { actor_type: 'user', actor_id: user.id, target_id: user.id, details: { factor: 'passkey', name: 'Laptop' } });
    t.like(removed[1], { actor_type: 'user', actor_id: user.id, details: { factor: 'totp' } });

    // a user who need not have a factor may remove the last one; the recovery codes go with it
    const phone = (await listCredentials(server.db, user.id))[0]!;
    await browser.submit(`${PAGE}/passkeys/remove`, { id: phone.id });
    t.like(await factorsOf(server, user), { totp: false, passkeys: 0, recoveryCodesLeft: 0 });
    t.like((await auditEvents(server, 'mfa.removed'))[2], { details: { factor: 'passkey', name: 'Phone', recoveryCodesWithdrawn: 2 } });
    t.regex(browser.page.html, /You get recovery codes with your first second factor/);
  },
);

testEachBackend('new recovery codes: 10 shown once, the old ones stop working, the new ones work once', async (t, server) => {
  const { user, secret, recoveryCodes } = await userWithTotp(server);
  const browser = await reauthenticate(server, user.email, secret);
  await browser.submit(`${PAGE}/recovery-codes`, {});
  t.is(browser.page.status, 200);
  t.regex(browser.page.html, /shown only this once/);
  const codes = browser.recoveryCodes();
  t.is(codes.length, 10);
  t.is(new Set(codes).size, 10);
  const key = server.portcullis.keys.recoveryCodeKey;
  t.false(await useRecoveryCode(server.db, user.id, hashRecoveryCode(key, recoveryCodes[1]!)), 'an old code no longer works');
  // a new code, in a real sign-in
  const client = await createTestClient(server, { firstParty: true });
  const signIn = await SignIn.start(server.url, client.clientId);
  await signIn.password(user.email);
  await signIn.go(`${signIn.page.url}/recovery`);
  await signIn.submit('/second-factor/recovery', { code: codes[3]! });
  t.truthy(signIn.page.code, 'a new code signs in');
  t.false(await useRecoveryCode(server.db, user.id, hashRecoveryCode(key, codes[3]!)), 'once');

  const replaced = await auditEvents(server, 'mfa.recovery_codes_replaced');
  t.is(replaced.length, 1);
  t.like(replaced[0], { actor_id: user.id, target_id: user.id });
  t.deepEqual(replaced[0]!.details, { count: 10 }, 'a count, never a code');
});

testEachBackend(
  'adding an authenticator app: only a correct code turns it on; a first factor comes with recovery codes',
  async (t, server) => {
    const user = await createUser(server.db);
    const browser = await openPage(server);
    await browser.submit(`${PAGE}/sign-in`, { email: user.email, password: PASSWORD });
    t.regex(browser.page.html, /<p id="totp-state">Off<\/p>/, 'no factor: the password is the whole proof');
    t.notRegex(browser.page.html, /Create new codes/);

    await browser.go(`${server.url}${PAGE}/totp/add`);
    t.regex(browser.page.html, /<svg/, 'a QR code');
    const secret = browser.enrolmentSecret();
    await browser.submit(`${PAGE}/totp/add`, { code: totpCode(secret) === '000000' ? '111111' : '000000' });
    t.is(browser.page.status, 401);
    t.false((await describeFactors(server.db, user.id)).totp, 'a wrong code does not turn it on');
    t.is(browser.enrolmentSecret(), secret, 'the same key until it is confirmed');

    await browser.submit(`${PAGE}/totp/add`, { code: totpCode(secret) });
    t.regex(browser.page.html, /Your authenticator app is on/);
    t.is(browser.recoveryCodes().length, 10);
    t.like(await factorsOf(server, user), { totp: true, recoveryCodesLeft: 10 });
    t.like((await auditEvents(server, 'mfa.enrolled'))[0], { actor_id: user.id, details: { factor: 'totp' } });
    t.is((await auditEvents(server, 'mfa.recovery_codes_replaced')).length, 1);
  },
);

testEachBackend('a user who must have a second factor cannot remove the last one (but may remove one of two)', async (t, server) => {
  const { user, secret } = await userWithTotp(server, { mfaRequired: true });
  const passkey = await addPasskey(server, user, 'Laptop');
  const browser = await reauthenticate(server, user.email, secret);
  t.regex(browser.page.html, /Your account must keep at least one second factor\./);
  await browser.submit(`${PAGE}/passkeys/remove`, { id: passkey.id });
  t.regex(browser.page.html, /Your passkey was removed/, 'another factor is left');

  const refused = await post(browser, `${PAGE}/totp/remove`);
  t.is(refused.status, 409);
  t.regex(refused.html, /must keep at least one second factor; add another first/);
  t.like(await factorsOf(server, user), { totp: true, recoveryCodesLeft: 2 });
  t.is((await auditEvents(server, 'mfa.removed')).length, 1, 'only the passkey');
});

testEachBackend('another user’s passkey cannot be removed by naming its id', async (t, server) => {
  const { user, secret } = await userWithTotp(server);
  await addPasskey(server, user, 'Mine');
  const other = await createUser(server.db);
  const theirs = await addPasskey(server, other, 'Theirs');
  const browser = await reauthenticate(server, user.email, secret);
  const answer = await post(browser, `${PAGE}/passkeys/remove`, { id: theirs.id });
  t.is(answer.status, 404);
  t.regex(answer.html, /There is no such second factor on your account/);
  t.deepEqual(
    (await listCredentials(server.db, other.id)).map((credential) => credential.name),
    ['Theirs'],
  );
  t.is((await listCredentials(server.db, user.id)).length, 1);
  t.deepEqual(await auditEvents(server, 'mfa.removed'), []);
});

testEachBackend('a form from another origin is refused; sign-out ends the session', async (t, server) => {
  const { user, secret } = await userWithTotp(server);
  const browser = await reauthenticate(server, user.email, secret);
  const before = await factorsOf(server, user);
  for (const [path, fields] of CHANGES('x')) {
    const answer = await post(browser, path, fields, 'https://evil.example');
    t.is(answer.status, 403, path);
  }
  t.is((await post(browser, `${PAGE}/sign-in`, { email: user.email, password: 'x' }, 'https://evil.example')).status, 403);
  t.deepEqual(await factorsOf(server, user), before);
  t.is(
    (await post(browser, `${PAGE}/totp/remove`, {}, 'null')).status,
    403,
    'Origin: null (a sandboxed frame, a data: page) is another site',
  );
  t.true((await describeFactors(server.db, user.id)).totp);
  t.is((await post(browser, `${PAGE}/totp/remove`, {})).status, 303, 'our own page sends its origin (Referrer-Policy: same-origin)');
  t.false((await describeFactors(server.db, user.id)).totp);

  await browser.submit(`${PAGE}/sign-out`, {});
  t.regex(browser.page.html, /You left the sign-in security page/);
  t.regex(browser.page.html, /To see or change how you sign in, confirm it is you/);
});

testEachBackend(
  'its form posts count against the stricter per-address form limit; showing the page does not',
  async (t, server) => {
    const browser = await openPage(server);
    for (let index = 0; index < 3; index++) t.is((await post(browser, `${PAGE}/sign-out`)).status, 303, `post ${index + 1}`);
    t.is((await post(browser, `${PAGE}/sign-in`, { email: 'someone@example.com', password: 'x' })).status, 429);
    t.is((await browser.agent.request(`${server.url}${PAGE}`)).status, 200);
  },
  { env: { RATE_LIMIT_FORM_PER_MINUTE: '3' } },
);

// the clock of the server (its sessions and lock expiries) is moved instead of waiting 10 minutes
for (const backend of BACKENDS) {
  test.serial(`[${backend.name}] after 10 minutes the proof is stale: the page asks again and no change goes through`, async (t) => {
    let offsetMs = 0;
    const server = await startTestServer(backend, { now: () => new Date(Date.now() + offsetMs) });
    t.teardown(() => server.close());
    const { user, secret } = await userWithTotp(server);
    const passkey = await addPasskey(server, user, 'Laptop');
    const browser = await reauthenticate(server, user.email, secret);
    offsetMs = 9 * 60_000;
    await browser.go(`${server.url}${PAGE}`);
    t.regex(browser.page.html, /Laptop/, 'still fresh after 9 minutes');

    offsetMs = 10 * 60_000 + 1_000;
    await browser.go(`${server.url}${PAGE}`);
    t.regex(browser.page.html, /To see or change how you sign in, confirm it is you/);
    t.notRegex(browser.page.html, /Laptop/);
    await assertEveryChangeRefused(t, server, browser, user, passkey.id, 'stale');
  });
}
