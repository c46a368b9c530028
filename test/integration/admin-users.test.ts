// Users through the admin API, on both deployments: changed with ETag/If-Match, given a new password
// (under the password policy), made to choose a new one, and deleted with everything that let them
// in. Each test asserts what the user, their apps and the administrator then notice; every answer is
// checked against the OpenAPI document by the harness.
import { decodeJwt } from 'jose';
import { emailSubject, secondFactorSubject as secondFactorSubjectOf } from '../../src/accounts/login-subject.ts';
import { encryptTotpSecret, generateTotpSecret } from '../../src/accounts/totp.ts';
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import { adminTest, adminUserToken, API, auditEvents, type Harness } from '../helpers/admin-harness.ts';
import { createResource, createTestClient, createUser, PASSWORD, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { authorize } from '../helpers/user-agent.ts';
import { signInForTokens } from '../helpers/user-tokens.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';

/** The token a sign-in with offline_access (the default) returned: its absence fails the test. */
const present = (token: string | undefined): string => {
  if (!token) throw new Error('no token: was offline_access not granted?');
  return token;
};
const refresh = (server: TestServer, client: TestClient, refreshToken: string | undefined) =>
  postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: present(refreshToken) }, client);
const introspect = async (server: TestServer, client: TestClient, token: string | undefined) =>
  (await postForm(`${server.url}/token/introspection`, { token: present(token) }, client)).body.active;

async function auditDetails(server: TestServer, type: string) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ details: Record<string, unknown> | null }>(
    'SELECT details FROM audit_events WHERE type = $1 ORDER BY seq',
    [type],
  );
  return rows.map((row) => row.details ?? {});
}

async function withTotp(server: TestServer, accountId: string) {
  const secret = generateTotpSecret();
  await server.db.query('INSERT INTO mfa_totp (account_id, secret_encrypted, confirmed_at) VALUES ($1, $2, now())', [
    accountId,
    encryptTotpSecret(server.portcullis.keys.encryptionKey, accountId, secret),
  ]);
  return secret;
}

