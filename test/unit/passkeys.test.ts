// Passkey options and verification, without a browser: a small software authenticator builds
// real "none"-attestation registrations and signed assertions (ES256), so that each check the
// verifier must make — challenge, origin, RP ID, ceremony type, credential, signature, counter,
// user handle — is tested by changing exactly one thing. The browser ceremony itself is in
// test/e2e/passkey-ceremony.test.ts.
import { randomBytes, randomUUID } from 'node:crypto';
import test from 'ava';
import {
  amrForCredential,
  amrForPasskeySignIn,
  authenticationOptions,
  discoverableAuthenticationOptions,
  credentialIdOf,
  normalizeCredentialName,
  passkeyOptionsJson,
  registrationOptions,
  relyingPartyFor,
  userHandleFor,
  verifyAuthentication,
  verifyRegistration,
} from '../../src/accounts/passkeys.ts';
import type { StoredCredential } from '../../src/storage/webauthn-credentials.ts';
import {
  assertionResponse,
  b64u,
  cbor,
  FLAG_UP,
  newSoftwareAuthenticator,
  registrationResponse,
  type Cbor,
  type SoftwareAuthenticator,
} from '../helpers/software-authenticator.ts';

const ISSUER = 'https://login.example.com/tenant';
const rp = relyingPartyFor(ISSUER);
const account = { id: randomUUID(), email: 'ada@example.com', name: 'Ada Lovelace' };

// The software authenticator (test/helpers/software-authenticator.ts) against this test's relying party.
const newAuthenticator = newSoftwareAuthenticator;
const register = (
  authenticator: SoftwareAuthenticator,
  challenge: string,
  change: { origin?: string; rpId?: string; type?: string } = {},
) => registrationResponse(authenticator, challenge, rp, change);
/** An assertion with the account's user handle, unless `userHandle` says another (or null: none). */
const assert = (
  authenticator: SoftwareAuthenticator,
  challenge: string,
  {
    userHandle,
    ...change
  }: { origin?: string; rpId?: string; type?: string; counter?: number; userHandle?: string | null; flags?: number } = {},
) =>
  assertionResponse(authenticator, challenge, rp, {
    ...change,
    ...(userHandle === null ? {} : { userHandle: userHandle ?? userHandleFor(account.id) }),
  });

/** Registers `authenticator` and returns the credential as the store would give it back. */
async function registered(authenticator: SoftwareAuthenticator): Promise<StoredCredential> {
  const options = await registrationOptions(rp, account, []);
  const verified = await verifyRegistration(rp, register(authenticator, options.challenge), options.challenge);
  if (!verified) throw new Error('registration failed');
  return { ...verified, accountId: account.id, name: 'Key', createdAt: new Date().toISOString(), lastUsedAt: null };
}

// --- Relying party and options ----------------------------------------------------------------------

test('relyingPartyFor: the issuer hostname is the RP ID, its origin the only origin', (t) => {
  t.deepEqual(relyingPartyFor('https://login.example.com/tenant/'), {
    id: 'login.example.com',
    name: 'Portcullis',
    origin: 'https://login.example.com',
  });
  t.deepEqual(relyingPartyFor('https://Login.Example.COM:8443'), {
    id: 'login.example.com',
    name: 'Portcullis',
    origin: 'https://login.example.com:8443',
  });
  t.deepEqual(relyingPartyFor('http://localhost:3000'), { id: 'localhost', name: 'Portcullis', origin: 'http://localhost:3000' });
  t.throws(() => relyingPartyFor('not a url'));
  t.throws(() => relyingPartyFor('ftp://example.com'), { instanceOf: TypeError });
});

