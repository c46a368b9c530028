// TOTP: secrets, key URIs, QR codes and the acceptance window. Expected codes come from a small
// RFC 6238 reference computation here (node:crypto), never from the code under test; every time is
// a fixed `nowMs`, so nothing depends on the real clock.
import { createHmac, randomBytes } from 'node:crypto';
import test from 'ava';
import {
  decryptTotpSecret,
  encryptTotpSecret,
  generateTotpSecret,
  TOTP_STEP_SECONDS,
  TOTP_WINDOW_STEPS,
  totpQrSvg,
  totpStepOf,
  totpUri,
} from '../../src/accounts/totp.ts';

const BASE32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(text: string): Buffer {
  let bits = '';
  for (const char of text.replace(/=+$/, '')) {
    const value = BASE32.indexOf(char);
    if (value < 0) throw new Error(`not base32: ${char}`);
    bits += value.toString(2).padStart(5, '0');
  }
  const bytes: number[] = [];
  for (let at = 0; at + 8 <= bits.length; at += 8) bytes.push(Number.parseInt(bits.slice(at, at + 8), 2));
  return Buffer.from(bytes);
}

function base32Encode(bytes: Buffer): string {
  const bits = [...bytes].map((byte) => byte.toString(2).padStart(8, '0')).join('');
  let text = '';
  for (let at = 0; at < bits.length; at += 5) text += BASE32[Number.parseInt(bits.slice(at, at + 5).padEnd(5, '0'), 2)]!;
  return text;
}

