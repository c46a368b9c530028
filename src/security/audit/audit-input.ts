// Checks and normalises an audit event on its way in (AuditTrail.record throws what this throws).
//
// - A developer mistake is refused loudly: an unknown outcome or actor type, a malformed type, and
//   above all a `details` key that looks like a credential (password, secret, token, code, OTP,
//   assertion, code verifier, at any depth), so that a test of the feature fails.
// - Values that come from the outside (user agent, ids, detail strings) are made storable instead:
//   NUL characters removed (PostgreSQL text and jsonb refuse them), lone UTF-16 surrogates replaced
//   (they would not survive UTF-8), strings capped at MAX_STRING characters, arrays at MAX_ITEMS.
//   What is hashed is exactly what is stored, so the chain verifies after the round trip.
import type { AuditEventInput } from './audit-event.ts';
import type { AuditEventFields } from './audit-chain.ts';

export const MAX_STRING = 512;
export const MAX_ITEMS = 100;
const MAX_DEPTH = 6;
const MAX_KEYS = 64;
const MAX_KEY_LENGTH = 64;

const TYPE_PATTERN = /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*$/;
const MAX_TYPE_LENGTH = 100;
const ACTOR_TYPES = new Set(['user', 'client', 'admin', 'system']);
const TARGET_TYPES = new Set(['user', 'client', 'resource', 'key', 'grant', 'session', 'token']);

/** A mistake in what a feature tried to record. */
export class AuditInputError extends TypeError {
  override readonly name = 'AuditInputError';
}

// Keys are compared lower-cased without `_`, `-`, `.` and spaces: `client_secret`, `clientSecret`
// and `Client-Secret` are one key. Refused: any key containing password / secret / assertion /
// code verifier / private key, ending in token(s) / otp / cookie / authorization, or naming a code
// (`code`, `userCode`, `recoveryCode` …). Facts about credentials stay possible under other names:
// `reasonCode`, `errorCode`, `tokenType`, `grantType`, `scopes`, `mfaMethod`, `credentialChanged`.
const CONTAINS = ['password', 'passwd', 'passphrase', 'secret', 'assertion', 'codeverifier', 'privatekey'];
const ENDS_WITH = ['token', 'tokens', 'otp', 'cookie', 'authorization'];
const CODE_KINDS = [
  '',
  'auth',
  'authorization',
  'authz',
  'user',
  'device',
  'recovery',
  'backup',
  'otp',
  'totp',
  'verification',
  'onetime',
  'mfa',
];
const CODES = new Set(CODE_KINDS.flatMap((kind) => [`${kind}code`, `${kind}codes`]));

/** Whether a details key names a credential (and is therefore refused). */
export function isCredentialKey(key: string): boolean {
  const normal = key.toLowerCase().replace(/[\s_.-]/g, '');
  return (
    CONTAINS.some((word) => normal.includes(word)) ||
    ENDS_WITH.some((word) => normal.endsWith(word)) ||
    CODES.has(normal) ||
    normal === 'jwt' ||
    normal === 'pin'
  );
}

/** NUL removed, capped at `max` characters, lone surrogates replaced. */
export function cleanString(value: string, max = MAX_STRING): string {
  let text = value.includes('\u0000') ? value.replaceAll('\u0000', '') : value;
  if (text.length > max) text = text.slice(0, max);
  return text.isWellFormed() ? text : text.toWellFormed();
}

function optionalString(value: unknown, field: string, max = MAX_STRING): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'string') throw new AuditInputError(`audit event ${field} must be a string`);
  const text = cleanString(value, max);
  return text === '' ? null : text;
}

function party(value: unknown, field: 'actor' | 'target', types: Set<string>): { type: string | null; id: string | null } {
  if (value === undefined || value === null) return { type: null, id: null };
  if (typeof value !== 'object') throw new AuditInputError(`audit event ${field} must be an object { type, id }`);
  const { type, id } = value as { type?: unknown; id?: unknown };
  if (typeof type !== 'string' || !types.has(type))
    throw new AuditInputError(`audit event ${field}.type must be one of ${[...types].join(', ')}`);
  const cleanId = optionalString(id, `${field}.id`);
  if (cleanId === null) throw new AuditInputError(`audit event ${field}.id must be a non-empty string`);
  return { type, id: cleanId };
}

