// The signatures of signed cookies (Koa's `app.keys`, which oidc-provider's cookies use too), in
// Keygrip's exact format — HMAC-SHA1 of `name=value`, base64url without padding — so cookies signed
// before and after are interchangeable, with the newest key signing and every key verifying.
//
// Why not Keygrip itself: it compares through tsscmp, which HMACs both strings again under a fresh
// random Buffer key, and on Node 24 an HMAC under a Buffer key costs ~24 µs against ~5 µs under a
// KeyObject. One verification took ~90 µs, and a login verifies the interaction cookie on the way in
// (the login benchmark showed it as 8% of the event loop's CPU). Here every key is a KeyObject made
// once, and the comparison is node:crypto's timingSafeEqual over the two signatures' bytes.
import { createHmac, createSecretKey, timingSafeEqual, type KeyObject } from 'node:crypto';

export interface CookieSigner {
  /** The signature of `data` under the newest key. */
  sign(data: string): string;
  verify(data: string, digest: string): boolean;
  /** The position of the key that made `digest`, or -1 when none did. */
  index(data: string, digest: string): number;
}

/** HMAC-SHA1 in base64url: 27 characters. */
const SIGNATURE_LENGTH = 27;

export function createCookieSigner(keys: readonly string[]): CookieSigner {
  if (keys.length === 0) throw new Error('signed cookies need at least one key');
  const secrets: KeyObject[] = keys.map((key) => createSecretKey(Buffer.from(key, 'utf8')));
  const signWith = (secret: KeyObject, data: string) => createHmac('sha1', secret).update(data).digest('base64url');

  function index(data: string, digest: string): number {
    // a signature of another length cannot match; that length is public anyway
    if (typeof digest !== 'string' || digest.length !== SIGNATURE_LENGTH) return -1;
    const offered = Buffer.from(digest, 'latin1');
    // every key is tried, so the time taken does not tell which key matched
    let found = -1;
    secrets.forEach((secret, position) => {
      if (timingSafeEqual(Buffer.from(signWith(secret, data), 'latin1'), offered) && found < 0) found = position;
    });
    return found;
  }

  return {
    sign: (data) => signWith(secrets[0]!, data),
    verify: (data, digest) => index(data, digest) >= 0,
    index,
  };
}