/** RFC 4226 HOTP with HMAC-SHA-1 (RFC 6238's TOTP is HOTP of the time step). */
function hotp(key: Buffer, counter: number, digits: number): string {
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(message).digest();
  const offset = mac[mac.length - 1]! & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

const codeAt = (secret: string, step: number) => hotp(base32Decode(secret), step, 6);

// RFC 6238 appendix B key for SHA-1: the ASCII bytes "12345678901234567890".
const RFC_KEY = Buffer.from('12345678901234567890', 'ascii');
const RFC_SECRET = base32Encode(RFC_KEY);

test('the reference computation reproduces the RFC 6238 test vectors', (t) => {
  t.is(RFC_SECRET, 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ');
  t.is(hotp(RFC_KEY, Math.floor(59 / 30), 8), '94287082');
  t.is(hotp(RFC_KEY, Math.floor(1111111109 / 30), 8), '07081804');
  t.is(hotp(RFC_KEY, Math.floor(1234567890 / 30), 8), '89005924');
});

test('the window is one step of 30 seconds either side', (t) => {
  t.is(TOTP_STEP_SECONDS, 30);
  t.is(TOTP_WINDOW_STEPS, 1);
});

test('a secret is base32 of at least 160 random bits', (t) => {
  const secrets = new Set<string>();
  for (let i = 0; i < 20; i++) {
    const secret = generateTotpSecret();
    t.regex(secret, /^[A-Z2-7]+$/);
    t.true(base32Decode(secret).length >= 20, `${secret} decodes to ${base32Decode(secret).length} bytes`);
    t.true(secret.length * 5 >= 160);
    secrets.add(secret);
  }
  t.is(secrets.size, 20, 'secrets do not repeat');
});

test('the key URI names issuer and account and spells out SHA1, 6 digits, 30 s', (t) => {
  const secret = generateTotpSecret();
  const uri = new URL(totpUri(secret, { issuer: 'Acme Co', account: 'ada+mfa@example.com' }));
  t.is(uri.protocol, 'otpauth:');
  t.is(uri.host, 'totp');
  t.is(decodeURIComponent(uri.pathname), '/Acme Co:ada+mfa@example.com');
  t.is(uri.searchParams.get('secret'), secret);
  t.is(uri.searchParams.get('issuer'), 'Acme Co');
  t.is(uri.searchParams.get('algorithm'), 'SHA1');
  t.is(uri.searchParams.get('digits'), '6');
  t.is(uri.searchParams.get('period'), '30');
  const raw = totpUri(secret, { issuer: 'Acme Co', account: 'ada+mfa@example.com' });
  t.true(raw.startsWith('otpauth://totp/Acme%20Co:ada%2Bmfa%40example.com?'), raw);
  t.false(raw.includes('+'), 'spaces and pluses are percent-encoded (apps show + literally)');
});

test('a colon inside the label cannot fake the issuer/account separator', (t) => {
  const uri = totpUri(generateTotpSecret(), { issuer: 'Acme: Staging', account: 'evil:user@example.com' });
  const label = decodeURIComponent(new URL(uri).pathname.slice(1));
  t.is(label.split(':').length, 2, label);
  t.is(new URL(uri).searchParams.get('issuer'), 'Acme: Staging');
});

test('the QR code is inline SVG markup without script or data: URLs', async (t) => {
  const svg = await totpQrSvg(totpUri(generateTotpSecret(), { issuer: 'Acme', account: 'ada@example.com' }));
  t.true(svg.startsWith('<svg'), svg.slice(0, 40));
  t.true(svg.trimEnd().endsWith('</svg>'));
  t.false(/<script|data:|javascript:/i.test(svg));
});

// A fixed moment in the middle of a step, and the step it falls in.
const NOW_MS = 1_700_000_012_345;
const STEP = Math.floor(NOW_MS / 1000 / 30);

test('the code of the current step and of one step either side is accepted, returning its step', (t) => {
  for (const offset of [-1, 0, 1]) {
    t.is(totpStepOf(RFC_SECRET, codeAt(RFC_SECRET, STEP + offset), NOW_MS), STEP + offset, `offset ${offset}`);
  }
});

test('codes two steps back or ahead are refused', (t) => {
  // Precondition of a meaningful test: those codes differ from the three accepted ones.
  const accepted = [-1, 0, 1].map((offset) => codeAt(RFC_SECRET, STEP + offset));
  for (const offset of [-3, -2, 2, 3]) {
    const code = codeAt(RFC_SECRET, STEP + offset);
    t.false(accepted.includes(code));
    t.is(totpStepOf(RFC_SECRET, code, NOW_MS), undefined, `offset ${offset}`);
  }
});

test('the window follows step boundaries exactly, to the millisecond', (t) => {
  const boundaryMs = (STEP + 1) * 30_000; // first millisecond of step STEP+1
  const lastOfStep = boundaryMs - 1;
  t.is(totpStepOf(RFC_SECRET, codeAt(RFC_SECRET, STEP - 1), lastOfStep), STEP - 1);
  t.is(totpStepOf(RFC_SECRET, codeAt(RFC_SECRET, STEP + 1), lastOfStep), STEP + 1);
  t.is(totpStepOf(RFC_SECRET, codeAt(RFC_SECRET, STEP + 2), lastOfStep), undefined);
  t.is(totpStepOf(RFC_SECRET, codeAt(RFC_SECRET, STEP - 1), boundaryMs), undefined, 'one millisecond later it is two steps back');
  t.is(totpStepOf(RFC_SECRET, codeAt(RFC_SECRET, STEP + 2), boundaryMs), STEP + 2);
});

test('the RFC 6238 vectors, truncated to 6 digits, are accepted at their times', (t) => {
  t.is(totpStepOf(RFC_SECRET, '287082', 59_000), 1);
  t.is(totpStepOf(RFC_SECRET, '081804', 1_111_111_109_000), 37_037_036);
  t.is(totpStepOf(RFC_SECRET, '005924', 1_234_567_890_000), 41_152_263);
});

test('spaces are ignored; anything but six digits is refused', (t) => {
  const code = codeAt(RFC_SECRET, STEP);
  t.is(totpStepOf(RFC_SECRET, ` ${code.slice(0, 3)} ${code.slice(3)} `, NOW_MS), STEP);
  t.is(totpStepOf(RFC_SECRET, `${code}\n`, NOW_MS), STEP);
  for (const bad of [
    '',
    '12345',
    `${code}0`,
    `0${code}`,
    code.replace(/./, 'a'),
    `${code.slice(0, 5)}-`,
    '１２３４５６',
    `+${code.slice(1)}`,
  ]) {
    t.is(totpStepOf(RFC_SECRET, bad, NOW_MS), undefined, JSON.stringify(bad));
  }
  // A 7-digit code whose last six digits are the right code is still refused.
  t.is(totpStepOf(RFC_SECRET, `9${code}`, NOW_MS), undefined);
});

test('a wrong code is refused', (t) => {
  const accepted = new Set([-1, 0, 1].map((offset) => codeAt(RFC_SECRET, STEP + offset)));
  let wrong = 0;
  while (accepted.has(String(wrong).padStart(6, '0'))) wrong++;
  t.is(totpStepOf(RFC_SECRET, String(wrong).padStart(6, '0'), NOW_MS), undefined);
  // Another secret's code is just as wrong (the RFC key and another fixed key, so nothing is left to chance).
  const other = base32Encode(Buffer.from('abcdefghijabcdefghij', 'ascii'));
  t.false(accepted.has(codeAt(other, STEP)));
  t.is(totpStepOf(RFC_SECRET, codeAt(other, STEP), NOW_MS), undefined);
});

test('a generated secret works with the reference implementation (what an app computes)', (t) => {
  const secret = generateTotpSecret();
  const step = totpStepOf(secret, codeAt(secret, STEP), NOW_MS);
  t.not(step, undefined);
  // Should two steps share a code (one in a million), the earliest is returned: its code is the same.
  t.is(codeAt(secret, step!), codeAt(secret, STEP));
});

test('a sealed secret opens only for the account it was sealed for', (t) => {
  const key = randomBytes(32);
  const secret = generateTotpSecret();
  const sealed = encryptTotpSecret(key, 'account-a', secret);
  t.false(sealed.includes(secret));
  t.is(decryptTotpSecret(key, 'account-a', sealed), secret);
  t.throws(() => decryptTotpSecret(key, 'account-b', sealed));
  t.throws(() => decryptTotpSecret(randomBytes(32), 'account-a', sealed));
});
