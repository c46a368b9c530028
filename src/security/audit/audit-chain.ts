// The audit trail's hash chain, as pure functions.
//
//   hash(n) = HMAC-SHA-256(auditKey, hash(n-1) || canonical(event n))     hash(0) = GENESIS_HASH
//
// `canonical` is one JSON array with the fields in a fixed order and `details` serialised with
// sorted keys (RFC 8785 style), so the hash does not depend on how a driver or jsonb orders keys.
// The HMAC is keyed with a key derived from SECRET_KEY: whoever can write to the database but does
// not hold SECRET_KEY can neither recompute an edited event's hash nor forge the retention anchor.
import { createHmac, type KeyObject } from 'node:crypto';
import type { StoredAuditEvent } from '../../storage/audit-events.ts';

/** `prev_hash` of the very first event (seq 1). */
export const GENESIS_HASH = '0'.repeat(64);

/** Bumped if the canonical form ever changes (it is part of every hashed string). */
const CANONICAL_VERSION = 'portcullis.audit.v1';
const ANCHOR_VERSION = 'portcullis.audit.anchor.v1';

/** An event with its place in the chain: the row as the store holds it (storage/audit-events.ts). */
export type ChainedAuditEvent = StoredAuditEvent;

/** One event as stored, without its chain fields. Strings are already sanitised (audit-input.ts). */
export type AuditEventFields = Omit<StoredAuditEvent, 'seq' | 'prevHash' | 'hash'>;

/** The point the remaining chain starts from after retention pruning. */
export interface AuditAnchor {
  seq: number;
  hash: string;
  prunedAt: Date;
}

/** JSON with object keys sorted by UTF-16 code units at every depth (the RFC 8785 ordering). */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    if (typeof value === 'number' && !Number.isFinite(value)) throw new TypeError('canonicalJson: numbers must be finite');
    if (value === undefined || typeof value === 'function' || typeof value === 'symbol' || typeof value === 'bigint') {
      throw new TypeError(`canonicalJson: a ${typeof value} is not JSON`);
    }
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`).join(',')}}`;
}

/** The canonical string of an event at position `seq` (the seq is hashed: renumbering is detected). */
export function canonicalEvent(seq: number, event: AuditEventFields): string {
  if (!Number.isSafeInteger(seq) || seq < 1) throw new RangeError(`audit seq must be a positive integer, got ${seq}`);
  return JSON.stringify([
    CANONICAL_VERSION,
    String(seq),
    event.id,
    event.occurredAt.toISOString(),
    event.type,
    event.outcome,
    event.actorType,
    event.actorId,
    event.targetType,
    event.targetId,
    event.clientId,
    event.ip,
    event.userAgent,
    event.requestId,
    event.details === null ? null : canonicalJson(event.details),
  ]);
}

/** hash(n) = HMAC-SHA-256(key, prevHash || canonical(event n)), lower-case hex. */
export function chainHash(key: KeyObject, prevHash: string, seq: number, event: AuditEventFields): string {
  return createHmac('sha256', key).update(prevHash, 'utf8').update(canonicalEvent(seq, event), 'utf8').digest('hex');
}

/** Assigns seq, prev_hash and hash to `events` in order, continuing the chain after (`lastSeq`, `lastHash`). */
export function chainEvents(key: KeyObject, lastSeq: number, lastHash: string, events: readonly AuditEventFields[]): ChainedAuditEvent[] {
  let seq = lastSeq;
  let prevHash = lastHash;
  return events.map((event) => {
    seq += 1;
    const hash = chainHash(key, prevHash, seq, event);
    const chained = { ...event, seq, prevHash, hash };
    prevHash = hash;
    return chained;
  });
}

/** The MAC of the retention anchor, so it cannot be moved (forward, to hide deleted events) without the key. */
export function anchorMac(key: KeyObject, anchor: AuditAnchor): string {
  if (!Number.isSafeInteger(anchor.seq) || anchor.seq < 1) throw new RangeError(`anchor seq must be a positive integer, got ${anchor.seq}`);
  return createHmac('sha256', key)
    .update(JSON.stringify([ANCHOR_VERSION, String(anchor.seq), anchor.hash, anchor.prunedAt.toISOString()]), 'utf8')
    .digest('hex');
}
