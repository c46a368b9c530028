// Reading the audit trail: list / tail with filters, export by time range, verification of the
// hash chain, and retention pruning that keeps what remains verifiable.
import { randomUUID, type KeyObject } from 'node:crypto';
import type { Database, Queryable } from '../../storage/database.ts';
import { anchorMac, chainEvents, chainHash, GENESIS_HASH, type ChainedAuditEvent } from './audit-chain.ts';
import { constantTimeEqual } from '../constant-time.ts';
import type { AuditActor, AuditOutcome } from './audit-event.ts';
import { normalizeAuditEvent } from './audit-input.ts';
import {
  findAuditEventHash,
  findAuditPruneCut,
  insertAuditEvents,
  lockAuditChain,
  pruneAuditEventsTo,
  readAuditAnchors,
  readAuditHead,
  selectAuditEvents,
  type AuditEventSelection,
  type StoredAuditAnchor,
} from '../../storage/audit-events.ts';

/** An event as the CLI and the admin API show it (JSON-serialisable). */
export interface AuditEvent {
  seq: number;
  id: string;
  occurredAt: string;
  type: string;
  outcome: AuditOutcome;
  actor: { type: string; id: string } | null;
  target: { type: string; id: string } | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

export function toAuditEvent(event: ChainedAuditEvent): AuditEvent {
  return {
    seq: event.seq,
    id: event.id,
    occurredAt: event.occurredAt.toISOString(),
    type: event.type,
    outcome: event.outcome,
    actor: event.actorType && event.actorId ? { type: event.actorType, id: event.actorId } : null,
    target: event.targetType && event.targetId ? { type: event.targetType, id: event.targetId } : null,
    clientId: event.clientId,
    ip: event.ip,
    userAgent: event.userAgent,
    requestId: event.requestId,
    details: event.details,
    prevHash: event.prevHash,
    hash: event.hash,
  };
}

/** The store's conditions (type, user, client, time range), paged from the newest or after a seq. */
export interface AuditFilter extends Pick<AuditEventSelection, 'type' | 'userId' | 'clientId' | 'since' | 'until'> {
  /** Only events after this seq, oldest first; without it, the latest `limit` events. */
  afterSeq?: number;
  /** Default 50, at most 1000. */
  limit?: number;
}

export interface AuditPage {
  /** Oldest first. */
  events: AuditEvent[];
  /** Pass as `afterSeq` to get what follows (the events after this page, or new ones later). */
  cursor: number;
}

export const MAX_PAGE = 1000;

const pageLimit = (limit: number | undefined, fallback: number) => Math.min(MAX_PAGE, Math.max(1, Math.floor(limit ?? fallback)));

/** The latest matching events, or (with `afterSeq`) the first ones after it; oldest first. */
export async function listAuditEvents(db: Queryable, filter: AuditFilter = {}): Promise<AuditPage> {
  const limit = pageLimit(filter.limit, 50);
  // Everything up to the head is committed (writers append under one lock, in seq order), so a
  // follower that continues from `cursor` misses nothing.
  const head = (await readAuditHead(db, GENESIS_HASH)).seq;
  const after = filter.afterSeq;
  const { type, userId, clientId, since, until } = filter;
  const stored = await selectAuditEvents(db, {
    type,
    userId,
    clientId,
    since,
    until,
    upToSeq: head,
    afterSeq: after,
    order: after === undefined ? 'desc' : 'asc',
    limit,
  });
  const events = stored.map(toAuditEvent);
  if (after === undefined) {
    events.reverse();
    return { events, cursor: head };
  }
  const full = events.length === limit;
  return { events, cursor: full ? events.at(-1)!.seq : Math.max(head, after) };
}

export interface AuditExportRange {
  since?: Date;
  until?: Date;
  afterSeq?: number;
  /** Events per page (default and maximum 1000). */
  limit?: number;
}

export interface AuditExportPage {
  events: AuditEvent[];
  /** `afterSeq` of the next page, or null when this was the last one. */
  next: number | null;
}

/** One page of the events in [since, until), in chain order. */
export async function exportAuditEvents(db: Queryable, range: AuditExportRange = {}): Promise<AuditExportPage> {
  const limit = pageLimit(range.limit, MAX_PAGE);
  const rows = await selectAuditEvents(db, {
    since: range.since,
    until: range.until,
    afterSeq: range.afterSeq,
    order: 'asc',
    limit: limit + 1,
  });
  const events = rows.slice(0, limit).map(toAuditEvent);
  return { events, next: rows.length > limit ? events.at(-1)!.seq : null };
}

/** Every event in [since, until), in chain order, page by page. */
export async function* iterateAuditEvents(db: Queryable, range: Omit<AuditExportRange, 'afterSeq'> = {}): AsyncGenerator<AuditEvent> {
  let afterSeq: number | undefined;
  for (;;) {
    const page = await exportAuditEvents(db, { ...range, ...(afterSeq === undefined ? {} : { afterSeq }) });
    yield* page.events;
    if (page.next === null) return;
    afterSeq = page.next;
  }
}

// ---------------------------------------------------------------- verification

export type AuditVerification =
  | {
      ok: true;
      /** Events whose link and hash were checked. */
      checked: number;
      firstSeq: number | null;
      lastSeq: number | null;
      /** Hash of the last event: keep it elsewhere to detect a later truncation of the tail. */
      lastHash: string | null;
      /** Seq of the last pruned event the chain starts after (null: never pruned). */
      anchorSeq: number | null;
    }
  | {
      ok: false;
      checked: number;
      /** The first event at which the chain does not hold. */
      brokenSeq: number;
      reason: string;
    };

export interface VerifyOptions {
  /** Rows read per query (default 1000). */
  pageSize?: number;
}

interface WalkOptions extends VerifyOptions {
  /** Stop after this seq (prune verifies what it is about to delete). */
  upTo?: number;
  /** Sees every verified event. */
  visit?: (event: ChainedAuditEvent) => void;
}

interface Walk {
  result: AuditVerification;
  anchor: StoredAuditAnchor | undefined;
}

const anchorKey = (anchor: StoredAuditAnchor | undefined) => (anchor ? `${anchor.seq}:${anchor.mac}` : '');

async function walkChain(db: Queryable, key: KeyObject, options: WalkOptions): Promise<Walk> {
  const pageSize = Math.min(10_000, Math.max(1, Math.floor(options.pageSize ?? 1000)));
  const anchors = await readAuditAnchors(db);
  const anchor = anchors[0];
  const fail = (checked: number, brokenSeq: number, reason: string): Walk => ({
    result: { ok: false, checked, brokenSeq, reason },
    anchor,
  });
  if (anchors.length > 1)
    return fail(
      0,
      Math.min(...anchors.map((each) => each.seq)),
      'there is more than one chain anchor (audit_chain_anchor was tampered with)',
    );
  if (anchor && !constantTimeEqual(anchor.mac, anchorMac(key, anchor))) {
    return fail(
      0,
      anchor.seq,
      `the retention anchor at seq ${anchor.seq} does not carry a valid MAC: it was forged or altered (or SECRET_KEY changed)`,
    );
  }

  let expectedSeq = anchor ? anchor.seq + 1 : 1;
  let prevHash = anchor ? anchor.hash : GENESIS_HASH;
  let checked = 0;
  let firstSeq: number | null = null;
  let lastSeen: number | null = null;
  for (;;) {
    // The first page has no lower bound: a row slipped in before the start must be seen too.
    const events = await selectAuditEvents(db, { afterSeq: lastSeen ?? undefined, upToSeq: options.upTo, order: 'asc', limit: pageSize });
    for (const event of events) {
      if (event.seq < expectedSeq) {
        const where =
          checked === 0 ? `before the start of the chain (seq ${expectedSeq})` : `out of sequence (after seq ${expectedSeq - 1})`;
        return fail(checked, event.seq, `unexpected event at seq ${event.seq}, ${where}: it was inserted`);
      }
      if (event.seq > expectedSeq) {
        const gap = event.seq - 1 === expectedSeq ? `seq ${expectedSeq}` : `seq ${expectedSeq} to ${event.seq - 1}`;
        return fail(checked, expectedSeq, `event ${gap} is missing: the chain jumps from ${expectedSeq - 1} to ${event.seq} (deleted)`);
      }
      if (!constantTimeEqual(event.prevHash, prevHash)) {
        return fail(
          checked,
          event.seq,
          `prev_hash of seq ${event.seq} does not match the hash of the event before it (an event was replaced, removed or inserted)`,
        );
      }
      if (!constantTimeEqual(event.hash, chainHash(key, event.prevHash, event.seq, event))) {
        return fail(
          checked,
          event.seq,
          `hash of seq ${event.seq} does not match its content (the event was edited, or SECRET_KEY changed)`,
        );
      }
      options.visit?.(event);
      firstSeq ??= event.seq;
      prevHash = event.hash;
      expectedSeq += 1;
      checked += 1;
      lastSeen = event.seq;
    }
    if (events.length < pageSize) break;
  }
  return {
    result: {
      ok: true,
      checked,
      firstSeq,
      lastSeq: lastSeen,
      lastHash: lastSeen === null ? null : prevHash,
      anchorSeq: anchor?.seq ?? null,
    },
    anchor,
  };
}

/**
 * Walks the whole chain in seq order, from the retention anchor (whose MAC is checked) or genesis.
 * An edited event fails on its hash, a deleted one as a gap, an inserted one as an unexpected seq or
 * a hash that does not match. (Removing the newest events leaves a valid shorter chain: compare
 * `lastSeq`/`lastHash` with a copy kept elsewhere to detect that.)
 */
export async function verifyAuditChain(db: Queryable, key: KeyObject, options: VerifyOptions = {}): Promise<AuditVerification> {
  for (let attempt = 1; ; attempt += 1) {
    const walk = await walkChain(db, key, options);
    if (walk.result.ok || attempt >= 3) return walk.result;
    // A prune that ran while we walked moves the anchor and removes the start: walk again.
    const now = await readAuditAnchors(db);
    if (now.length !== 1 || anchorKey(now[0]) === anchorKey(walk.anchor)) return walk.result;
  }
}

// ---------------------------------------------------------------- retention

/** Pruning refused: the part that would be deleted does not verify (deleting it would hide it). */
export class AuditChainBrokenError extends Error {
  override readonly name = 'AuditChainBrokenError';
  readonly verification: Extract<AuditVerification, { ok: false }>;
  constructor(verification: Extract<AuditVerification, { ok: false }>) {
    super(`the audit chain is broken at seq ${verification.brokenSeq}: ${verification.reason}`);
    this.verification = verification;
  }
}

export interface AuditPruneResult {
  /** Events deleted. */
  pruned: number;
  /** Where the remaining chain now starts (null: nothing was ever pruned). */
  anchor: { seq: number; hash: string; prunedAt: string } | null;
}

export interface PruneOptions {
  /** Who prunes, recorded in the `audit.pruned` event appended to the chain (default system). */
  actor?: AuditActor;
  /** Events deleted per transaction (default 10 000): writers wait for the lock only that long. */
  chunkSize?: number;
  now?: () => Date;
}

/**
 * Deletes the oldest events, those before the first event that occurred at or after `olderThan`
 * (always a prefix of the chain). The part to delete is verified first: a broken chain is never
 * pruned (AuditChainBrokenError), the evidence stays. Each chunk moves the anchor to its last event
 * and deletes it in one transaction under the writers' lock; an `audit.pruned` event is appended.
 */
/** Another process pruned while this one was walking or deleting: start over from its anchor. */
class ConcurrentPruneError extends Error {
  override readonly name = 'ConcurrentPruneError';
}

export async function pruneAuditEvents(
  db: Database,
  key: KeyObject,
  olderThan: Date,
  options: PruneOptions = {},
): Promise<AuditPruneResult> {
  // Every server runs the retention job, so prunes meet; each retry starts from the newer anchor.
  for (let attempt = 1; ; attempt++) {
    try {
      return await pruneFrom(db, key, olderThan, options);
    } catch (error) {
      // each retry starts after the other's progress, so a handful suffices even when they collide
      if (!(error instanceof ConcurrentPruneError) || attempt >= 20) throw error;
    }
  }
}

async function pruneFrom(db: Database, key: KeyObject, olderThan: Date, options: PruneOptions): Promise<AuditPruneResult> {
  const now = options.now ?? (() => new Date());
  const chunkSize = Math.max(1, Math.floor(options.chunkSize ?? 10_000));
  const anchors = await readAuditAnchors(db);
  const start = anchors[0];
  const current = () => (start ? { seq: start.seq, hash: start.hash, prunedAt: start.prunedAt.toISOString() } : null);

  const { firstKept, last } = await findAuditPruneCut(db, olderThan);
  if (last === null) return { pruned: 0, anchor: current() };
  const cut = firstKept === null ? last : firstKept - 1;
  if (cut <= (start?.seq ?? 0)) return { pruned: 0, anchor: current() };

  // Verify what is about to go, remembering the hash at each chunk's end.
  const boundaries = new Map<number, string>();
  const from = start?.seq ?? 0;
  const walk = await walkChain(db, key, {
    upTo: cut,
    visit: (event) => {
      if ((event.seq - from) % chunkSize === 0 || event.seq === cut) boundaries.set(event.seq, event.hash);
    },
  });
  if (!walk.result.ok) {
    // A prune by another process may have removed the start of what we walked: not a broken chain.
    const [moved] = await readAuditAnchors(db);
    if (anchorKey(moved) !== anchorKey(start)) throw new ConcurrentPruneError('the audit chain was pruned concurrently');
    throw new AuditChainBrokenError(walk.result);
  }
  if (anchorKey(walk.anchor) !== anchorKey(start) || walk.result.lastSeq !== cut)
    throw new ConcurrentPruneError('the audit chain changed while pruning');

  let pruned = 0;
  let anchor: StoredAuditAnchor | undefined = start;
  for (const [seq, hash] of [...boundaries].sort(([a], [b]) => a - b)) {
    const final = seq === cut;
    const moved = await db.transaction(async (tx): Promise<{ anchor: StoredAuditAnchor; deleted: number } | undefined> => {
      await lockAuditChain(tx);
      const [found, ...extra] = await readAuditAnchors(tx);
      if (extra.length > 0 || anchorKey(found) !== anchorKey(anchor)) {
        // Another process pruned meanwhile (several servers run the retention job): done if it got this far.
        if (extra.length === 0 && found && found.seq >= seq) return undefined;
        throw new ConcurrentPruneError('the audit chain was pruned concurrently');
      }
      if ((await findAuditEventHash(tx, seq)) !== hash)
        throw new Error(`audit event ${seq} changed while pruning: run \`portcullis audit verify\``);
      const next = { seq, hash, prunedAt: now() };
      const mac = anchorMac(key, next);
      const deleted = await pruneAuditEventsTo(tx, { ...next, mac });
      if (final) {
        const event = normalizeAuditEvent(
          {
            type: 'audit.pruned',
            outcome: 'success',
            actor: options.actor ?? { type: 'system', id: 'retention' },
            details: { olderThan: olderThan.toISOString(), pruned: pruned + deleted, anchorSeq: seq },
          },
          randomUUID(),
          now(),
        );
        const head = await readAuditHead(tx, GENESIS_HASH);
        await insertAuditEvents(tx, chainEvents(key, head.seq, head.hash, [event]));
      }
      return { anchor: { ...next, mac }, deleted };
    });
    if (!moved) {
      anchor = (await readAuditAnchors(db))[0];
      break;
    }
    anchor = moved.anchor;
    pruned += moved.deleted;
  }
  return { pruned, anchor: anchor ? { seq: anchor.seq, hash: anchor.hash, prunedAt: anchor.prunedAt.toISOString() } : null };
}