function sanitizeValue(value: unknown, path: string, depth: number): unknown {
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value === 'string') return cleanString(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new AuditInputError(`audit details ${path} must be a finite number`);
    return Object.is(value, -0) ? 0 : value;
  }
  if (value instanceof Date) {
    if (Number.isNaN(value.getTime())) throw new AuditInputError(`audit details ${path} is an invalid date`);
    return value.toISOString();
  }
  if (typeof value !== 'object') throw new AuditInputError(`audit details ${path}: a ${typeof value} cannot be recorded`);
  if (depth >= MAX_DEPTH) throw new AuditInputError(`audit details nest deeper than ${MAX_DEPTH} levels at ${path}`);
  if (Array.isArray(value)) {
    return value
      .slice(0, MAX_ITEMS)
      .map((item, index) => (item === undefined ? null : sanitizeValue(item, `${path}[${index}]`, depth + 1)));
  }
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null)
    throw new AuditInputError(`audit details ${path} must be a plain object, array or JSON value`);
  return sanitizeObject(value as Record<string, unknown>, path, depth + 1);
}

function sanitizeObject(object: Record<string, unknown>, path: string, depth: number): Record<string, unknown> {
  const keys = Object.keys(object);
  if (keys.length > MAX_KEYS) throw new AuditInputError(`audit details ${path} has more than ${MAX_KEYS} keys`);
  const result: Record<string, unknown> = {};
  for (const key of keys) {
    const where = path === '' ? key : `${path}.${key}`;
    if (isCredentialKey(key)) {
      throw new AuditInputError(
        `audit details must never carry credentials: refused the key "${where}" (record a fact about it under another name)`,
      );
    }
    const cleanKey = cleanString(key, MAX_KEY_LENGTH);
    if (cleanKey !== key) throw new AuditInputError(`audit details key "${where}" is too long or not plain text`);
    const value = object[key];
    if (value === undefined) continue;
    result[key] = sanitizeValue(value, where, depth);
  }
  return result;
}

/** Checks `details` and returns the storable copy (throws AuditInputError on a credential-like key). */
export function sanitizeDetails(details: unknown): Record<string, unknown> | null {
  if (details === undefined || details === null) return null;
  if (typeof details !== 'object' || Array.isArray(details)) throw new AuditInputError('audit details must be a plain object');
  const proto = Object.getPrototypeOf(details) as unknown;
  if (proto !== Object.prototype && proto !== null) throw new AuditInputError('audit details must be a plain object');
  return sanitizeObject(details as Record<string, unknown>, '', 0);
}

/** Validates `input` and returns the fields to store (without seq and hashes). */
export function normalizeAuditEvent(input: AuditEventInput, id: string, occurredAt: Date): AuditEventFields {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- events also come from JSON
  if (input === null || typeof input !== 'object') throw new AuditInputError('an audit event must be an object');
  if (typeof input.type !== 'string' || input.type.length > MAX_TYPE_LENGTH || !TYPE_PATTERN.test(input.type)) {
    throw new AuditInputError(
      `audit event type must be a dotted lower-case name such as "login.succeeded", got ${JSON.stringify(input.type)}`,
    );
  }
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- checked at run time, as above
  if (input.outcome !== 'success' && input.outcome !== 'failure') {
    throw new AuditInputError(`audit event outcome must be "success" or "failure", got ${JSON.stringify(input.outcome)}`);
  }
  if (Number.isNaN(occurredAt.getTime())) throw new AuditInputError('audit event time is invalid');
  const actor = party(input.actor, 'actor', ACTOR_TYPES);
  const target = party(input.target, 'target', TARGET_TYPES);
  return {
    id,
    occurredAt,
    type: input.type,
    outcome: input.outcome,
    actorType: actor.type,
    actorId: actor.id,
    targetType: target.type,
    targetId: target.id,
    clientId: optionalString(input.clientId, 'clientId'),
    ip: optionalString(input.ip, 'ip', 64),
    userAgent: optionalString(input.userAgent, 'userAgent'),
    requestId: optionalString(input.requestId, 'requestId', 128),
    details: sanitizeDetails(input.details),
  };
}