test('registration options: RP, user handle, exclusions, no attestation, ES256 and RS256, UV and resident key preferred', async (t) => {
  const existing = [
    { id: 'AAECAwQ', transports: ['usb', 'made-up'] },
    { id: 'BQYHCAk', transports: [] },
  ];
  const options = await registrationOptions(rp, account, existing);
  t.deepEqual(options.rp, { name: 'Portcullis', id: 'login.example.com' });
  t.is(options.user.id, userHandleFor(account.id));
  t.is(Buffer.from(options.user.id, 'base64url').toString('utf8'), account.id, 'the user handle is the account id');
  t.is(options.user.name, 'ada@example.com');
  t.is(options.user.displayName, 'Ada Lovelace');
  t.deepEqual(
    options.excludeCredentials,
    [
      { id: 'AAECAwQ', transports: ['usb'], type: 'public-key' },
      { id: 'BQYHCAk', transports: [], type: 'public-key' },
    ],
    'existing credentials are excluded, with known transports only',
  );
  t.is(options.attestation, 'none');
  t.deepEqual(
    options.pubKeyCredParams.map((parameter) => parameter.alg),
    [-7, -257],
  );
  t.is(options.authenticatorSelection?.userVerification, 'preferred');
  t.is(options.authenticatorSelection?.residentKey, 'preferred');
  t.regex(options.challenge, /^[A-Za-z0-9_-]{32,}$/);
  t.not((await registrationOptions(rp, account, [])).challenge, options.challenge, 'a fresh challenge every time');

  const unnamed = await registrationOptions(rp, { ...account, name: null }, []);
  t.is(unnamed.user.displayName, 'ada@example.com');
  t.is(unnamed.user.id, options.user.id, 'the same handle for every registration of one account');
  t.deepEqual(unnamed.excludeCredentials, []);
});

test('authentication options: RP ID and the account’s credentials only', async (t) => {
  const options = await authenticationOptions(rp, [
    { id: 'AAECAwQ', transports: ['internal', 'hybrid'] },
    { id: 'BQYHCAk', transports: [] },
  ]);
  t.is(options.rpId, 'login.example.com');
  t.deepEqual(options.allowCredentials, [
    { id: 'AAECAwQ', transports: ['internal', 'hybrid'], type: 'public-key' },
    { id: 'BQYHCAk', transports: [], type: 'public-key' },
  ]);
  t.is(options.userVerification, 'preferred');
  t.regex(options.challenge, /^[A-Za-z0-9_-]{32,}$/);
  await t.throwsAsync(authenticationOptions(rp, []), { instanceOf: TypeError }, 'never "any passkey for this site"');
});

test('sign-in options: any discoverable credential of the RP, user verification required, a fresh challenge each time', (t) => {
  const options = discoverableAuthenticationOptions(rp);
  t.is(options.rpId, 'login.example.com');
  t.is(options.userVerification, 'required');
  t.is(options.allowCredentials, undefined, 'no account named: the browser offers the passkeys it holds');
  t.is(Buffer.from(options.challenge, 'base64url').length, 32);
  t.not(discoverableAuthenticationOptions(rp).challenge, options.challenge);
});

test('options JSON for the page cannot end the script element', (t) => {
  const text = passkeyOptionsJson({
    challenge: 'abc',
    rpId: 'x',
    allowCredentials: [],
    extensions: { appid: '</script><script>alert(1)</script>&\u2028' },
  });
  t.false(/[<>&\u2028]/.test(text));
  t.deepEqual(JSON.parse(text).extensions, { appid: '</script><script>alert(1)</script>&\u2028' });
});

// --- Registration ---------------------------------------------------------------------------------

test('a valid registration yields the credential to store', async (t) => {
  const options = await registrationOptions(rp, account, []);
  const authenticator = newAuthenticator();
  const response = register(authenticator, options.challenge);
  const verified = await verifyRegistration(rp, response, options.challenge);
  t.truthy(verified);
  t.is(verified!.id, b64u(authenticator.credentialId));
  t.deepEqual(Buffer.from(verified!.publicKey, 'base64url'), authenticator.coseKey);
  t.is(verified!.signCount, 0);
  t.deepEqual(verified!.transports, ['usb', 'nfc'], 'unknown transports are dropped');
  t.is(verified!.deviceType, 'singleDevice');
  t.false(verified!.backedUp);

  t.deepEqual(await verifyRegistration(rp, JSON.stringify(response), options.challenge), verified, 'the form field string works as well');
  t.is(credentialIdOf(JSON.stringify(response)), verified!.id);

  const synced = await verifyRegistration(rp, register(newAuthenticator({ synced: true }), options.challenge), options.challenge);
  t.is(synced?.deviceType, 'multiDevice');
  t.true(synced?.backedUp);
});

