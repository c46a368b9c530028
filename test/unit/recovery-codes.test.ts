// Recovery codes: count, format, entropy, normalisation and the keyed hash.
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import test from 'ava';
import { generateRecoveryCodes, hashRecoveryCode, normalizeRecoveryCode, RECOVERY_CODE_COUNT } from '../../src/accounts/recovery-codes.ts';

const SYMBOLS = '0123456789abcdefghjkmnpqrstvwxyz';
const FORMAT = /^[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}-[0-9a-hjkmnp-tv-z]{4}$/;

test('a set is 10 distinct codes of the form xxxx-xxxx-xxxx', (t) => {
  t.is(RECOVERY_CODE_COUNT, 10);
  const codes = generateRecoveryCodes();
  t.is(codes.length, 10);
  t.is(new Set(codes).size, 10);
  for (const code of codes) t.regex(code, FORMAT);
});

test('codes carry at least 60 random bits: 12 symbols of 32, all used, none favoured', (t) => {
  t.is(SYMBOLS.length, 32);
  t.true(12 * Math.log2(SYMBOLS.length) >= 60);
  t.false(/[ilou]/.test(SYMBOLS), 'no symbol is mistaken for 1 or 0');

  const counts = new Map<string, number>();
  const seen = new Set<string>();
  const sets = 400;
  for (let i = 0; i < sets; i++) {
    for (const code of generateRecoveryCodes()) {
      seen.add(code);
      for (const char of code.replaceAll('-', '')) counts.set(char, (counts.get(char) ?? 0) + 1);
    }
  }
  t.is(seen.size, sets * 10, 'no repeats across sets');
  t.deepEqual([...counts.keys()].sort().join(''), SYMBOLS, 'every symbol occurs, nothing else does');
  // 48,000 symbols, 1,500 expected each. Chi-square with 31 degrees of freedom exceeds 90 by chance
  // with probability ~1e-7; a generator favouring a quarter of the symbols by an eighth lands near 250.
  const total = sets * 10 * 12;
  const expected = total / 32;
  const chiSquare = [...counts.values()].reduce((sum, count) => sum + (count - expected) ** 2 / expected, 0);
  t.true(chiSquare < 90, `chi-square ${chiSquare.toFixed(1)}`);
});

test('normalisation: case, spaces and dashes do not matter', (t) => {
  t.is(normalizeRecoveryCode('ABCD EFGH-JKMN'), 'abcdefghjkmn');
  t.is(normalizeRecoveryCode('  abcd-efgh-jkmn  '), 'abcdefghjkmn');
  t.is(normalizeRecoveryCode('abcd\tefgh\njkmn'), 'abcdefghjkmn');
  t.is(normalizeRecoveryCode('abcd–efgh—jkmn'), 'abcdefghjkmn', 'en and em dashes (phone autocorrect)');
  const [code] = generateRecoveryCodes();
  t.is(normalizeRecoveryCode(code!), code!.replaceAll('-', ''));
  t.is(normalizeRecoveryCode(code!.toUpperCase().replaceAll('-', ' ')), normalizeRecoveryCode(code!));
});

test('normalisation: letters that cannot occur are read as the digits they look like', (t) => {
  t.is(normalizeRecoveryCode('OoIi-Ll00-1111'), '001111001111');
});

test('the hash is HMAC-SHA-256 of the normalised code, base64url, and depends on the key', (t) => {
  const key = createSecretKey(randomBytes(32));
  const other = createSecretKey(randomBytes(32));
  const [code] = generateRecoveryCodes();
  const hash = hashRecoveryCode(key, code!);
  t.regex(hash, /^[A-Za-z0-9_-]{43}$/);
  t.is(hash, createHmac('sha256', key).update(code!.replaceAll('-', '')).digest('base64url'));
  t.is(hashRecoveryCode(key, ` ${code!.toUpperCase().replaceAll('-', ' ')} `), hash, 'as typed, the same code');
  t.not(hashRecoveryCode(other, code!), hash, 'another key, another hash');
  const [second] = generateRecoveryCodes();
  t.not(hashRecoveryCode(key, second!), hash);
});
