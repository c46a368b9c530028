// Forged and borrowed passkey assertions at the sign-in page's passkey sign-in (a discoverable
// credential names the account itself, so the assertion is all the server has): an attacker's own
// passkey carrying the victim's user handle, the victim's credential id signed by another key, an
// assertion without a user handle, one whose authenticator did not verify the user (UV=false), a
// key never registered, a phishing site's assertion (its origin, or its RP ID), and a disabled
// account's valid passkey. Each is refused with no code, no session, no counter moved; the
// refusals are audited; a disabled account is named as such only after a valid proof.
import type { ExecutionContext } from 'ava';
import { userHandleFor } from '../../src/accounts/passkeys.ts';
import { ACCOUNT_DISABLED } from '../../src/interactions/password-refusal.ts';
import { PASSKEY_NOT_ACCEPTED } from '../../src/interactions/passkey-sign-in-routes.ts';
import { findCredential } from '../../src/storage/webauthn-credentials.ts';
import { assertionFor, firstPartyClient, postPasskey, testEachBackendOnLocalhost, userWithPasskey } from '../helpers/passkey-sign-in.ts';
import type { TestServer } from '../helpers/server.ts';
import { SignIn } from '../helpers/sign-in-flow.ts';
import { FLAG_UP, newSoftwareAuthenticator } from '../helpers/software-authenticator.ts';

const unescape = (html: string) => html.replaceAll('&#39;', "'").replaceAll('&quot;', '"').replaceAll('&amp;', '&');

const sessions = async (server: TestServer) => (await server.db.query(`SELECT 1 FROM oidc_models WHERE kind = 'Session'`)).rows.length;

/** The answer a refused passkey gets: the sign-in page again, 401, the generic message, no code. */
function assertRefused(t: ExecutionContext, flow: SignIn, label: string, message = PASSKEY_NOT_ACCEPTED) {
  t.is(flow.page.status, 401, label);
  t.is(flow.page.code, undefined, `${label}: no code`);
  t.true(unescape(flow.page.html).includes(message), `${label}: "${message}"`);
  t.regex(flow.page.html, /id="passkey-options"/, `${label}: a fresh challenge to try again with`);
}

async function failures(server: TestServer) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ target_id: string | null; details: { method: string; reason: string } }>(
    `SELECT target_id, details FROM audit_events WHERE type = 'login.failed' ORDER BY seq`,
  );
  return rows;
}

testEachBackendOnLocalhost('the attacker’s own passkey with the victim’s user handle does not sign in as the victim', async (t, server) => {
  const victim = await userWithPasskey(server);
  const attacker = await userWithPasskey(server);
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  await postPasskey(flow, assertionFor(flow, attacker, { userHandle: userHandleFor(victim.user.id) }));
  assertRefused(t, flow, 'forged user handle');
  t.is(await sessions(server), 0);
  t.deepEqual(await failures(server), [{ target_id: attacker.user.id, details: { method: 'passkey', reason: 'not_verified' } }]);
});

testEachBackendOnLocalhost('the victim’s credential id signed by another key is refused', async (t, server) => {
  const victim = await userWithPasskey(server, { counter: 3 });
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  // the id is no secret (it is in every second-factor page's allowCredentials); the private key is
  const impostor = { ...newSoftwareAuthenticator(), credentialId: victim.key.credentialId, counter: 9 };
  await postPasskey(flow, assertionFor(flow, { key: impostor, user: victim.user }));
  assertRefused(t, flow, 'signature by another key');
  t.is((await findCredential(server.db, victim.credentialId))!.signCount, 3, 'the counter did not move');
});

testEachBackendOnLocalhost('an assertion without a user handle is refused (the page named no account)', async (t, server) => {
  const holder = await userWithPasskey(server);
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  // a non-discoverable credential answers without one: it can only be a second factor
  await postPasskey(flow, assertionFor(flow, holder, { userHandle: undefined }));
  assertRefused(t, flow, 'no user handle');
  await postPasskey(flow, assertionFor(flow, holder));
  t.truthy(flow.page.code, 'the same key with its user handle signs in');
});

testEachBackendOnLocalhost('an assertion without user verification (UV=false) does not sign in alone', async (t, server) => {
  const holder = await userWithPasskey(server);
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  // a security key touched but without its PIN: possession only, one factor — not a whole sign-in
  await postPasskey(flow, assertionFor(flow, holder, { flags: FLAG_UP }));
  assertRefused(t, flow, 'UV=false');
  t.is(await sessions(server), 0);
  await postPasskey(flow, assertionFor(flow, holder));
  t.truthy(flow.page.code, 'the same key, verifying the user, signs in');
});

testEachBackendOnLocalhost('a key never registered here is refused, audited as an unknown credential', async (t, server) => {
  await userWithPasskey(server);
  const stranger = { key: newSoftwareAuthenticator(), user: { id: '00000000-0000-4000-8000-000000000000' } };
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  await postPasskey(flow, assertionFor(flow, stranger));
  assertRefused(t, flow, 'unknown credential');
  t.deepEqual(await failures(server), [{ target_id: null, details: { method: 'passkey', reason: 'unknown_credential' } }]);
});

testEachBackendOnLocalhost('a phishing site’s assertion (its own origin, or its own RP ID) is refused', async (t, server) => {
  const holder = await userWithPasskey(server);
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  await postPasskey(flow, assertionFor(flow, holder, { origin: 'https://portcullis-login.example' }));
  assertRefused(t, flow, 'another origin');
  await postPasskey(flow, assertionFor(flow, holder, { rpId: 'portcullis-login.example' }));
  assertRefused(t, flow, 'another RP ID');
  await postPasskey(flow, assertionFor(flow, holder, { type: 'webauthn.create' }));
  assertRefused(t, flow, 'a registration’s client data');
  t.is(await sessions(server), 0);
});

testEachBackendOnLocalhost('a disabled account’s passkey is refused, and says so only after a valid proof', async (t, server) => {
  const holder = await userWithPasskey(server, { counter: 5 });
  await server.db.query('UPDATE accounts SET disabled_at = now() WHERE id = $1', [holder.user.id]);
  const client = await firstPartyClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  await postPasskey(flow, assertionFor(flow, holder, { flags: FLAG_UP }));
  assertRefused(t, flow, 'an invalid assertion for a disabled account: the generic answer');
  await postPasskey(flow, assertionFor(flow, holder));
  assertRefused(t, flow, 'a valid one', ACCOUNT_DISABLED);
  t.is(await sessions(server), 0);
  t.deepEqual(
    (await failures(server)).map((row) => row.details.reason),
    ['not_verified', 'account_disabled'],
  );
});
