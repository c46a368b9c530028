// A WebAuthn authenticator in software, as an attacker (or a test) builds one without any browser:
// a P-256 key, attestation "none", and the registration and assertion responses
// @simplewebauthn/browser would send, for any challenge and relying party; `change` alters exactly
// one input, so that each check of the verifier can be tested on its own.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

export const b64u = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

// --- A minimal CBOR encoder (RFC 8949): just what an attestation object and a COSE key need --------
export type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;
function cborHead(major: number, value: number): Buffer {
  if (value < 24) return Buffer.from([(major << 5) | value]);
  if (value < 0x100) return Buffer.from([(major << 5) | 24, value]);
  if (value < 0x10000) return Buffer.from([(major << 5) | 25, value >> 8, value & 0xff]);
  const head = Buffer.alloc(5);
  head[0] = (major << 5) | 26;
  head.writeUInt32BE(value, 1);
  return head;
}
export function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([cborHead(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  return Buffer.concat([cborHead(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)])]);
}

export const FLAG_UP = 0x01;
export const FLAG_UV = 0x04;
const FLAG_BE = 0x08;
const FLAG_BS = 0x10;
const FLAG_AT = 0x40;

export interface SoftwareAuthenticator {
  credentialId: Buffer;
  privateKey: KeyObject;
  coseKey: Buffer;
  counter: number;
  flags: number;
}

/** `synced`: backup eligible and backed up (a synced passkey); `counter`: where its counter starts. */
export function newSoftwareAuthenticator(options: { synced?: boolean; counter?: number } = {}): SoftwareAuthenticator {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  // COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y
  const coseKey = cbor(
    new Map<Cbor, Cbor>([
      [1, 2],
      [3, -7],
      [-1, 1],
      [-2, Buffer.from(jwk.x!, 'base64url')],
      [-3, Buffer.from(jwk.y!, 'base64url')],
    ]),
  );
  return {
    credentialId: randomBytes(32),
    privateKey,
    coseKey,
    counter: options.counter ?? 0,
    flags: FLAG_UP | FLAG_UV | (options.synced ? FLAG_BE | FLAG_BS : 0),
  };
}

/** The relying party: its RP ID and its origin (Portcullis: the issuer's hostname and origin). */
export interface RelyingPartyLike {
  id: string;
  origin: string;
}

/** The relying party of an issuer URL, as Portcullis derives it. */
export const relyingPartyOf = (issuer: string): RelyingPartyLike => ({ id: new URL(issuer).hostname, origin: new URL(issuer).origin });

export function authenticatorData(rpId: string, flags: number, counter: number, attested?: SoftwareAuthenticator): Buffer {
  const header = Buffer.alloc(37);
  sha256(rpId).copy(header, 0);
  header[32] = flags;
  header.writeUInt32BE(counter, 33);
  if (!attested) return header;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(attested.credentialId.length);
  return Buffer.concat([header, Buffer.alloc(16), length, attested.credentialId, attested.coseKey]);
}

const clientData = (type: string, challenge: string, origin: string) =>
  b64u(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

/** A registration response (attestation "none") for `challenge`, as @simplewebauthn/browser serialises it. */
export function registrationResponse(
  authenticator: SoftwareAuthenticator,
  challenge: string,
  rp: RelyingPartyLike,
  change: { origin?: string; rpId?: string; type?: string } = {},
) {
  const authData = authenticatorData(change.rpId ?? rp.id, authenticator.flags | FLAG_AT, authenticator.counter, authenticator);
  const attestationObject = cbor(
    new Map<Cbor, Cbor>([
      ['fmt', 'none'],
      ['attStmt', new Map()],
      ['authData', authData],
    ]),
  );
  const id = b64u(authenticator.credentialId);
  return {
    id,
    rawId: id,
    type: 'public-key',
    authenticatorAttachment: 'cross-platform',
    clientExtensionResults: { credProps: { rk: true } },
    response: {
      clientDataJSON: clientData(change.type ?? 'webauthn.create', challenge, change.origin ?? rp.origin),
      attestationObject: b64u(attestationObject),
      transports: ['usb', 'nfc', 'telepathy'],
    },
  };
}

/**
 * An assertion for `challenge`; the authenticator's counter advances (unless it is a counter-less
 * one, at 0) or is set to `change.counter`. `userHandle` is sent only when given.
 */
export function assertionResponse(
  authenticator: SoftwareAuthenticator,
  challenge: string,
  rp: RelyingPartyLike,
  change: { origin?: string; rpId?: string; type?: string; counter?: number; userHandle?: string; flags?: number } = {},
) {
  authenticator.counter = change.counter ?? authenticator.counter + (authenticator.counter > 0 ? 1 : 0);
  const authData = authenticatorData(change.rpId ?? rp.id, change.flags ?? authenticator.flags, authenticator.counter);
  const clientDataJSON = clientData(change.type ?? 'webauthn.get', challenge, change.origin ?? rp.origin);
  const signature = sign('sha256', Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]), authenticator.privateKey);
  const id = b64u(authenticator.credentialId);
  return {
    id,
    rawId: id,
    type: 'public-key',
    clientExtensionResults: {},
    response: {
      clientDataJSON,
      authenticatorData: b64u(authData),
      signature: b64u(signature),
      ...(change.userHandle === undefined ? {} : { userHandle: change.userHandle }),
    },
  };
}

/** The challenge of the passkey options a page carries (`<script type="application/json" id="passkey-options">`). */
export function passkeyChallengeOf(html: string): string {
  const json = /<script type="application\/json" id="passkey-options">([^<]*)<\/script>/.exec(html)?.[1];
  if (!json) throw new Error('no passkey options on the page');
  return (JSON.parse(json) as { challenge: string }).challenge;
}
