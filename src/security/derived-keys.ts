// Every server-side key is derived from the one root SECRET_KEY with HKDF-SHA-256, one label each,
// so a leak of one derived key reveals neither the root nor its siblings.
import { createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

export interface DerivedKeys {
  /** AES-256-GCM key for data at rest (signing keys). */
  readonly encryptionKey: Buffer;
  /** HMAC-SHA-256 key for client secrets (a KeyObject: a raw Buffer key costs ~10× per HMAC). */
  readonly clientSecretKey: KeyObject;
  /** HMAC-SHA-256 key of the audit trail's hash chain: without it nobody can rewrite the chain. */
  readonly auditKey: KeyObject;
  /** HMAC-SHA-256 key naming a login identifier in the lockout counters (no email stored there). */
  readonly loginSubjectKey: KeyObject;
  /** HMAC-SHA-256 key of device cookies (a browser that signed in to an account before). */
  readonly deviceCookieKey: KeyObject;
  /** HMAC-SHA-256 key of stored recovery codes. */
  readonly recoveryCodeKey: KeyObject;
  /** AES-256-GCM key of the short-lived state a sign-in carries between its steps (a cookie). */
  readonly signInStateKey: Buffer;
  /** Keys for signed cookies (Keygrip). */
  readonly cookieKeys: readonly string[];
}

const derive = (secret: string, label: string) =>
  Buffer.from(hkdfSync('sha256', Buffer.from(secret, 'utf8'), Buffer.alloc(0), `portcullis ${label} v1`, 32));

export function deriveKeys(secretKey: string): DerivedKeys {
  return Object.freeze({
    encryptionKey: derive(secretKey, 'encryption at rest'),
    clientSecretKey: createSecretKey(derive(secretKey, 'client secret hmac')),
    auditKey: createSecretKey(derive(secretKey, 'audit chain')),
    loginSubjectKey: createSecretKey(derive(secretKey, 'login subject')),
    deviceCookieKey: createSecretKey(derive(secretKey, 'device cookie')),
    recoveryCodeKey: createSecretKey(derive(secretKey, 'recovery code hmac')),
    signInStateKey: derive(secretKey, 'sign-in state'),
    cookieKeys: Object.freeze([derive(secretKey, 'cookie signing').toString('base64url')]),
  });
}
