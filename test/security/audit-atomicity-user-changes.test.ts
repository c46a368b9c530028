// Attack 10 (issue 11), the user's side: a change a user makes to their own account committed
// without its audit event. The audit store refuses the users' events (a trigger in the test
// database, as a full disk or a revoked permission would); each change a user makes (the required
// password change at sign-in, an authenticator app or a passkey added, a recovery code spent, a
// factor removed, the recovery codes replaced) is then answered with an error and is not made: the
// change and its event commit together or not at all. Once the store accepts events again, the same
// change goes through, audited, and the hash chain still verifies.
import { hashRecoveryCode } from '../../src/accounts/recovery-codes.ts';
import { verifyAuditChain } from '../../src/security/audit/audit-queries.ts';
import { describeFactors, replaceRecoveryCodes } from '../../src/storage/mfa.ts';
import { listCredentials } from '../../src/storage/webauthn-credentials.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, giveAuthenticatorApp, PASSWORD } from '../helpers/fixtures.ts';
import { runAsOperator } from '../helpers/operator.ts';
import type { TestServer } from '../helpers/server.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';
import { newSoftwareAuthenticator, passkeyChallengeOf, registrationResponse, relyingPartyOf } from '../helpers/software-authenticator.ts';
import { refuseAuditEvents } from '../helpers/refusing-audit-store.ts';

const PAGE = '/account/security';
const NEW_PASSWORD = 'velvet thunder mosaic lantern';
const RECOVERY_CODES = ['aaaa-bbbb-cccc', 'dddd-eeee-ffff'];

