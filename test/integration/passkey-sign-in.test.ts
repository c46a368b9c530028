// Signing in with a passkey alone over HTTP, on both deployments, with the software authenticator:
// the code it leads to carries acr multi-factor and amr [hwk|swk, user]; an account that must use
// MFA gets no second prompt; the password lock does not hold the passkey's owner (and is not cleared
// by it); an administrator's required password change sends the user to the password; the events
// are in the audit trail; an issuer on an IP address offers no passkey sign-in at all.
import test from 'ava';
import { decodeJwt } from 'jose';
import { ACR_MFA } from '../../src/accounts/second-factor-requirement.ts';
import { LOGIN_FAILED } from '../../src/interactions/password-refusal.ts';
import { PASSWORD_CHANGE_FIRST } from '../../src/interactions/passkey-sign-in-routes.ts';
import { findCredential } from '../../src/storage/webauthn-credentials.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import { assertionFor, firstPartyClient, postPasskey, testEachBackendOnLocalhost, userWithPasskey } from '../helpers/passkey-sign-in.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { SignIn } from '../helpers/sign-in-flow.ts';
import { assertionResponse, passkeyChallengeOf, relyingPartyOf } from '../helpers/software-authenticator.ts';
import { userHandleFor } from '../../src/accounts/passkeys.ts';

const unescape = (html: string) => html.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');

async function idTokenOf(server: TestServer, client: TestClient, flow: SignIn) {
  const response = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.page.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  return decodeJwt(String(response.body.id_token));
}

testEachBackendOnLocalhost('a device-bound passkey signs in alone: acr multi-factor, amr [hwk, user]', async (t, server) => {
  const holder = await userWithPasskey(server, { counter: 7 });
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  t.regex(flow.page.html, /autocomplete="username webauthn"/);
  await postPasskey(flow, assertionFor(flow, holder));
  t.truthy(flow.page.code, `signed in (page: ${flow.page.status})`);
  const claims = await idTokenOf(server, client, flow);
  t.is(claims.sub, holder.user.id);
  t.is(claims.acr, ACR_MFA);
  t.deepEqual(claims.amr, ['hwk', 'user']);
  const stored = (await findCredential(server.db, holder.credentialId))!;
  t.is(stored.signCount, 8, 'the counter moved on to the assertion’s');
  t.truthy(stored.lastUsedAt);

  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ actor_id: string; client_id: string; details: unknown }>(
    `SELECT actor_id, client_id, details FROM audit_events WHERE type = 'login.succeeded'`,
  );
  t.deepEqual(rows, [
    { actor_id: holder.user.id, client_id: client.clientId, details: { amr: ['hwk', 'user'], passkey: holder.credentialId } },
  ]);
});

testEachBackendOnLocalhost('a synced passkey is a software-secured key: amr [swk, user]', async (t, server) => {
  const holder = await userWithPasskey(server, { synced: true });
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  await postPasskey(flow, assertionFor(flow, holder));
  const claims = await idTokenOf(server, client, flow);
  t.deepEqual(claims.amr, ['swk', 'user']);
  t.is(claims.acr, ACR_MFA);
});

testEachBackendOnLocalhost('MFA required by the account or the client: the passkey is enough, no second prompt', async (t, server) => {
  const holder = await userWithPasskey(server);
  await server.db.query('UPDATE accounts SET mfa_required = true WHERE id = $1', [holder.user.id]);
  const strict = await createTestClient(server, { firstParty: true, requireMfa: true });
  const flow = await SignIn.start(server.url, strict.clientId, { acr_values: ACR_MFA });
  await postPasskey(flow, assertionFor(flow, holder));
  t.truthy(flow.page.code, 'no second-factor page');
  t.is((await idTokenOf(server, strict, flow)).acr, ACR_MFA);

  // and the session it made satisfies a later request for MFA without any prompt
  const again = await SignIn.start(server.url, strict.clientId, { acr_values: ACR_MFA }, flow.agent);
  t.truthy(again.page.code, 'the passkey session is a multi-factor session');
});

testEachBackendOnLocalhost(
  'a password-locked account still signs in with its passkey, and the lock still holds passwords',
  async (t, server) => {
    const holder = await userWithPasskey(server);
    const client = await firstPartyClient(server);
    // someone who knows the email guesses until the account locks
    for (let guess = 0; guess < server.config.lockout.threshold; guess++) {
      const guesser = await SignIn.start(server.url, client.clientId);
      await guesser.password(holder.user.email, `wrong guess ${guess}`);
    }
    const withPassword = await SignIn.start(server.url, client.clientId);
    await withPassword.password(holder.user.email);
    t.is(withPassword.page.status, 401, 'locked: even the right password is refused');

    const flow = await SignIn.start(server.url, client.clientId);
    await postPasskey(flow, assertionFor(flow, holder));
    t.truthy(flow.page.code, 'the owner, holding the passkey, is not locked out');

    const guesser = await SignIn.start(server.url, client.clientId);
    await guesser.password(holder.user.email);
    t.is(guesser.page.status, 401, 'the passkey sign-in did not clear the lock for password guessers');
    t.true(unescape(guesser.page.html).includes(LOGIN_FAILED));
  },
);

testEachBackendOnLocalhost('an administrator’s required password change: the passkey sends the user to the password', async (t, server) => {
  const holder = await userWithPasskey(server);
  await server.db.query('UPDATE accounts SET password_change_required = true WHERE id = $1', [holder.user.id]);
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  await postPasskey(flow, assertionFor(flow, holder));
  t.is(flow.page.status, 401);
  t.is(flow.page.code, undefined);
  t.true(unescape(flow.page.html).includes(PASSWORD_CHANGE_FIRST));
  t.regex(flow.page.html, /name="password"/, 'the sign-in page, to type the password');

  // the password path as ever: password, the passkey as its second factor, then the new password
  await flow.password(holder.user.email);
  t.regex(flow.page.url, /\/second-factor$/);
  await flow.submit('/second-factor/passkey', {
    credential: JSON.stringify(
      assertionResponse(holder.key, passkeyChallengeOf(flow.page.html), relyingPartyOf(server.url), {
        userHandle: userHandleFor(holder.user.id),
      }),
    ),
  });
  t.regex(flow.page.url, /\/change-password$/, 'then the new-password page');

  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ target_id: string; details: unknown }>(
    `SELECT target_id, details FROM audit_events WHERE type = 'login.failed'`,
  );
  t.deepEqual(rows, [{ target_id: holder.user.id, details: { method: 'passkey', reason: 'password_change_required' } }]);
});

test('an issuer on an IP address offers no passkey sign-in (no browser accepts an IP as relying party)', async (t) => {
  const server = await startTestServer(BACKENDS[0]!);
  t.teardown(() => server.close());
  const user = await createUser(server.db);
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  t.notRegex(flow.page.html, /passkey/i);
  await flow.password(user.email);
  t.truthy(flow.page.code, 'the password sign-in is as before');
});
