// Client secrets: generated here (256 bits), shown once, stored only as HMAC-SHA-256 under a
// server key. A keyed hash is fast enough for every token request and useless if the table leaks.
import { createHmac, hash, randomBytes, type KeyObject } from 'node:crypto';
import { constantTimeEqual } from './constant-time.ts';

const PREFIX = 'hmac-sha256:';

export function generateClientSecret(): string {
  return randomBytes(32).toString('base64url');
}

export function hashClientSecret(key: KeyObject, secret: string): string {
  return PREFIX + createHmac('sha256', key).update(secret, 'utf8').digest('base64url');
}

/**
 * Whether `presented` is any of the active secrets (the current one and, during a rotation, the one
 * it replaced). Every hash is compared, each in constant time, whichever matches first: the time
 * taken says nothing about which secret matched, nor how much of one.
 */
export function verifyAnyClientSecret(key: KeyObject, presented: string, activeHashes: readonly string[]): boolean {
  return matchesAny(hashClientSecret(key, presented), activeHashes);
}

function matchesAny(computed: string, activeHashes: readonly string[]): boolean {
  let matched = false;
  for (const stored of activeHashes) matched = constantTimeEqual(computed, stored) || matched;
  return matched;
}

export type ClientSecretVerifier = (presented: string, activeHashes: readonly string[]) => boolean;

/** Secrets remembered at most; past it the memory starts over (a deployment has far fewer clients). */
const REMEMBERED_SECRETS = 10_000;

/**
 * verifyAnyClientSecret for the token path, with a memory of the secrets that verified. A service
 * presents the same secret on every token request, and inside a busy server one HMAC costs ~20 µs
 * (OpenSSL 3 sets up a MAC context per call, with cold caches between requests; ~2 µs in a tight
 * loop), a plain one-shot SHA-256 a fraction of that. So the memory maps SHA-256(presented) to
 * HMAC(presented): the HMAC of a given secret under the process's key never changes, and every call
 * still compares it, in constant time, with the hashes active NOW, so a rotated, revoked or deleted
 * secret fails at once, exactly as without the memory. Only secrets that matched are remembered:
 * wrong guesses are hashed in full every time, as before, and cannot fill or churn it; that a
 * remembered secret verifies faster tells its presenter nothing (it authenticates them anyway). The
 * memory holds no secret, only digests of 256-bit random ones (generateClientSecret).
 */
export function createClientSecretVerifier(key: KeyObject): ClientSecretVerifier {
  const verified = new Map<string, string>();
  return (presented, activeHashes) => {
    const digest = hash('sha256', presented, 'base64url');
    const remembered = verified.get(digest);
    const computed = remembered ?? hashClientSecret(key, presented);
    const matched = matchesAny(computed, activeHashes);
    if (matched && remembered === undefined) {
      if (verified.size >= REMEMBERED_SECRETS) verified.clear();
      verified.set(digest, computed);
    }
    return matched;
  };
}