/** A change POST sent as is (no redirects followed): its status. */
async function post(browser: SignIn, path: string, fields: Record<string, string> = {}) {
  const response = await browser.agent.request(`${browser.issuer}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: browser.issuer },
    body: new URLSearchParams(fields),
  });
  return { status: response.status, html: await response.text() };
}

/** A browser on the security page, past the password (and, with `secret`, a TOTP code: proven). */
async function onSecurityPage(server: TestServer, email: string, secret?: string) {
  const browser = new SignIn(server.url);
  await browser.go(`${server.url}${PAGE}`);
  await browser.submit(`${PAGE}/sign-in`, { email, password: PASSWORD });
  if (secret) await browser.submit(`${PAGE}/totp`, { code: totpCode(secret) });
  return browser;
}

async function withRecoveryCodes(server: TestServer, accountId: string) {
  const key = server.portcullis.keys.recoveryCodeKey;
  await replaceRecoveryCodes(
    server.db,
    accountId,
    RECOVERY_CODES.map((code) => hashRecoveryCode(key, code)),
  );
}

/** The account's recovery codes: hash and whether used, in a stable order. */
const recoveryCodesOf = async (server: TestServer, accountId: string) =>
  (
    await server.db.query<{ code_hash: string; used: boolean }>(
      'SELECT code_hash, used_at IS NOT NULL AS used FROM mfa_recovery_codes WHERE account_id = $1 ORDER BY code_hash',
      [accountId],
    )
  ).rows;

const passwordHashOf = async (server: TestServer, accountId: string) =>
  (await server.db.query<{ password_hash: string }>('SELECT password_hash FROM accounts WHERE id = $1', [accountId])).rows[0]!
    .password_hash;

async function userEvents(server: TestServer, type: string, accountId: string) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ details: Record<string, unknown> }>(
    `SELECT details FROM audit_events WHERE type = $1 AND actor_type = 'user' AND actor_id = $2 ORDER BY seq`,
    [type, accountId],
  );
  return rows.map((row) => row.details);
}

testEachBackend(
  'when the audit event of a change a user makes cannot be stored, the change is not made and the user gets an error',
  async (t, server) => {
    const rp = relyingPartyOf(server.url);

    // Every browser is brought to the step before its change while events are still stored.
    const client = await createTestClient(server, { firstParty: true });
    const renewing = await createUser(server.db);
    await runAsOperator(server, 'users.require-password-change', { user: renewing.email });
    const oldPasswordHash = await passwordHashOf(server, renewing.id);
    const signIn = await SignIn.start(server.url, client.clientId);
    await signIn.password(renewing.email);
    t.regex(signIn.page.url, /\/change-password$/);
    const changePasswordAt = signIn.page.url;

    const enrolling = await createUser(server.db);
    const enrolment = await onSecurityPage(server, enrolling.email);
    await enrolment.go(`${server.url}${PAGE}/totp/add`);
    const enrolmentSecret = enrolment.enrolmentSecret();

    const registering = await createUser(server.db);
    const registration = await onSecurityPage(server, registering.email);
    const authenticator = newSoftwareAuthenticator();

    const recovering = await createUser(server.db);
    await giveAuthenticatorApp(server, recovering.id);
    await withRecoveryCodes(server, recovering.id);
    const recovery = await onSecurityPage(server, recovering.email);
    const recoveryCodesBefore = await recoveryCodesOf(server, recovering.id);

    const removing = await createUser(server.db);
    const removingSecret = await giveAuthenticatorApp(server, removing.id);
    const removal = await onSecurityPage(server, removing.email, removingSecret);

    const replacing = await createUser(server.db);
    const replacingSecret = await giveAuthenticatorApp(server, replacing.id);
    await withRecoveryCodes(server, replacing.id);
    const replacement = await onSecurityPage(server, replacing.email, replacingSecret);
    const replacedCodesBefore = await recoveryCodesOf(server, replacing.id);

    await server.portcullis.audit.flush();
    const allow = await refuseAuditEvents(server.db, 'user');

    const attempts: [string, () => Promise<{ status: number; html: string }>][] = [
      [
        'the required password change',
        () => post(signIn, new URL(changePasswordAt).pathname, { password: NEW_PASSWORD, confirmation: NEW_PASSWORD }),
      ],
      ['an authenticator app added', () => post(enrolment, `${PAGE}/totp/add`, { code: totpCode(enrolmentSecret) })],
      [
        'a passkey added',
        () =>
          post(registration, `${PAGE}/passkeys/add`, {
            credential: JSON.stringify(registrationResponse(authenticator, passkeyChallengeOf(registration.page.html), rp)),
            name: 'Unaudited',
          }),
      ],
      ['a recovery code spent', () => post(recovery, `${PAGE}/recovery`, { code: RECOVERY_CODES[0]! })],
      ['a factor removed', () => post(removal, `${PAGE}/totp/remove`)],
      ['the recovery codes replaced', () => post(replacement, `${PAGE}/recovery-codes`)],
    ];
    for (const [what, attempt] of attempts) {
      const answer = await attempt();
      t.true(answer.status >= 500, `${what}: answered ${answer.status}`);
    }

    const again = await SignIn.start(server.url, client.clientId);
    await again.password(renewing.email);
    const sameCodes = async (accountId: string, before: unknown) =>
      JSON.stringify(await recoveryCodesOf(server, accountId)) === JSON.stringify(before);
    // every change checked, one answer: a failure names each change that was made anyway
    const notMade = {
      'the password was not changed': (await passwordHashOf(server, renewing.id)) === oldPasswordHash,
      'the old password still signs in, and the change is still required': again.page.url.endsWith('/change-password'),
      'no authenticator app was stored': !(await describeFactors(server.db, enrolling.id)).totp,
      'no passkey was stored': (await listCredentials(server.db, registering.id)).length === 0,
      'the recovery code is still unused': await sameCodes(recovering.id, recoveryCodesBefore),
      'the authenticator app is still there': (await describeFactors(server.db, removing.id)).totp,
      'the recovery codes were not replaced': await sameCodes(replacing.id, replacedCodesBefore),
    };
    t.deepEqual(notMade, Object.fromEntries(Object.keys(notMade).map((what) => [what, true])) as typeof notMade);

    // the store accepts events again: each change goes through, audited, and the chain is whole
    await allow();
    const changed = await post(again, new URL(again.page.url).pathname, { password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    t.true(changed.status < 400, `the password change: ${changed.status}`);
    t.not(await passwordHashOf(server, renewing.id), oldPasswordHash);
    t.deepEqual(await userEvents(server, 'user.password_changed', renewing.id), [{ required: true }]);

    t.is((await post(enrolment, `${PAGE}/totp/add`, { code: totpCode(enrolmentSecret) })).status, 200);
    t.true((await describeFactors(server.db, enrolling.id)).totp);
    t.deepEqual(await userEvents(server, 'mfa.enrolled', enrolling.id), [{ factor: 'totp' }]);

    await registration.go(`${server.url}${PAGE}`);
    const credential = JSON.stringify(registrationResponse(authenticator, passkeyChallengeOf(registration.page.html), rp));
    t.is((await post(registration, `${PAGE}/passkeys/add`, { credential, name: 'Audited' })).status, 200);
    t.is((await listCredentials(server.db, registering.id)).length, 1);
    t.deepEqual(await userEvents(server, 'mfa.enrolled', registering.id), [{ factor: 'passkey', name: 'Audited' }]);

    t.is((await post(recovery, `${PAGE}/recovery`, { code: RECOVERY_CODES[0]! })).status, 303);
    t.is((await recoveryCodesOf(server, recovering.id)).filter((code) => code.used).length, 1);
    t.deepEqual(await userEvents(server, 'mfa.recovery_code_used', recovering.id), [{ remaining: 1 }]);

    t.is((await post(removal, `${PAGE}/totp/remove`)).status, 303);
    t.false((await describeFactors(server.db, removing.id)).totp);
    t.deepEqual(await userEvents(server, 'mfa.removed', removing.id), [{ factor: 'totp' }]);

    t.is((await post(replacement, `${PAGE}/recovery-codes`)).status, 200);
    t.notDeepEqual(await recoveryCodesOf(server, replacing.id), replacedCodesBefore);
    t.deepEqual(await userEvents(server, 'mfa.recovery_codes_replaced', replacing.id), [{ count: 10 }]);

    const verification = await verifyAuditChain(server.db, server.portcullis.keys.auditKey);
    t.true(verification.ok, JSON.stringify(verification));
  },
);