test('a registration for another challenge, origin, RP ID or ceremony is refused', async (t) => {
  const options = await registrationOptions(rp, account, []);
  const other = await registrationOptions(rp, account, []);
  const authenticator = newAuthenticator();
  const reasons: string[] = [];
  const log = (reason: string) => reasons.push(reason);
  t.is(await verifyRegistration(rp, register(authenticator, other.challenge), options.challenge, log), undefined, 'challenge');
  t.is(
    await verifyRegistration(rp, register(authenticator, options.challenge, { origin: 'https://evil.example' }), options.challenge, log),
    undefined,
    'origin',
  );
  t.is(
    await verifyRegistration(
      rp,
      register(authenticator, options.challenge, { origin: 'http://login.example.com' }),
      options.challenge,
      log,
    ),
    undefined,
    'http origin',
  );
  t.is(
    await verifyRegistration(rp, register(authenticator, options.challenge, { rpId: 'example.com' }), options.challenge, log),
    undefined,
    'RP ID',
  );
  t.is(
    await verifyRegistration(rp, register(authenticator, options.challenge, { type: 'webauthn.get' }), options.challenge, log),
    undefined,
    'type',
  );
  t.is(await verifyRegistration(rp, register(authenticator, options.challenge), '', log), undefined, 'no expected challenge');
  const renamed = { ...register(authenticator, options.challenge), id: 'c29tZXRoaW5nLWVsc2U', rawId: 'c29tZXRoaW5nLWVsc2U' };
  t.is(await verifyRegistration(rp, renamed, options.challenge, log), undefined, 'id other than the authenticator data’s');
  t.is(reasons.length, 7, 'every refusal is explained to the log');
  t.regex(reasons[0]!, /challenge/);
  t.regex(reasons[1]!, /origin/);
  t.regex(reasons[3]!, /RP ID/i);
});

