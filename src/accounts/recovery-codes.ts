// Single-use recovery codes: the way in when the authenticator is lost. Shown once, stored only as a
// keyed hash (HMAC-SHA-256 with a server key), so a copy of the table alone cannot be tried offline.
//
// Format: 12 characters of Crockford's base32 alphabet in three groups, `xxxx-xxxx-xxxx`. 32 symbols
// × 12 = 60 random bits, far beyond what online guessing (rate-limited, locked out) can reach. The
// alphabet has no i, l, o or u, so nothing reads as 1 or 0 by mistake; and because those letters
// cannot occur, normalisation maps them to the digit they are mistaken for (as Crockford prescribes):
// a user who types "o" for "0" or "l" for "1" still gets in, and no code space is lost.
import { createHmac, randomBytes, type KeyObject } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;

const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';
const LENGTH = 12;
const GROUP = 4;

function generateRecoveryCode(): string {
  // 256 is a multiple of 32, so the low 5 bits of a random byte pick a symbol without bias.
  const symbols = [...randomBytes(LENGTH)].map((byte) => ALPHABET[byte & 31]).join('');
  const groups: string[] = [];
  for (let at = 0; at < LENGTH; at += GROUP) groups.push(symbols.slice(at, at + GROUP));
  return groups.join('-');
}

/** A fresh set of RECOVERY_CODE_COUNT distinct codes, formatted for display (`xxxx-xxxx-xxxx`). */
export function generateRecoveryCodes(): string[] {
  // A repeat is astronomically unlikely, but the table's primary key would refuse the set, so make sure.
  const codes = new Set<string>();
  while (codes.size < RECOVERY_CODE_COUNT) codes.add(generateRecoveryCode());
  return [...codes];
}

/** The canonical form of a typed code: lower case, no whitespace or dashes, o → 0, i/l → 1. */
export function normalizeRecoveryCode(input: string): string {
  return (
    input
      .toLowerCase()
      // Phones like to turn a typed hyphen into a dash or minus sign: those go too.
      .replace(/[\s\-\u2010-\u2015\u2212]+/g, '')
      .replaceAll('o', '0')
      .replace(/[il]/g, '1')
  );
}

/** What is stored and looked up: HMAC-SHA-256 of the normalised code, base64url. */
export function hashRecoveryCode(key: KeyObject, code: string): string {
  return createHmac('sha256', key).update(normalizeRecoveryCode(code), 'utf8').digest('base64url');
}
