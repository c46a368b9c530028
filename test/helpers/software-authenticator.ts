// A WebAuthn authenticator in software, as an attacker (or a test) builds one without any browser:
// a P-256 key, attestation "none", and the registration and assertion responses
// @simplewebauthn/browser would send, for any challenge and relying party.
import { createHash, generateKeyPairSync, randomBytes, sign, type KeyObject } from 'node:crypto';

const b64u = (bytes: Uint8Array | string) => Buffer.from(bytes).toString('base64url');
const sha256 = (data: Uint8Array | string) => createHash('sha256').update(data).digest();

// --- A minimal CBOR encoder (RFC 8949): just what an attestation object and a COSE key need --------
type Cbor = number | string | Uint8Array | Map<Cbor, Cbor>;
function cborHead(major: number, value: number): Buffer {
  if (value < 24) return Buffer.from([(major << 5) | value]);
  if (value < 0x100) return Buffer.from([(major << 5) | 24, value]);
  if (value < 0x10000) return Buffer.from([(major << 5) | 25, value >> 8, value & 0xff]);
  const head = Buffer.alloc(5);
  head[0] = (major << 5) | 26;
  head.writeUInt32BE(value, 1);
  return head;
}
function cbor(value: Cbor): Buffer {
  if (typeof value === 'number') return value >= 0 ? cborHead(0, value) : cborHead(1, -1 - value);
  if (typeof value === 'string') return Buffer.concat([cborHead(3, Buffer.byteLength(value)), Buffer.from(value)]);
  if (value instanceof Uint8Array) return Buffer.concat([cborHead(2, value.length), value]);
  return Buffer.concat([cborHead(5, value.size), ...[...value].flatMap(([key, item]) => [cbor(key), cbor(item)])]);
}

const FLAG_UP = 0x01;
const FLAG_UV = 0x04;
const FLAG_AT = 0x40;

export interface SoftwareAuthenticator {
  credentialId: Buffer;
  privateKey: KeyObject;
  coseKey: Buffer;
  counter: number;
}

export function newSoftwareAuthenticator(): SoftwareAuthenticator {
  const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const jwk = publicKey.export({ format: 'jwk' });
  // COSE_Key (RFC 9053): kty EC2, alg ES256, crv P-256, x, y
  const coseKey = cbor(new Map<Cbor, Cbor>([[1, 2], [3, -7], [-1, 1], [-2, Buffer.from(jwk.x!, 'base64url')], [-3, Buffer.from(jwk.y!, 'base64url')]]));
  return { credentialId: randomBytes(32), privateKey, coseKey, counter: 0 };
}

/** The relying party of an issuer URL, as Portcullis derives it: its hostname and its origin. */
const relyingParty = (issuer: string) => ({ id: new URL(issuer).hostname, origin: new URL(issuer).origin });

function authenticatorData(rpId: string, flags: number, counter: number, attested?: SoftwareAuthenticator): Buffer {
  const header = Buffer.alloc(37);
  sha256(rpId).copy(header, 0);
  header[32] = flags;
  header.writeUInt32BE(counter, 33);
  if (!attested) return header;
  const length = Buffer.alloc(2);
  length.writeUInt16BE(attested.credentialId.length);
  return Buffer.concat([header, Buffer.alloc(16), length, attested.credentialId, attested.coseKey]);
}

const clientData = (type: string, challenge: string, origin: string) => b64u(JSON.stringify({ type, challenge, origin, crossOrigin: false }));

/** A registration response (attestation "none") for `challenge`, as the `credential` form field. */
export function registrationResponse(authenticator: SoftwareAuthenticator, challenge: string, issuer: string): string {
  const rp = relyingParty(issuer);
  const authData = authenticatorData(rp.id, FLAG_UP | FLAG_UV | FLAG_AT, authenticator.counter, authenticator);
  const attestationObject = cbor(new Map<Cbor, Cbor>([['fmt', 'none'], ['attStmt', new Map()], ['authData', authData]]));
  const id = b64u(authenticator.credentialId);
  return JSON.stringify({
    id, rawId: id, type: 'public-key', clientExtensionResults: {},
    response: { clientDataJSON: clientData('webauthn.create', challenge, rp.origin), attestationObject: b64u(attestationObject), transports: ['usb'] },
  });
}

/** An assertion for `challenge` (the counter advances), as the `credential` form field. */
export function assertionResponse(authenticator: SoftwareAuthenticator, challenge: string, issuer: string): string {
  const rp = relyingParty(issuer);
  authenticator.counter += 1;
  const authData = authenticatorData(rp.id, FLAG_UP | FLAG_UV, authenticator.counter);
  const clientDataJSON = clientData('webauthn.get', challenge, rp.origin);
  const signature = sign('sha256', Buffer.concat([authData, sha256(Buffer.from(clientDataJSON, 'base64url'))]), authenticator.privateKey);
  const id = b64u(authenticator.credentialId);
  return JSON.stringify({ id, rawId: id, type: 'public-key', clientExtensionResults: {}, response: { clientDataJSON, authenticatorData: b64u(authData), signature: b64u(signature) } });
}

/** The challenge of the passkey options a page carries (`<script type="application/json" id="passkey-options">`). */
export function passkeyChallengeOf(html: string): string {
  const json = /<script type="application\/json" id="passkey-options">([^<]*)<\/script>/.exec(html)?.[1];
  if (!json) throw new Error('no passkey options on the page');
  return (JSON.parse(json) as { challenge: string }).challenge;
}
