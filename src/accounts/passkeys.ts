// Passkeys (WebAuthn) as a second factor: ceremony options and response verification, bound to the
// relying party that the issuer URL names. No state is kept here: the caller keeps the challenge of
// the options it sent (options.challenge) and hands it back for verification, and stores what a
// verified registration yields (see src/storage/webauthn-credentials.ts).
//
// Errors: everything that arrives from the browser is untrusted. `verifyRegistration` and
// `verifyAuthentication` never throw for it — a malformed shape, a string that is not JSON, wrong
// origin, wrong RP ID, wrong challenge, wrong ceremony type, a credential other than the one given,
// a bad signature, a counter that went backwards: all resolve to `undefined`, which the caller
// answers with a 400 (or a "try again" page). The optional `onRejected` callback receives the
// reason, for the log only (it may quote request values; never show it to the user). Only caller
// bugs throw: `relyingPartyFor` with an issuer that is not an http(s) URL, `authenticationOptions`
// without any credential.
import { randomBytes } from 'node:crypto';
import type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON } from '@simplewebauthn/server';
import { z } from 'zod';
import type { CredentialDeviceType, StoredCredential } from '../storage/webauthn-credentials.ts';

export type { PublicKeyCredentialCreationOptionsJSON, PublicKeyCredentialRequestOptionsJSON };

// Loaded when the first ceremony runs, not at start: @simplewebauthn/server brings @peculiar/x509
// and its ASN.1 stack, a large share of the server's start time and memory that most deployments
// (no passkeys enrolled) never use.
const simpleWebAuthn = () => import('@simplewebauthn/server');

export interface RelyingParty {
  /** The RP ID: the issuer's hostname. Passkeys are bound to it, so changing it orphans them all. */
  id: string;
  name: string;
  /** The only origin ceremonies may come from: the issuer's. */
  origin: string;
}

/** What a verified registration yields, ready for `insertCredential` (plus account id and name). */
export interface VerifiedRegistration {
  id: string;
  /** COSE public key, base64url. */
  publicKey: string;
  signCount: number;
  transports: string[];
  deviceType: CredentialDeviceType;
  backedUp: boolean;
}

export interface VerifiedAuthentication {
  /** Store it with `recordCredentialUse`, and refuse the sign-in if that returns false. */
  newSignCount: number;
  /** Whether the authenticator verified the user (PIN, biometrics) rather than only their presence. */
  userVerified: boolean;
}

export type RejectionListener = (reason: string) => void;

// COSE algorithm identifiers (IANA "COSE Algorithms"): ES256 (ECDSA P-256 / SHA-256), which every
// passkey provider and security key supports, and RS256 for Windows Hello's TPM-backed keys. The
// same list is enforced when a registration is verified: the options are only a request.
const ES256 = -7;
const RS256 = -257;
const ALGORITHMS = [ES256, RS256];

// Both ceremonies ask for user verification without requiring it: a passkey here is the second
// factor after a password, so a security key without a PIN is still a valid possession factor.
// Signing in with a passkey alone is another matter: see `discoverableAuthenticationOptions`.
const USER_VERIFICATION = 'preferred';

/** What an assertion must show beyond a valid signature (the sign-in with a passkey alone asks for both). */
export interface AssertionRequirements {
  /** The UV flag: the authenticator checked a PIN or biometric, not only someone's presence. */
  userVerification?: boolean;
  /** A user handle (WebAuthn §7.2 step 6: a ceremony that did not name the user must get one). */
  userHandle?: boolean;
}

/** The relying party of an issuer: its hostname as RP ID, its origin as the only accepted origin. */
export function relyingPartyFor(issuer: string): RelyingParty {
  const url = new URL(issuer);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new TypeError(`the issuer must be an http(s) URL: ${issuer}`);
  // Browsers refuse IP addresses as RP IDs (WebAuthn requires a domain), so an issuer such as
  // http://127.0.0.1:3000 yields a relying party whose ceremonies every browser rejects; that is a
  // deployment matter (use a name, e.g. localhost in development), not something to fail over here.
  return { id: url.hostname, name: 'Portcullis', origin: url.origin };
}

/**
 * The WebAuthn user handle of an account, base64url: the UTF-8 bytes of the account id (a random
 * UUID: opaque, no personal data, 36 of the 64 bytes allowed). It must be the same for every
 * registration of one account, so that an authenticator storing a discoverable credential replaces
 * its earlier one for this account rather than piling up entries.
 */