adminTest(
  'a user is changed only with the ETag last read: round trip, 412 when stale, 428 when missing; 409 for a taken email, 400 naming the field; audited with the fields changed',
  async (t, harness) => {
    const { server, call } = harness;
    const admin = await harness.bootstrap();
    const bearer = await harness.token(admin);
    const created = await call('POST', '/users', {
      token: bearer,
      json: { email: 'ada@example.com', name: 'Ada', password: NEW_PASSWORD },
    });
    t.is(created.status, 201, JSON.stringify(created.body));
    const { id } = created.body;
    const createdTag = created.headers.get('etag');
    t.regex(createdTag ?? '', /^"[\w-]{27}"$/);
    const shown = await call('GET', '/users/ADA@example.com', { token: bearer });
    t.is(shown.headers.get('etag'), createdTag, 'the same user read by email: the same tag as the creation answered');
    t.like(shown.body, { emailVerified: false, mfaRequired: false, isAdmin: false, passwordChangeRequired: false });

    const missing = await call('PATCH', `/users/${id}`, { token: bearer, json: { name: 'Ada Lovelace' } });
    t.is(missing.status, 428);
    t.regex(missing.body.error_description, /^ifMatch: send the If-Match header/);

    const renamed = await call('PATCH', `/users/${id}`, {
      token: bearer,
      json: { name: 'Ada Lovelace', emailVerified: true },
      headers: { 'if-match': createdTag! },
    });
    t.is(renamed.status, 200, JSON.stringify(renamed.body));
    t.like(renamed.body, { id, email: 'ada@example.com', name: 'Ada Lovelace', emailVerified: true });
    const renamedTag = renamed.headers.get('etag')!;
    t.not(renamedTag, createdTag);
    t.is((await call('GET', `/users/${id}`, { token: bearer })).headers.get('etag'), renamedTag, "the answer's tag is the one GET gives");

    const stale = await call('PATCH', `/users/${id}`, {
      token: bearer,
      json: { name: 'Someone Else' },
      headers: { 'if-match': createdTag! },
    });
    t.is(stale.status, 412);
    t.is(stale.body.error, 'precondition_failed');
    t.is((await call('GET', `/users/${id}`, { token: bearer })).body.name, 'Ada Lovelace', 'nothing written');

    // a new address is not verified (nobody proved it reaches Ada); a change of case is the same address
    const recased = await call('PATCH', `/users/${id}`, {
      token: bearer,
      json: { email: 'Ada@Example.com' },
      headers: { 'if-match': renamedTag },
    });
    t.like(recased.body, { email: 'Ada@Example.com', emailVerified: true });
    const moved = await call('PATCH', `/users/${id}`, {
      token: bearer,
      json: { email: 'ada@analytical.example' },
      headers: { 'if-match': recased.headers.get('etag')! },
    });
    t.is(moved.status, 200, JSON.stringify(moved.body));
    t.like(moved.body, { email: 'ada@analytical.example', emailVerified: false });
    let tag = moved.headers.get('etag')!;
    // the user signs in with the new address (not the old one)
    const web = await createTestClient(server, { firstParty: true });
    t.truthy(await signInForTokens(server, web, 'ada@analytical.example', { password: NEW_PASSWORD }));
    t.falsy(await signInForTokens(server, web, 'ada@example.com', { password: NEW_PASSWORD }));

    // refusals name the field; none of them writes
    await createUser(server.db, 'grace@example.com');
    const taken = await call('PATCH', `/users/${id}`, {
      token: bearer,
      json: { email: 'GRACE@example.com' },
      headers: { 'if-match': tag },
    });
    t.is(taken.status, 409);
    t.regex(taken.body.error_description, /^email: an account with the email "GRACE@example.com" already exists/);
    const unknown = await call('PATCH', `/users/${id}`, { token: bearer, json: { colour: 'blue' }, headers: { 'if-match': tag } });
    t.is(unknown.status, 400);
    t.regex(unknown.body.error_description, /^input: unknown field\(s\) "colour"/);
    const wrongType = await call('PATCH', `/users/${id}`, { token: bearer, json: { isAdmin: 'yes' }, headers: { 'if-match': tag } });
    t.regex(wrongType.body.error_description, /^isAdmin: must be a boolean/);
    t.regex(
      (await call('PATCH', `/users/${id}`, { token: bearer, json: { email: 'not an email' }, headers: { 'if-match': tag } })).body
        .error_description,
      /^email: must be a valid email address/,
    );
    t.is(
      (await call('PATCH', '/users/nobody@example.com', { token: bearer, json: { name: 'X' }, headers: { 'if-match': tag } })).status,
      404,
    );
    t.is((await call('GET', `/users/${id}`, { token: bearer })).headers.get('etag'), tag, 'the refusals changed nothing');

    // null removes the name; a patch that changes nothing writes nothing (same tag, no event)
    const unnamed = await call('PATCH', `/users/${id}`, {
      token: bearer,
      json: { name: null, mfaRequired: true },
      headers: { 'if-match': tag },
    });
    t.like(unnamed.body, { name: null, mfaRequired: true });
    tag = unnamed.headers.get('etag')!;
    const same = await call('PATCH', `/users/${id}`, {
      token: bearer,
      json: { name: '', mfaRequired: true },
      headers: { 'if-match': tag },
    });
    t.is(same.status, 200);
    t.is(same.headers.get('etag'), tag);

    // require a new password: shown on the user (a new tag); asking again changes nothing
    const required = await call('POST', `/users/${id}/require-password-change`, { token: bearer });
    t.is(required.status, 200, JSON.stringify(required.body));
    t.true(required.body.passwordChangeRequired);
    t.not(required.headers.get('etag'), tag);
    const again = await call('POST', `/users/${id}/require-password-change`, { token: bearer });
    t.is(again.headers.get('etag'), required.headers.get('etag'));

    // audited with the admin who made each change, the field names, the addresses and nothing else
    const events = (await auditEvents(server)).filter((row) => row.type === 'user.updated' || row.type === 'user.password_change_required');
    t.deepEqual(
      events.map((row) => row.type),
      ['user.updated', 'user.updated', 'user.updated', 'user.updated', 'user.password_change_required'],
    );
    t.true(events.every((row) => row.actor_type === 'admin' && row.actor_id === `client:${admin.clientId}` && row.target_id === id));
    const details = await auditDetails(server, 'user.updated');
    t.deepEqual(
      details.map((detail) => detail.changed),
      [['name', 'emailVerified'], ['email'], ['email', 'emailVerified'], ['name', 'mfaRequired']],
    );
    t.like(details[2], { previousEmail: 'Ada@Example.com', email: 'ada@analytical.example' });

    // scopes: reading is not changing, and /users needs admin:users as well
    for (const scope of ['admin:read admin:users', 'admin:read admin:write']) {
      const limited = await harness.token(admin, scope);
      t.is((await call('PATCH', `/users/${id}`, { token: limited, json: { name: 'X' }, headers: { 'if-match': tag } })).status, 403, scope);
      t.is((await call('POST', `/users/${id}/password`, { token: limited, json: { password: NEW_PASSWORD } })).status, 403, scope);
      t.is((await call('POST', `/users/${id}/require-password-change`, { token: limited })).status, 403, scope);
      t.is((await call('DELETE', `/users/${id}`, { token: limited })).status, 403, scope);
    }
    t.is((await call('GET', `/users/${id}`, { token: bearer })).body.name, null);
  },
);

