// Time-based one-time passwords (RFC 6238) as authenticator apps implement them: HMAC-SHA-1,
// 6 digits, 30-second steps. Other parameters exist in the RFC but many apps silently ignore them
// and then show codes that never match, so these are fixed rather than configurable.
// This module only computes and checks codes; making a code single-use is the storage's job
// (`useTotpStep` in src/storage/mfa.ts moves the account's last used step forward atomically).
import { generateSecret, verifySync } from 'otplib';
import QRCode from 'qrcode';
import { decrypt, encrypt } from '../security/encryption.ts';

export const TOTP_STEP_SECONDS = 30;

/**
 * How many steps either side of the current one are accepted: 1, i.e. three codes are valid at any
 * moment. Phones and servers disagree about the time by a few seconds, and a user needs some seconds
 * to type a code that may roll over meanwhile, so the exact step alone would refuse honest users.
 * Every extra step accepted widens an online guesser's chances (3 in a million per try instead of
 * 1) and keeps an observed code usable for longer; one step (±30 s) is the usual balance.
 */
export const TOTP_WINDOW_STEPS = 1;

const DIGITS = 6;
/** 20 bytes = 160 bits, the length RFC 4226 recommends (and the HMAC-SHA-1 block's natural key size). */
const SECRET_BYTES = 20;

/** A fresh random TOTP secret, base32 (RFC 4648, upper case, no padding): 32 characters, 160 bits. */
export function generateTotpSecret(): string {
  return generateSecret({ length: SECRET_BYTES });
}

/**
 * The otpauth:// key URI an authenticator app imports (by QR code or by typing the secret).
 * The label is `issuer:account`; the issuer is repeated as a parameter because apps prefer that one.
 * algorithm, digits and period are spelled out although they are the defaults, so no app guesses.
 */
export function totpUri(secret: string, label: { issuer: string; account: string }): string {
  // A colon inside the label would be read as the issuer/account separator, even percent-encoded;
  // the label is only displayed, so a colon there becomes a space. The issuer parameter keeps it.
  const labelPart = (text: string) => encodeURIComponent(text.replaceAll(':', ' ').trim());
  // encodeURIComponent rather than URLSearchParams: apps show a '+' literally instead of a space.
  const params = [
    ['secret', secret],
    ['issuer', label.issuer],
    ['algorithm', 'SHA1'],
    ['digits', String(DIGITS)],
    ['period', String(TOTP_STEP_SECONDS)],
  ].map(([name, value]) => `${name}=${encodeURIComponent(value!)}`);
  return `otpauth://totp/${labelPart(label.issuer)}:${labelPart(label.account)}?${params.join('&')}`;
}

/**
 * The URI as a QR code in SVG markup, to be inlined into a page: no script and no data: URL, so the
 * page's Content-Security-Policy needs no exception. Medium error correction keeps the code small
 * enough to scan from a screen; the default quiet zone (4 modules) is kept because scanners need it.
 */
export async function totpQrSvg(uri: string): Promise<string> {
  return QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M' });
}

/**
 * The time step (floor(unix seconds / 30)) whose code `code` is, if it is the code of the current
 * step at `nowMs` or of one step either side; otherwise undefined. Spaces are ignored ("123 456" as
 * apps display it); anything but exactly 6 digits is refused before any HMAC is computed.
 * The caller must then claim the step with `useTotpStep` (or `confirmTotp`): only that makes the
 * code single-use.
 */
export function totpStepOf(secret: string, code: string, nowMs: number): number | undefined {
  const token = code.replace(/\s+/g, '');
  if (!/^[0-9]{6}$/.test(token)) return undefined;
  // otplib computes the code of every step in the window and compares each with the token in
  // constant time (XOR accumulation over equal-length strings). The tolerance is in seconds:
  // ±30 s around `epoch` reaches exactly the steps current−1 … current+1, whatever the second.
  const result = verifySync({
    secret,
    token,
    algorithm: 'sha1',
    digits: DIGITS,
    period: TOTP_STEP_SECONDS,
    epoch: Math.floor(nowMs / 1000),
    epochTolerance: TOTP_STEP_SECONDS * TOTP_WINDOW_STEPS,
  });
  // The functional verify is typed for TOTP and HOTP alike; only a TOTP result carries `timeStep`.
  return result.valid && 'timeStep' in result ? result.timeStep : undefined;
}

// The secret is stored encrypted (AES-256-GCM). The associated data names the account, so a sealed
// secret copied into another account's row fails to decrypt instead of becoming that account's factor.
const totpAssociatedData = (accountId: string) => `totp:${accountId}`;

export const encryptTotpSecret = (key: Buffer, accountId: string, secret: string): string =>
  encrypt(key, secret, totpAssociatedData(accountId));

/** The plain secret; throws if `sealed` was not encrypted for this account with this key. */
export const decryptTotpSecret = (key: Buffer, accountId: string, sealed: string): string =>
  decrypt(key, sealed, totpAssociatedData(accountId));
