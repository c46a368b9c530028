// Attack: a password reset that skips or borrows a step. Whoever holds an account's reset link (a
// leaked or forwarded email) must still prove the account's second factor before a new password is
// set: posting the last step directly, proving another account's factor, replaying an earlier
// proof, or having another site post the forms changes nothing.
import type { ExecutionContext } from 'ava';
import { findAccountById } from '../../src/storage/accounts.ts';
import { verifyPassword } from '../../src/accounts/passwords.ts';
import { generateRecoveryCodes, hashRecoveryCode } from '../../src/accounts/recovery-codes.ts';
import { replaceRecoveryCodes } from '../../src/storage/mfa.ts';
import { registrationOptions, relyingPartyFor, userHandleFor, verifyRegistration } from '../../src/accounts/passkeys.ts';
import { insertCredential } from '../../src/storage/webauthn-credentials.ts';
import {
  assertionResponse,
  newSoftwareAuthenticator,
  passkeyChallengeOf,
  registrationResponse,
} from '../helpers/software-authenticator.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser, giveAuthenticatorApp, PASSWORD } from '../helpers/fixtures.ts';
import { emailsTo } from '../helpers/outbox.ts';
import { NEW_PASSWORD, PasswordReset } from '../helpers/password-reset.ts';
import type { TestServer } from '../helpers/server.ts';
import { totpCode } from '../helpers/sign-in-flow.ts';

async function assertPasswordUnchanged(t: ExecutionContext, server: TestServer, accountId: string) {
  const account = await findAccountById(server.db, accountId);
  t.true(await verifyPassword(account!.passwordHash!, PASSWORD), 'the password is unchanged');
}

/** A link for `email`, opened by `reset`'s browser. */
async function openedLink(reset: PasswordReset, email: string): Promise<string> {
  await reset.request(email);
  const link = await reset.link(email);
  await reset.get(link);
  return PasswordReset.tokenOf(link);
}

testEachBackend('skipping the second factor: posting the new password straight away is refused', async (t, server) => {
  const victim = await createUser(server.db);
  await giveAuthenticatorApp(server, victim.id);
  const attacker = new PasswordReset(server);
  const token = await openedLink(attacker, victim.email);
  const skipped = await attacker.setPassword(token);
  t.is(skipped.status, 403);
  t.regex(skipped.html, /Confirm it is you with your second factor first/);
  // without ever opening the link either (no state at all)
  t.is((await new PasswordReset(server).setPassword(token)).status, 403);
  await assertPasswordUnchanged(t, server, victim.id);
  t.false((await emailsTo(server, victim.email)).some((email) => email.template === 'password-changed'));
});

testEachBackend(
  "a second factor of another account: the attacker's own code or proof does not open the victim's reset",
  async (t, server) => {
    const victim = await createUser(server.db);
    await giveAuthenticatorApp(server, victim.id);
    const attackerAccount = await createUser(server.db);
    const attackerSecret = await giveAuthenticatorApp(server, attackerAccount.id);
    const browser = new PasswordReset(server);

    // the attacker proves their own factor for their own link: this browser's state says "proven"
    const own = await openedLink(browser, attackerAccount.email);
    t.is((await browser.post('/account/reset-password/totp', { token: own, code: totpCode(attackerSecret) })).status, 200);
    // ... and posts the victim's link with it
    const victims = await openedLink(browser, victim.email);
    t.is((await browser.setPassword(victims)).status, 403);
    // the attacker's code sent with the victim's link is checked against the victim's app
    const borrowed = await browser.post('/account/reset-password/totp', { token: victims, code: totpCode(attackerSecret) });
    t.is(borrowed.status, 401);
    t.is((await browser.setPassword(victims)).status, 403);
    await assertPasswordUnchanged(t, server, victim.id);
  },
);

testEachBackend('replaying a proof: a code is good once, and a proof for a used link opens no later link', async (t, server) => {
  const user = await createUser(server.db);
  const secret = await giveAuthenticatorApp(server, user.id);
  const browser = new PasswordReset(server);
  const first = await openedLink(browser, user.email);
  const code = totpCode(secret);
  t.is((await browser.post('/account/reset-password/totp', { token: first, code })).status, 200);
  t.is((await browser.post('/account/reset-password/totp', { token: first, code })).status, 401, 'the same code again');
  t.is((await browser.setPassword(first)).status, 200);

  // the state of that reset, kept by the browser, does not stand for the next link
  const second = await openedLink(browser, user.email);
  t.is((await browser.setPassword(second, 'yet another long passphrase here')).status, 403);
  const account = await findAccountById(server.db, user.id);
  t.true(await verifyPassword(account!.passwordHash!, NEW_PASSWORD));
});

