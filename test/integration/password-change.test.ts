// A new password required by an administrator, at the user's next sign-in, on both deployments: asked
// for after the password (and the second factor) and before the sign-in finishes (no session, no code
// before); the same policy as everywhere, twice, not the current one; then the login completes with
// what was proven, and the old password is gone.
import { decodeJwt } from 'jose';
import { ACR_MFA, ACR_PASSWORD } from '../../src/accounts/second-factor-requirement.ts';
import { encryptTotpSecret, generateTotpSecret } from '../../src/accounts/totp.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { findAccountById } from '../../src/storage/accounts.ts';
import { LOGIN_FAILED } from '../../src/interactions/password-refusal.ts';
import { PASSWORDS_DIFFER, SAME_PASSWORD } from '../../src/interactions/password-change-routes.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, PASSWORD, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';

/** An admin operation, run as `portcullis` runs it. */
const admin = (server: TestServer, name: string, input: unknown) => runAsOperator(server, name, input);

const sessions = async (server: TestServer) => (await server.db.query(`SELECT 1 FROM oidc_models WHERE kind = 'Session'`)).rows.length;

async function idTokenOf(server: TestServer, client: TestClient, flow: SignIn) {
  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.page.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  if (token.status !== 200) throw new Error(JSON.stringify(token.body));
  return decodeJwt(token.body.id_token as string);
}

async function auditTypes(server: TestServer) {
  await server.portcullis.audit.flush();
  return (await server.db.query<{ type: string; actor_id: string | null }>('SELECT type, actor_id FROM audit_events ORDER BY seq')).rows;
}

const unescape = (html: string) => html.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');