adminTest(
  'set-password: the policy refuses a weak password by name; the new one works at once, while the old one, the sessions and the tokens end; a failed-login lock is cleared',
  async (t, harness) => {
    const { server, call } = harness;
    const admin = await harness.bootstrap();
    const bearer = await harness.token(admin);
    const client = await createTestClient(server, { firstParty: true });
    const user = await createUser(server.db);
    const before = (await signInForTokens(server, client, user.email))!;
    t.is((await refresh(server, client, before.refreshToken)).status, 200);
    // the email locked, as repeated failed logins would leave it: even the right password is refused
    await server.db.query(
      `INSERT INTO login_failures (subject_key, failures, locked_until, last_failure_at) VALUES ($1, 12, now() + interval '1 hour', now())
     ON CONFLICT (subject_key) DO UPDATE SET failures = 12, locked_until = now() + interval '1 hour', last_failure_at = now()`,
      [emailSubject(server.portcullis.keys.loginSubjectKey, user.email)],
    );
    t.falsy(await signInForTokens(server, client, user.email));

    const refused = async (json: unknown, description: RegExp) => {
      const answer = await call('POST', `/users/${user.id}/password`, { token: bearer, json });
      t.is(answer.status, 400, JSON.stringify(answer.body));
      t.regex(answer.body.error_description, description);
    };
    await refused({ password: 'Vx7$kQ2p!wZ' }, /^password: must be at least 15 characters/);
    await refused({ password: 'passwordstandard' }, /^password: is on a list of commonly used or breached passwords/);
    await refused({ password: `${user.email}!!` }, /^password: is mostly made of your email address/);
    await refused({}, /^password: is required/);
    await refused({ password: NEW_PASSWORD, mustChange: 'yes' }, /^mustChange: must be a boolean/);
    await refused({ password: NEW_PASSWORD, colour: 'blue' }, /^input: unknown field\(s\) "colour"/);
    t.is((await call('POST', '/users/nobody@example.com/password', { token: bearer, json: { password: NEW_PASSWORD } })).status, 404);
    t.is((await refresh(server, client, before.refreshToken)).status, 200, 'no refusal ended anything');

    // a user with a second factor may have the shorter minimum (8), as wherever a password is set
    const withFactor = await createUser(server.db);
    await withTotp(server, withFactor.id);
    t.is((await call('POST', `/users/${withFactor.id}/password`, { token: bearer, json: { password: 'Vx7$kQ2p!wZ' } })).status, 200);

    const set = await call('POST', `/users/${encodeURIComponent(user.email)}/password`, {
      token: bearer,
      json: { password: NEW_PASSWORD },
    });
    t.is(set.status, 200, JSON.stringify(set.body));
    t.like(set.body, { id: user.id, passwordChangeRequired: false, endedSessions: 1, endedGrants: 1, wasLocked: true });
    t.is(set.headers.get('etag'), (await call('GET', `/users/${user.id}`, { token: bearer })).headers.get('etag'));

    // what the user and their apps notice: the old password, session and tokens are gone; the new one works
    const refreshed = await refresh(server, client, before.refreshToken);
    t.is(refreshed.status, 400);
    t.is(refreshed.body.error, 'invalid_grant');
    t.false(await introspect(server, client, before.accessToken));
    const silent = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid',
      agent: before.agent,
      extra: { prompt: 'none' },
    });
    t.is(silent.error, 'login_required', 'the browser is signed out');
    t.falsy(await signInForTokens(server, client, user.email, { password: PASSWORD }));
    t.truthy(
      await signInForTokens(server, client, user.email, { password: NEW_PASSWORD }),
      'the lock is cleared and the new password works',
    );

    // a temporary password: the user must choose their own at the next sign-in
    const temporary = await call('POST', `/users/${user.id}/password`, {
      token: bearer,
      json: { password: 'amber quartz orchard falcon', mustChange: true },
    });
    t.like(temporary.body, { passwordChangeRequired: true, endedSessions: 1 });

    const events = (await auditEvents(server)).filter((row) => row.type === 'user.password_set');
    t.is(events.length, 3);
    t.true(events.every((row) => row.actor_id === `client:${admin.clientId}`));
    const details = await auditDetails(server, 'user.password_set');
    t.like(details[1], { mustChange: false, endedSessions: 1, endedGrants: 1, wasLocked: true });
    t.like(details[2], { mustChange: true });
    const { rows } = await server.db.query<{ all: string }>(`SELECT string_agg(coalesce(details::text, ''), ' ') AS all FROM audit_events`);
    for (const password of [NEW_PASSWORD, 'amber quartz orchard falcon', 'Vx7$kQ2p!wZ'])
      t.false(rows[0]!.all.includes(password), 'no password in the audit trail');
  },
);