testEachBackend('a cross-site POST to the reset forms is refused, and sends or changes nothing', async (t, server) => {
  const user = await createUser(server.db);
  const browser = new PasswordReset(server);
  const token = await openedLink(browser, user.email);
  const queued = (await emailsTo(server, user.email)).length;
  const crossSite: Record<string, string>[] = [
    { origin: 'https://evil.example' },
    { origin: 'null', 'sec-fetch-site': 'cross-site' },
    { 'sec-fetch-site': 'same-site' },
  ];
  for (const headers of crossSite) {
    const asked = await browser.post('/account/forgot-password', { email: user.email }, headers);
    t.is(asked.status, 403);
    const set = await browser.post('/account/reset-password', { token, password: NEW_PASSWORD, confirmation: NEW_PASSWORD }, headers);
    t.is(set.status, 403);
    t.regex(set.html, /another site/i);
  }
  t.is((await emailsTo(server, user.email)).length, queued, 'no email was queued');
  await assertPasswordUnchanged(t, server, user.id);
});

testEachBackend('a recovery code opens the reset once; a used one, or one of another account, does not', async (t, server) => {
  const user = await createUser(server.db);
  await giveAuthenticatorApp(server, user.id);
  const other = await createUser(server.db);
  await giveAuthenticatorApp(server, other.id);
  const [code, otherCode] = [generateRecoveryCodes(), generateRecoveryCodes()];
  await replaceRecoveryCodes(
    server.db,
    user.id,
    code.map((one) => hashRecoveryCode(server.portcullis.keys.recoveryCodeKey, one)),
  );
  await replaceRecoveryCodes(
    server.db,
    other.id,
    otherCode.map((one) => hashRecoveryCode(server.portcullis.keys.recoveryCodeKey, one)),
  );

  const browser = new PasswordReset(server);
  const token = await openedLink(browser, user.email);
  t.is((await browser.post('/account/reset-password/recovery', { token, code: otherCode[0]! })).status, 401, "another account's code");
  t.is((await browser.setPassword(token)).status, 403);
  t.is((await browser.post('/account/reset-password/recovery', { token, code: code[0]! })).status, 200);
  t.is((await browser.setPassword(token)).status, 200);

  // the next reset: the code already spent is refused
  const next = await openedLink(browser, user.email);
  t.is((await browser.post('/account/reset-password/recovery', { token: next, code: code[0]! })).status, 401);
  t.is((await browser.setPassword(next, 'yet another long passphrase here')).status, 403);
});

/** A passkey of `user`'s, registered as the account page would, and what signs with it. */
async function givePasskey(server: TestServer, user: { id: string; email: string; name: string | null }) {
  const rp = relyingPartyFor(server.url);
  const authenticator = newSoftwareAuthenticator({ counter: 1 });
  const options = await registrationOptions(rp, user, []);
  const verified = await verifyRegistration(rp, registrationResponse(authenticator, options.challenge, rp), options.challenge);
  if (!verified) throw new Error('the software authenticator did not register');
  await insertCredential(server.db, { ...verified, accountId: user.id, name: 'Key' });
  return (challenge: string) => JSON.stringify(assertionResponse(authenticator, challenge, rp, { userHandle: userHandleFor(user.id) }));
}

testEachBackend(
  "a passkey opens the reset; another account's passkey, or an assertion for another browser's challenge, does not",
  async (t, server) => {
    const user = await createUser(server.db);
    const signAsUser = await givePasskey(server, user);
    const attackerAccount = await createUser(server.db);
    const signAsAttacker = await givePasskey(server, attackerAccount);

    const attacker = new PasswordReset(server);
    await attacker.request(user.email);
    const link = await attacker.link(user.email);
    const token = PasswordReset.tokenOf(link);
    const page = await attacker.get(link);
    const challenge = passkeyChallengeOf(page.html);
    // the attacker's own passkey, on the challenge this browser was given
    t.is((await attacker.post('/account/reset-password/passkey', { token, credential: signAsAttacker(challenge) })).status, 401);
    // the user's own assertion, made for the challenge another browser was given (observed, phished)
    const elsewhere = new PasswordReset(server);
    const otherChallenge = passkeyChallengeOf((await elsewhere.get(link)).html);
    t.is((await attacker.post('/account/reset-password/passkey', { token, credential: signAsUser(otherChallenge) })).status, 401);
    t.is((await attacker.setPassword(token)).status, 403);
    await assertPasswordUnchanged(t, server, user.id);

    // the user, in their own browser, with their passkey
    const owner = new PasswordReset(server);
    const ownChallenge = passkeyChallengeOf((await owner.get(link)).html);
    const proven = await owner.post('/account/reset-password/passkey', { token, credential: signAsUser(ownChallenge) });
    t.is(proven.status, 200);
    t.is((await owner.setPassword(token)).status, 200);
  },
);