export function userHandleFor(accountId: string): string {
  return Buffer.from(accountId, 'utf8').toString('base64url');
}

const descriptorOf = (credential: Pick<StoredCredential, 'id' | 'transports'>) => ({
  id: credential.id,
  transports: knownTransports(credential.transports),
});

/** Options for `navigator.credentials.create()`; keep `options.challenge` to verify the answer. */
export async function registrationOptions(
  rp: RelyingParty,
  account: { id: string; email: string; name: string | null },
  existing: Pick<StoredCredential, 'id' | 'transports'>[],
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  return (await simpleWebAuthn()).generateRegistrationOptions({
    rpName: rp.name,
    rpID: rp.id,
    userID: new TextEncoder().encode(account.id),
    userName: account.email,
    userDisplayName: account.name ?? account.email,
    // "none": the server does not judge authenticator models, and asking for attestation would make
    // browsers show a privacy prompt for data nobody checks.
    attestationType: 'none',
    // An authenticator already registered to this account is refused by the browser itself.
    excludeCredentials: existing.map(descriptorOf),
    // "preferred": a discoverable credential holding the account's user handle (userHandleFor), so the
    // passkey can later sign in on its own from the sign-in page; an authenticator out of room for
    // one (an old security key) still registers a non-discoverable one, which works as a second factor.
    authenticatorSelection: { residentKey: 'preferred', userVerification: USER_VERIFICATION },
    supportedAlgorithmIDs: ALGORITHMS,
  });
}

/** Options for `navigator.credentials.get()` limited to the account's credentials. */
export async function authenticationOptions(
  rp: RelyingParty,
  credentials: Pick<StoredCredential, 'id' | 'transports'>[],
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  // An empty allowCredentials would mean "any discoverable credential for this RP": the browser
  // would offer other people's passkeys on a shared device. An account without passkeys must not be
  // offered this factor at all, so asking is a caller bug.
  if (credentials.length === 0) throw new TypeError('authenticationOptions needs at least one of the account’s credentials');
  return (await simpleWebAuthn()).generateAuthenticationOptions({
    rpID: rp.id,
    allowCredentials: credentials.map(descriptorOf),
    userVerification: USER_VERIFICATION,
  });
}

/** How long the browser may wait for the user (autofill waits while the sign-in page is open). */
const SIGN_IN_TIMEOUT_MS = 5 * 60_000;

/**
 * Options for signing in with a passkey alone (a discoverable credential, usernameless): no
 * allowCredentials, so the browser offers whichever passkeys it holds for this relying party, and
 * user verification required, because the passkey is then both factors at once (something held,
 * unlocked by something known or something one is). Keep `options.challenge` to verify the answer.
 *
 * Built here rather than by the library: these options are just a fresh 32-byte challenge, and the
 * sign-in page shows them to every visitor, so asking the library would load it (see
 * `simpleWebAuthn` above) in every deployment at its first sign-in, passkeys or not.
 */
export function discoverableAuthenticationOptions(rp: RelyingParty): PublicKeyCredentialRequestOptionsJSON {
  return { rpId: rp.id, challenge: randomBytes(32).toString('base64url'), timeout: SIGN_IN_TIMEOUT_MS, userVerification: 'required' };
}

// --- The browser's answer, checked for shape before the library sees it --------------------------
// @simplewebauthn/server trusts its input's types (it dereferences nested fields and decodes
// strings as it goes), so a request body of the wrong shape could otherwise surface as a TypeError
// from deep inside it. Sizes are bounded too: a form body is at most 16 KiB anyway.

const MAX_RESPONSE_CHARS = 64 * 1024;
const base64url = (maxChars: number) =>
  z
    .string()
    .min(1)
    .max(maxChars)
    .regex(/^[A-Za-z0-9_-]+$/);
// WebAuthn: a credential id is at most 1023 bytes, 1364 base64url characters.
const credentialId = base64url(1364);

const AUTHENTICATOR_TRANSPORTS = new Set(['ble', 'cable', 'hybrid', 'internal', 'nfc', 'smart-card', 'usb']);
/** Transports are only hints for the browser; unknown values (future or forged) are dropped. */
function knownTransports(transports: readonly string[] | undefined): string[] {
  return [...new Set((transports ?? []).filter((transport) => AUTHENTICATOR_TRANSPORTS.has(transport)))];
}