adminTest(
  'delete: the user goes with their sessions, grants, tokens, factors and lock state; a refresh token, an access token and a code issued just before stop working at once',
  async (t, harness) => {
    const { server, call } = harness;
    const admin = await harness.bootstrap();
    const bearer = await harness.token(admin);
    await createResource(server.db, API, ['read']);
    const client = await createTestClient(server, { firstParty: true, resources: { [API]: ['read'] } });
    const user = await createUser(server.db);
    const other = await createUser(server.db);
    const signedIn = (await signInForTokens(server, client, user.email, { scope: 'openid offline_access read', resource: API }))!;
    const othersSession = (await signInForTokens(server, client, other.email))!;
    t.is(signedIn.accessToken.split('.').length, 3, 'a JWT for the API: not stored, judged by its user and grant');
    t.true(await introspect(server, client, signedIn.accessToken));
    // a code issued just before the deletion, not yet redeemed (in Redis on that deployment)
    const pending = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid',
      agent: signedIn.agent,
      extra: { prompt: 'none' },
    });
    t.truthy(pending.code);
    // second factors and a failed second-factor count
    await withTotp(server, user.id);
    await server.db.query(`INSERT INTO mfa_recovery_codes (account_id, code_hash) VALUES ($1, 'h1'), ($1, 'h2')`, [user.id]);
    await server.db.query(
      `INSERT INTO webauthn_credentials (id, account_id, name, public_key, device_type) VALUES ('cred-1', $1, 'Key', 'pk', 'singleDevice')`,
      [user.id],
    );
    const secondFactorSubject = secondFactorSubjectOf(server.portcullis.keys.loginSubjectKey, user.id);
    await server.db.query(`INSERT INTO login_failures (subject_key, failures, last_failure_at) VALUES ($1, 2, now())`, [
      secondFactorSubject,
    ]);

    const deleted = await call('DELETE', `/users/${encodeURIComponent(user.email)}`, { token: bearer });
    t.is(deleted.status, 200, JSON.stringify(deleted.body));
    t.like(deleted.body, { id: user.id, email: user.email, deleted: true });
    t.is(deleted.body.sessionIds.length, 1);
    t.is(deleted.body.grantIds.length, 1);

    // what the apps notice, on their very next request
    const refreshed = await refresh(server, client, signedIn.refreshToken);
    t.is(refreshed.status, 400);
    t.is(refreshed.body.error, 'invalid_grant');
    t.false(await introspect(server, client, signedIn.accessToken), 'the access token introspects inactive');
    t.false(await introspect(server, client, signedIn.refreshToken));
    const redeemed = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: pending.code!, redirect_uri: REDIRECT_URI, code_verifier: pending.verifier },
      client,
    );
    t.is(redeemed.status, 400);
    t.is(redeemed.body.error, 'invalid_grant', 'the code issued just before cannot be redeemed');
    t.falsy(await signInForTokens(server, client, user.email), 'nor can anyone sign in as them');
    // another user's session is untouched
    t.is((await refresh(server, client, othersSession.refreshToken)).status, 200);

    // what the administrator sees: gone, with nothing of theirs left behind
    t.is((await call('GET', `/users/${user.id}`, { token: bearer })).status, 404);
    t.is((await call('DELETE', `/users/${user.id}`, { token: bearer })).status, 404);
    const left = async (sql: string, values: unknown[]) => (await server.db.query(sql, values)).rows.length;
    t.is(await left('SELECT 1 FROM accounts WHERE id = $1', [user.id]), 0);
    t.is(await left(`SELECT 1 FROM oidc_models WHERE payload->>'accountId' = $1`, [user.id]), 0);
    t.is(await left('SELECT 1 FROM mfa_totp WHERE account_id = $1', [user.id]), 0);
    t.is(await left('SELECT 1 FROM mfa_recovery_codes WHERE account_id = $1', [user.id]), 0);
    t.is(await left('SELECT 1 FROM webauthn_credentials WHERE account_id = $1', [user.id]), 0);
    t.is(await left('SELECT 1 FROM login_failures WHERE subject_key = $1', [secondFactorSubject]), 0);

    const event = (await auditEvents(server)).find((row) => row.type === 'user.deleted');
    t.like(event, { actor_type: 'admin', actor_id: `client:${admin.clientId}`, target_id: user.id });
    t.like((await auditDetails(server, 'user.deleted'))[0], {
      email: user.email,
      sessionIds: deleted.body.sessionIds,
      grantIds: deleted.body.grantIds,
    });

    // the address is free for a new account, which starts afresh
    const recreated = await call('POST', '/users', { token: bearer, json: { email: user.email, password: NEW_PASSWORD } });
    t.is(recreated.status, 201);
    t.not(recreated.body.id, user.id);
    t.truthy(await signInForTokens(server, client, user.email, { password: NEW_PASSWORD }));
  },
);

