// Password hashing with argon2id (@node-rs/argon2). Parameters at or above OWASP's minimum
// (m=19 MiB, t=2, p=1); a stored hash with weaker parameters is reported for rehash at login.
import { hash, verify, type Algorithm } from '@node-rs/argon2';

// @node-rs/argon2 exports `Algorithm` as an ambient const enum; its Argon2id member is 2.
// eslint-disable-next-line @typescript-eslint/no-unsafe-enum-assignment -- a const enum cannot be imported under isolatedModules
const ARGON2ID = 2 as Algorithm;

export interface Argon2Parameters {
  memoryCost: number; // KiB
  timeCost: number;
  parallelism: number;
}

export const DEFAULT_ARGON2: Argon2Parameters = Object.freeze({ memoryCost: 19_456, timeCost: 2, parallelism: 1 });

/** Unicode passwords compare equal however they were typed (NFKC), and are never truncated. */
export const normalizePassword = (password: string) => password.normalize('NFKC');

export function hashPassword(password: string, parameters: Argon2Parameters = DEFAULT_ARGON2): Promise<string> {
  return hash(normalizePassword(password), { algorithm: ARGON2ID, ...parameters });
}

export async function verifyPassword(storedHash: string, password: string): Promise<boolean> {
  try {
    return await verify(storedHash, normalizePassword(password));
  } catch {
    return false; // a malformed stored hash never authenticates
  }
}

/** True when the stored hash is not argon2id or uses weaker parameters than `target`. */
export function needsRehash(storedHash: string, target: Argon2Parameters = DEFAULT_ARGON2): boolean {
  const match = /^\$argon2id\$v=\d+\$m=(\d+),t=(\d+),p=(\d+)\$/.exec(storedHash);
  if (!match) return true;
  const [, m, t, p] = match.map(Number);
  return m! < target.memoryCost || t! < target.timeCost || p! < target.parallelism;
}

const dummyHashes = new Map<string, Promise<string>>();

/**
 * A hash to verify against when the account does not exist, so an unknown email costs the same
 * time as a wrong password (no account enumeration by timing). One per parameter set: a dummy
 * hashed with other parameters would take another time to verify.
 */
export function dummyPasswordHash(parameters: Argon2Parameters = DEFAULT_ARGON2): Promise<string> {
  const key = `${parameters.memoryCost},${parameters.timeCost},${parameters.parallelism}`;
  let dummy = dummyHashes.get(key);
  if (!dummy) dummyHashes.set(key, (dummy = hashPassword('portcullis-dummy-password-for-timing-equalisation', parameters)));
  return dummy;
}