const commonFields = {
  id: credentialId,
  rawId: credentialId,
  type: z.literal('public-key'),
  authenticatorAttachment: z.enum(['platform', 'cross-platform']).optional(),
  clientExtensionResults: z.record(z.string(), z.unknown()).default({}),
};

const registrationResponseShape = z.object({
  ...commonFields,
  response: z.object({
    clientDataJSON: base64url(8 * 1024),
    attestationObject: base64url(48 * 1024),
    authenticatorData: base64url(16 * 1024).optional(),
    transports: z.array(z.string().max(32)).max(16).optional(),
    publicKeyAlgorithm: z.number().int().optional(),
    publicKey: base64url(8 * 1024).optional(),
  }),
});

const authenticationResponseShape = z.object({
  ...commonFields,
  response: z.object({
    clientDataJSON: base64url(8 * 1024),
    authenticatorData: base64url(16 * 1024),
    signature: base64url(2 * 1024),
    // Some browsers send null rather than leaving it out for a non-discoverable credential.
    userHandle: base64url(128).nullish(),
  }),
});

/** The browser's JSON, as the form's string or already parsed; undefined unless it is an object. */
function parseJson(input: unknown): unknown {
  if (typeof input !== 'string') return input;
  if (input.length > MAX_RESPONSE_CHARS) return undefined;
  try {
    return JSON.parse(input);
  } catch {
    return undefined;
  }
}

/**
 * The credential id a ceremony response names (form string or parsed object), for looking the
 * credential up before `verifyAuthentication`; undefined when the input has no plausible id.
 */
export function credentialIdOf(response: unknown): string | undefined {
  const parsed = z.object({ id: credentialId }).safeParse(parseJson(response));
  return parsed.success ? parsed.data.id : undefined;
}

const reasonOf = (error: unknown) => (error instanceof Error ? error.message : String(error));

/**
 * Verifies the browser's answer to `registrationOptions`. `response` is the `credential` form field
 * (the JSON string) or its parsed value. Resolves to the credential to store, or undefined when it is
 * not a valid registration for this relying party and challenge (see the top of this file).
 */
export async function verifyRegistration(
  rp: RelyingParty,
  response: unknown,
  expectedChallenge: string,
  onRejected?: RejectionListener,
): Promise<VerifiedRegistration | undefined> {
  const reject = (reason: string) => {
    onRejected?.(reason);
    return undefined;
  };
  if (typeof expectedChallenge !== 'string' || expectedChallenge === '') {
    reject('no expected challenge');
    return;
  }
  const parsed = registrationResponseShape.safeParse(parseJson(response));
  if (!parsed.success) {
    reject(`malformed registration response: ${z.prettifyError(parsed.error)}`);
    return;
  }
  const body = parsed.data;
  const { verifyRegistrationResponse } = await simpleWebAuthn(); // outside the try: a broken install is a server error, not a rejected passkey
  try {
    const result = await verifyRegistrationResponse({
      response: body,
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      expectedType: 'webauthn.create',
      requireUserPresence: true,
      requireUserVerification: false,
      supportedAlgorithmIDs: ALGORITHMS,
    });
    if (!result.verified) {
      reject('registration not verified');
      return;
    }
    const { credential, credentialDeviceType, credentialBackedUp } = result.registrationInfo;
    // The id the browser reported must be the one the authenticator put in the signed data.
    if (credential.id !== body.id) {
      reject('credential id differs from the authenticator data');
      return;
    }
    return {
      id: credential.id,
      publicKey: Buffer.from(credential.publicKey).toString('base64url'),
      signCount: credential.counter,
      transports: knownTransports(body.response.transports),
      deviceType: credentialDeviceType,
      backedUp: credentialBackedUp,
    };
  } catch (error) {
    reject(reasonOf(error));
    return;
  }
}

/**
 * Verifies the browser's answer to `authenticationOptions` against `credential`, the stored
 * credential of the account signing in whose id the response names (`credentialIdOf`). Resolves to
 * the new counter and the UV flag, or undefined when it is not a valid assertion by that credential
 * for this relying party and challenge. The counter is checked against `credential.signCount`
 * here and again atomically by `recordCredentialUse`, which the caller must call next.
 */