/** An administrator's own admin-audience token: password and TOTP through a first-party console. */
async function administratorToken(harness: Harness) {
  const { server } = harness;
  const console = await createTestClient(server, {
    firstParty: true,
    resources: { [ADMIN_AUDIENCE]: ['admin:read', 'admin:write', 'admin:users'] },
  });
  const admin = await createUser(server.db);
  await server.db.query('UPDATE accounts SET is_admin = true WHERE id = $1', [admin.id]);
  const secret = await withTotp(server, admin.id);
  return { admin, bearer: await adminUserToken(harness, admin.email, console, secret) };
}

adminTest(
  "an administrator cannot delete their own account nor drop their own role (409); other users' changes are audited as theirs",
  async (t, harness) => {
    const { server, call } = harness;
    const { admin, bearer } = await administratorToken(harness);
    t.is(decodeJwt(bearer).sub, admin.id);
    const self = await call('GET', `/users/${admin.id}`, { token: bearer });
    const tag = self.headers.get('etag')!;

    const deleteSelf = await call('DELETE', `/users/${encodeURIComponent(admin.email)}`, { token: bearer });
    t.is(deleteSelf.status, 409);
    t.regex(deleteSelf.body.error_description, /^user: you cannot delete your own account/);
    const demoteSelf = await call('PATCH', `/users/${admin.id}`, { token: bearer, json: { isAdmin: false }, headers: { 'if-match': tag } });
    t.is(demoteSelf.status, 409);
    t.regex(demoteSelf.body.error_description, /^isAdmin: you cannot remove your own administrator role/);
    t.is((await call('GET', `/users/${admin.id}`, { token: bearer })).headers.get('etag'), tag, 'still there, still an administrator');

    const colleague = await createUser(server.db);
    const promoted = await call('PATCH', `/users/${colleague.id}`, {
      token: bearer,
      json: { isAdmin: true },
      headers: { 'if-match': (await call('GET', `/users/${colleague.id}`, { token: bearer })).headers.get('etag')! },
    });
    t.true(promoted.body.isAdmin);
    t.is((await call('DELETE', `/users/${colleague.id}`, { token: bearer })).status, 200, 'another administrator can be deleted');
    const events = (await auditEvents(server)).filter((row) => row.type === 'user.updated' || row.type === 'user.deleted');
    t.deepEqual(
      events.map((row) => [row.type, row.actor_id, row.target_id]),
      [
        ['user.updated', `user:${admin.id}`, colleague.id],
        ['user.deleted', `user:${admin.id}`, colleague.id],
      ],
    );
  },
);
