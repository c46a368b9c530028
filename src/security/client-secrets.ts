// Client secrets: generated here (256 bits), shown once, stored only as HMAC-SHA-256 under a
// server key. A keyed hash is fast enough for every token request and useless if the table leaks.
import { createHmac, randomBytes, type KeyObject } from 'node:crypto';
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
  const hash = hashClientSecret(key, presented);
  let matched = false;
  for (const stored of activeHashes) matched = constantTimeEqual(hash, stored) || matched;
  return matched;
}