export async function verifyAuthentication(
  rp: RelyingParty,
  response: unknown,
  expectedChallenge: string,
  credential: StoredCredential,
  onRejected?: RejectionListener,
  requirements: AssertionRequirements = {},
): Promise<VerifiedAuthentication | undefined> {
  const reject = (reason: string) => {
    onRejected?.(reason);
    return undefined;
  };
  if (typeof expectedChallenge !== 'string' || expectedChallenge === '') {
    reject('no expected challenge');
    return;
  }
  const parsed = authenticationResponseShape.safeParse(parseJson(response));
  if (!parsed.success) {
    reject(`malformed authentication response: ${z.prettifyError(parsed.error)}`);
    return;
  }
  const body = parsed.data;
  if (body.id !== credential.id) {
    reject('the response is for another credential');
    return;
  }
  if (requirements.userHandle && !body.response.userHandle) {
    reject('no user handle');
    return;
  }
  // WebAuthn §7.2: a user handle, when the authenticator returns one, must be the credential owner's.
  if (body.response.userHandle && body.response.userHandle !== userHandleFor(credential.accountId)) {
    reject('user handle of another account');
    return;
  }
  const { verifyAuthenticationResponse } = await simpleWebAuthn(); // outside the try, as above
  try {
    const result = await verifyAuthenticationResponse({
      response: {
        ...body,
        response: { ...body.response, userHandle: body.response.userHandle ?? undefined },
      },
      expectedChallenge,
      expectedOrigin: rp.origin,
      expectedRPID: rp.id,
      expectedType: 'webauthn.get',
      credential: {
        id: credential.id,
        publicKey: new Uint8Array(Buffer.from(credential.publicKey, 'base64url')),
        counter: credential.signCount,
        transports: credential.transports,
      },
      requireUserVerification: requirements.userVerification === true,
    });
    if (!result.verified) {
      reject('signature not verified');
      return;
    }
    return { newSignCount: result.authenticationInfo.newCounter, userVerified: result.authenticationInfo.userVerified };
  } catch (error) {
    reject(reasonOf(error));
    return;
  }
}

/**
 * The RFC 8176 `amr` value for a sign-in with this credential. "hwk" is proof of possession of a
 * hardware-secured key, "swk" of a software-secured one. A device-bound credential (WebAuthn's
 * backup-eligible flag clear: "singleDevice") never leaves the authenticator it was made in — a
 * security key, a TPM, a phone's secure element — so it counts as hardware-secured. A synced passkey
 * ("multiDevice") is by design copied out of any one device into a sync service (a platform
 * keychain, a password manager) and protected there by that service's software and account
 * controls, so whoever holds the account can use the key without the original hardware: it counts
 * as software-secured. With attestation "none" the device-bound claim is the authenticator's own
 * word, not an attested fact; "hwk" therefore claims no more than the flag does.
 */
export function amrForCredential(credential: Pick<StoredCredential, 'deviceType'>): 'hwk' | 'swk' {
  return credential.deviceType === 'singleDevice' ? 'hwk' : 'swk';
}

/**
 * The `amr` of a sign-in with a passkey alone, verified with user verification: the key (as
 * `amrForCredential` classes it) and `user`, the authenticator's own check of the person (PIN or
 * biometric, WebAuthn's UV flag). Two kinds of proof, hence the multi-factor acr.
 */
export function amrForPasskeySignIn(credential: Pick<StoredCredential, 'deviceType'>): string[] {
  return [amrForCredential(credential), 'user'];
}

/**
 * A user-chosen passkey name, trimmed, whitespace runs (and control characters) folded into one
 * space; undefined when nothing is left or it is longer than 64 characters.
 */
export function normalizeCredentialName(input: unknown): string | undefined {
  if (typeof input !== 'string') return undefined;
  const name = input.replace(/[\s\u0000-\u001f\u007f-\u009f]+/g, ' ').trim();
  return name.length > 0 && [...name].length <= 64 ? name : undefined;
}

/**
 * Ceremony options as the text of `<script type="application/json" id="passkey-options">`: JSON
 * with `<`, `>` and `&` escaped, so that no value can end the script element or open a comment,
 * and U+2028/U+2029 escaped for old parsers. Output it unescaped by the template engine (the
 * escaping here is the one that is right for this context; HTML-escaping would corrupt the JSON).
 */
export function passkeyOptionsJson(options: PublicKeyCredentialCreationOptionsJSON | PublicKeyCredentialRequestOptionsJSON): string {
  return JSON.stringify(options).replace(
    /[<>&\u2028\u2029]/g,
    (character) => `\\u${character.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
}