// Garbage of every kind: the verifier answers undefined, never throws.
const GARBAGE: unknown[] = [
  undefined,
  null,
  42,
  true,
  '',
  'not json',
  '{"id":',
  '[]',
  'null',
  [],
  {},
  { id: 'AAAA' },
  { id: 'AAAA', rawId: 'AAAA', type: 'public-key' },
  { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: null },
  { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: 'x' },
  {
    id: 'AAAA',
    rawId: 'AAAA',
    type: 'public-key',
    response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
  },
  {
    id: 'AAAA',
    rawId: 'BBBB',
    type: 'public-key',
    response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
  },
  {
    id: 'AAAA',
    rawId: 'AAAA',
    type: 'password',
    response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
  },
  {
    id: 'AA AA',
    rawId: 'AA AA',
    type: 'public-key',
    response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
  },
  {
    id: 'AAAA',
    rawId: 'AAAA',
    type: 'public-key',
    response: { clientDataJSON: b64u('{"type":"webauthn.create"}'), attestationObject: 'oA', authenticatorData: 'AAAA', signature: 'AAAA' },
  },
  {
    id: 'AAAA',
    rawId: 'AAAA',
    type: 'public-key',
    response: { clientDataJSON: b64u('"just a string"'), attestationObject: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
  },
  {
    id: 'AAAA',
    rawId: 'AAAA',
    type: 'public-key',
    response: { clientDataJSON: { nested: true }, attestationObject: ['x'], authenticatorData: 1, signature: null },
  },
  { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA', transports: 'usb' } },
  JSON.parse('{"__proto__":{"polluted":true},"id":"AAAA","rawId":"AAAA","type":"public-key"}'),
  'A'.repeat(200_000),
  {
    id: 'A'.repeat(5000),
    rawId: 'A'.repeat(5000),
    type: 'public-key',
    response: { clientDataJSON: 'AAAA', attestationObject: 'AAAA', authenticatorData: 'AAAA', signature: 'AAAA' },
  },
];

test('registration: garbage is refused without throwing', async (t) => {
  const options = await registrationOptions(rp, account, []);
  for (const [index, input] of GARBAGE.entries()) {
    t.is(await verifyRegistration(rp, input, options.challenge), undefined, `garbage #${index}`);
    t.is(
      await verifyRegistration(rp, typeof input === 'string' ? input : (JSON.stringify(input) ?? 'undefined'), options.challenge),
      undefined,
      `garbage #${index} as a string`,
    );
  }
  // Well-formed base64url, but the decoded parts are not what they claim to be.
  const valid = register(newAuthenticator(), options.challenge);
  const broken = [
    { ...valid, response: { ...valid.response, attestationObject: b64u('not cbor at all') } },
    {
      ...valid,
      response: {
        ...valid.response,
        attestationObject: b64u(
          cbor(
            new Map<Cbor, Cbor>([
              ['fmt', 'none'],
              ['attStmt', new Map()],
              ['authData', Buffer.alloc(10)],
            ]),
          ),
        ),
      },
    },
    {
      ...valid,
      response: {
        ...valid.response,
        attestationObject: b64u(
          cbor(
            new Map<Cbor, Cbor>([
              ['fmt', 'packed'],
              ['attStmt', new Map()],
            ]),
          ),
        ),
      },
    },
    { ...valid, response: { ...valid.response, clientDataJSON: b64u('{"type":') } },
  ];
  for (const [index, input] of broken.entries())
    t.is(await verifyRegistration(rp, input, options.challenge), undefined, `broken #${index}`);
  t.is(({} as Record<string, unknown>).polluted, undefined, 'no prototype pollution');
});

// --- Authentication -------------------------------------------------------------------------------

test('a valid assertion yields the new counter and the UV flag', async (t) => {
  const authenticator = newAuthenticator({ counter: 7 });
  const credential = await registered(authenticator);
  t.is(credential.signCount, 7);
  const options = await authenticationOptions(rp, [credential]);
  const response = assert(authenticator, options.challenge);
  t.is(credentialIdOf(response), credential.id);
  t.deepEqual(await verifyAuthentication(rp, response, options.challenge, credential), { newSignCount: 8, userVerified: true });
  t.deepEqual(
    await verifyAuthentication(rp, JSON.stringify(response), options.challenge, credential),
    { newSignCount: 8, userVerified: true },
    'as the form string',
  );

  // Presence without verification (a security key without PIN) is accepted, and reported.
  const unverified = assert(authenticator, options.challenge, { flags: FLAG_UP, counter: 9 });
  t.deepEqual(await verifyAuthentication(rp, unverified, options.challenge, credential), { newSignCount: 9, userVerified: false });
  // Without a user handle (a non-discoverable credential) is fine too.
  t.truthy(await verifyAuthentication(rp, assert(authenticator, options.challenge, { userHandle: null }), options.challenge, credential));
  const nullHandle = assert(authenticator, options.challenge, { userHandle: null });
  t.truthy(
    await verifyAuthentication(
      rp,
      { ...nullHandle, response: { ...nullHandle.response, userHandle: null } },
      options.challenge,
      credential,
    ),
    'userHandle: null',
  );
});

test('a sign-in with the passkey alone also needs the user handle and user verification', async (t) => {
  const authenticator = newAuthenticator({ counter: 1 });
  const credential = await registered(authenticator);
  const { challenge } = discoverableAuthenticationOptions(rp);
  const both = { userHandle: true, userVerification: true };
  const reasons: string[] = [];
  const log = (reason: string) => reasons.push(reason);
  t.is(await verifyAuthentication(rp, assert(authenticator, challenge, { userHandle: null }), challenge, credential, log, both), undefined);
  t.is(await verifyAuthentication(rp, assert(authenticator, challenge, { flags: FLAG_UP }), challenge, credential, log, both), undefined);
  t.is(reasons.length, 2);
  t.deepEqual(await verifyAuthentication(rp, assert(authenticator, challenge), challenge, credential, log, both), {
    newSignCount: authenticator.counter,
    userVerified: true,
  });
  t.deepEqual(amrForPasskeySignIn(credential), ['hwk', 'user']);
  t.deepEqual(amrForPasskeySignIn({ deviceType: 'multiDevice' }), ['swk', 'user']);
});

test('an assertion for another challenge, origin, RP ID, ceremony, credential or account is refused', async (t) => {
  const authenticator = newAuthenticator();
  const credential = await registered(authenticator);
  const options = await authenticationOptions(rp, [credential]);
  const { challenge } = options;
  const other = await authenticationOptions(rp, [credential]);
  const reasons: string[] = [];
  const log = (reason: string) => reasons.push(reason);
  const refused = async (response: unknown, label: string, against: StoredCredential = credential) =>
    t.is(await verifyAuthentication(rp, response, challenge, against, log), undefined, label);

  await refused(assert(authenticator, other.challenge), 'challenge');
  await refused(assert(authenticator, challenge, { origin: 'https://login.example.com.evil.example' }), 'origin');
  await refused(assert(authenticator, challenge, { rpId: 'evil.example' }), 'RP ID');
  await refused(assert(authenticator, challenge, { type: 'webauthn.create' }), 'type');
  await refused(assert(authenticator, challenge, { flags: 0 }), 'no user presence');
  await refused(assert(authenticator, challenge, { userHandle: userHandleFor(randomUUID()) }), 'user handle of another account');

  // A response from one credential checked against another (same account): refused before crypto.
  const second = newAuthenticator();
  const secondCredential = await registered(second);
  await refused(assert(second, challenge), 'the response names another credential');
  // The same id but another key: the signature does not verify.
  await refused(assert(second, challenge), 'bad signature', { ...secondCredential, publicKey: credential.publicKey });
  const forged = assert(authenticator, challenge);
  await refused({ ...forged, response: { ...forged.response, signature: b64u(randomBytes(70)) } }, 'random signature');
  await refused({ ...forged, response: { ...forged.response, authenticatorData: b64u(Buffer.alloc(20)) } }, 'truncated authenticator data');
  await refused(assert(authenticator, challenge), '', { ...credential, publicKey: b64u('not a cose key') });
  t.true(reasons.length >= 11);
  t.is(await verifyAuthentication(rp, assert(authenticator, challenge), '', credential), undefined, 'no expected challenge');
});

test('an assertion whose counter does not advance is refused (cloned authenticator)', async (t) => {
  const authenticator = newAuthenticator({ counter: 41 });
  const credential = await registered(authenticator);
  const { challenge } = await authenticationOptions(rp, [credential]);
  t.deepEqual(
    await verifyAuthentication(rp, assert(authenticator, challenge, { counter: 42 }), challenge, { ...credential, signCount: 41 }),
    { newSignCount: 42, userVerified: true },
  );
  t.is(
    await verifyAuthentication(rp, assert(authenticator, challenge, { counter: 42 }), challenge, { ...credential, signCount: 42 }),
    undefined,
    'equal',
  );
  t.is(
    await verifyAuthentication(rp, assert(authenticator, challenge, { counter: 10 }), challenge, { ...credential, signCount: 42 }),
    undefined,
    'lower',
  );
  t.is(
    await verifyAuthentication(rp, assert(authenticator, challenge, { counter: 0 }), challenge, { ...credential, signCount: 42 }),
    undefined,
    'back to zero',
  );
  // Authenticators without a counter always report 0.
  t.deepEqual(
    await verifyAuthentication(rp, assert(authenticator, challenge, { counter: 0 }), challenge, { ...credential, signCount: 0 }),
    { newSignCount: 0, userVerified: true },
  );
});

test('authentication: garbage is refused without throwing', async (t) => {
  const authenticator = newAuthenticator();
  const credential = await registered(authenticator);
  const { challenge } = await authenticationOptions(rp, [credential]);
  for (const [index, input] of GARBAGE.entries()) {
    t.is(await verifyAuthentication(rp, input, challenge, credential), undefined, `garbage #${index}`);
    const sameId =
      input && typeof input === 'object' && !Array.isArray(input) ? { ...input, id: credential.id, rawId: credential.id } : input;
    t.is(await verifyAuthentication(rp, sameId, challenge, credential), undefined, `garbage #${index} naming the credential`);
  }
  t.is(credentialIdOf('garbage'), undefined);
  t.is(credentialIdOf({ id: 'has spaces' }), undefined);
  t.is(credentialIdOf(null), undefined);
});

// --- amr and names --------------------------------------------------------------------------------

test('amr: a device-bound credential is a hardware-secured key, a synced passkey a software-secured one', (t) => {
  t.is(amrForCredential({ deviceType: 'singleDevice' }), 'hwk');
  t.is(amrForCredential({ deviceType: 'multiDevice' }), 'swk');
});

test('passkey names are tidied and bounded', (t) => {
  t.is(normalizeCredentialName('  YubiKey\t5  NFC\n'), 'YubiKey 5 NFC');
  t.is(normalizeCredentialName('Laptop\u0000\u0007key'), 'Laptop key');
  t.is(normalizeCredentialName('🔑'.repeat(64)), '🔑'.repeat(64), 'counted in characters, not UTF-16 units');
  t.is(normalizeCredentialName('x'.repeat(65)), undefined);
  t.is(normalizeCredentialName('   '), undefined);
  t.is(normalizeCredentialName(undefined), undefined);
  t.is(normalizeCredentialName(['a']), undefined);
});