testEachBackend(
  'a user required to change their password chooses a new one after the password and before any session or code; the old one then stops working',
  async (t, server) => {
    const client = await createTestClient(server, { firstParty: true });
    const user = await createUser(server.db);
    await admin(server, 'users.require-password-change', { user: user.email });

    const flow = await SignIn.start(server.url, client.clientId);
    await flow.password(user.email);
    const pageUrl = flow.page.url;
    t.regex(pageUrl, /\/interaction\/[^/]+\/change-password$/);
    t.is(flow.page.status, 200);
    t.regex(flow.page.html, /Choose a new password/);
    t.regex(flow.page.html, /At least 15 characters/);
    t.notRegex(flow.page.html, /<script/, 'no script at all');
    t.is(flow.page.code, undefined);
    t.is(await sessions(server), 0, 'no session before the new password');

    // a form posted from another site is refused
    const foreign = await flow.submit(
      '/change-password',
      { password: NEW_PASSWORD, confirmation: NEW_PASSWORD },
      { origin: 'https://evil.example' },
    );
    t.is(foreign.status, 403);
    await flow.go(pageUrl);

    // each refusal says why, and keeps the user on the page with nothing changed
    const refusals: [Record<string, string>, string][] = [
      [{ password: NEW_PASSWORD, confirmation: 'velvet thunder mosaic lanterns' }, PASSWORDS_DIFFER],
      [{ password: 'Vx7$kQ2p!wZ', confirmation: 'Vx7$kQ2p!wZ' }, 'The new password must be at least 15 characters.'],
      [
        { password: 'passwordstandard', confirmation: 'passwordstandard' },
        'The new password is on a list of commonly used or breached passwords; choose another.',
      ],
      [
        { password: `${user.email}2024!`, confirmation: `${user.email}2024!` },
        'The new password is mostly made of your email address and your name; choose one that does not rely on it.',
      ],
      [{ password: PASSWORD, confirmation: PASSWORD }, SAME_PASSWORD],
    ];
    for (const [fields, message] of refusals) {
      const page = await flow.submit('/change-password', fields);
      t.is(page.status, 400, message);
      t.true(unescape(page.html).includes(message), `${message} in ${/<p class="error"[^>]*>[^<]*<\/p>/.exec(page.html)?.[0]}`);
      t.is(page.code, undefined);
    }
    t.is(await sessions(server), 0);
    t.true((await findAccountById(server.db, user.id))!.passwordChangeRequired, 'still required');

    await flow.submit('/change-password', { password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    t.truthy(flow.page.code, 'the login completes with the new password chosen');
    const idToken = await idTokenOf(server, client, flow);
    t.is(idToken.sub, user.id);
    t.is(idToken.acr, ACR_PASSWORD);
    t.deepEqual(idToken.amr, ['pwd']);
    t.false((await findAccountById(server.db, user.id))!.passwordChangeRequired, 'the requirement is cleared');

    const events = await auditTypes(server);
    const changed = events.findIndex((row) => row.type === 'user.password_changed');
    t.true(changed >= 0);
    t.is(events[changed]!.actor_id, user.id, 'changed by the user themselves');
    t.true(events.findIndex((row) => row.type === 'login.succeeded') > changed, 'the login succeeds after the change');
    const due = events.findIndex((row) => row.type === 'login.password_change_due');
    t.true(due >= 0 && due < changed, 'the change was due before it was made');

    // the old password no longer signs in; the new one does, straight through
    const old = await SignIn.start(server.url, client.clientId);
    await old.password(user.email, PASSWORD);
    t.true(unescape(old.page.html).includes(LOGIN_FAILED));
    const next = await SignIn.start(server.url, client.clientId);
    await next.password(user.email, NEW_PASSWORD);
    t.truthy(next.page.code, 'no change page any more');
  },
);

testEachBackend(
  'with a second factor, the new password comes after the code; the password alone never reaches the change page',
  async (t, server) => {
    const client = await createTestClient(server, { firstParty: true });
    const user = await createUser(server.db);
    const secret = generateTotpSecret();
    await server.db.query('INSERT INTO mfa_totp (account_id, secret_encrypted, confirmed_at) VALUES ($1, $2, now())', [
      user.id,
      encryptTotpSecret(server.portcullis.keys.encryptionKey, user.id, secret),
    ]);
    // a temporary password from an administrator, to be replaced at the next sign-in
    const temporary = 'amber quartz orchard falcon';
    await admin(server, 'users.set-password', { user: user.id, password: temporary, mustChange: true });

    const flow = await SignIn.start(server.url, client.clientId);
    await flow.password(user.email, temporary);
    t.regex(flow.page.url, /\/second-factor$/);
    // with only the password proven, the change page sends the browser back to the start, and a
    // posted new password finishes nothing
    const changeUrl = flow.page.url.replace(/\/second-factor$/, '/change-password');
    const skipped = await flow.go(changeUrl);
    t.notRegex(skipped.url, /change-password/);
    t.notRegex(skipped.html, /Choose a new password/);
    const posted = await flow.go(changeUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({ password: NEW_PASSWORD, confirmation: NEW_PASSWORD }),
    });
    t.is(posted.code, undefined);
    t.true((await findAccountById(server.db, user.id))!.passwordChangeRequired, 'nothing changed');

    // the whole sign-in again: password, code, then the new password
    const again = await SignIn.start(server.url, client.clientId);
    await again.password(user.email, temporary);
    await again.submit('/second-factor/totp', { code: totpCode(secret) });
    t.regex(again.page.url, /\/change-password$/);
    t.regex(again.page.html, /At least 8 characters/, 'the shorter minimum of a user with a second factor');
    t.is(again.page.code, undefined);
    t.is(await sessions(server), 0);
    await again.submit('/change-password', { password: NEW_PASSWORD, confirmation: NEW_PASSWORD });
    t.truthy(again.page.code);
    const idToken = await idTokenOf(server, client, again);
    t.is(idToken.acr, ACR_MFA);
    t.deepEqual(idToken.amr, ['pwd', 'otp'], 'what was proven before the change');
    t.false((await findAccountById(server.db, user.id))!.passwordChangeRequired);
  },
);
