// The AuditTrail: events are checked on `record` (a credential in `details` throws), queued in
// memory and written in batches off the request path — every `flushIntervalMs`, or at once when
// `batchSize` are waiting. One flush is one transaction:
//
//   pg_advisory_xact_lock(hashtext('portcullis:audit'))   several processes append to one chain
//   read the head (last event, else the retention anchor, else genesis)
//   assign seq / prev_hash / hash in queue order, one multi-row INSERT
//
// Faults: when the store is down the events stay queued, in order, and are retried with an
// exponential backoff (a warning per failed attempt); nothing is dropped, nothing throws into the
// process. A batch whose commit may have succeeded before the connection broke is checked by id
// on retry, so it is never written twice. `recordDurable` is for events that must be stored before
// the response (the caller fails closed when it rejects); a rejected durable event is not written
// later: the action it describes was refused. `recordWithin` appends one event inside the caller's
// own transaction (same lock, same head read, same chaining), so an admin change and its event
// commit together or not at all; the queue's batches and these appends interleave under the lock
// and the chain stays gapless. `close` flushes until empty, retrying a bounded
// number of times, and logs how many events it could not write.
import { randomUUID, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../../storage/database.ts';
import { isStoreUnavailable } from '../../storage/store-errors.ts';
import { chainEvents, GENESIS_HASH, type AuditEventFields } from './audit-chain.ts';
import type { AuditEventInput, AuditTrail } from './audit-event.ts';
import { normalizeAuditEvent } from './audit-input.ts';
import {
  appendAuditEventsAfter,
  existingAuditEventIds,
  insertAuditEvents,
  lockAuditChain,
  readAuditHead,
} from '../../storage/audit-events.ts';

/** What the writer logs (a pino Logger fits). */
export interface AuditLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface AuditTrailOptions {
  db: Database;
  /** `deriveKeys(SECRET_KEY).auditKey`. */
  key: KeyObject;
  logger: AuditLogger;
  /** Events per INSERT; reaching it flushes at once (default 25, at most 1000). */
  batchSize?: number;
  /** Longest time an event waits in memory before its batch is written (default 50 ms). */
  flushIntervalMs?: number;
  /** Clock of `occurred_at` (tests). */
  now?: () => Date;
  /** First retry delay after a failed write; doubles up to `retryMaxMs` (defaults 200 ms, 30 s). */
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Flush attempts `close` makes before giving up on what is left (default 5). */
  closeAttempts?: number;
}

export interface AuditWriter extends AuditTrail {
  /** Events recorded but not yet stored. */
  pending(): number;
}

interface Pending {
  fields: AuditEventFields;
  /** A write of this event failed once: it may have been committed anyway, check by id. */
  attempted: boolean;
  durable?: { resolve(): void; reject(error: unknown): void };
}

const MAX_BATCH = 1000;
// Small, frequent batches: an event waits at most 50 ms in memory (less to lose on a crash) and
// dies young, which the garbage collector handles far more cheaply than events kept for 200 ms
// (the token-throughput bench measured ~0.85x with 100 / 200 ms and ~0.9–0.97x with 25 / 50 ms).
const DEFAULT_BATCH_SIZE = 25;
const DEFAULT_FLUSH_INTERVAL_MS = 50;
/** After a one-statement append found the head moved, this many batches take the locked path. */
const LOCKED_BATCHES_AFTER_MISS = 16;
/** Queue lengths at which an error is logged (the store has been down for long, or is too slow). */
const BACKLOG_ALERTS = [10_000, 100_000, 1_000_000];

export function createAuditTrail(options: AuditTrailOptions): AuditWriter {
  const { db, key, logger } = options;
  const batchSize = Math.min(MAX_BATCH, Math.max(1, Math.floor(options.batchSize ?? DEFAULT_BATCH_SIZE)));
  const flushIntervalMs = Math.max(0, options.flushIntervalMs ?? DEFAULT_FLUSH_INTERVAL_MS);
  const now = options.now ?? (() => new Date());
  const retryBaseMs = Math.max(1, options.retryBaseMs ?? 200);
  const retryMaxMs = Math.max(retryBaseMs, options.retryMaxMs ?? 30_000);
  const closeAttempts = Math.max(1, options.closeAttempts ?? 5);

  let queue: Pending[] = [];
  let timer: NodeJS.Timeout | undefined;
  let kickPending = false;
  let failures = 0;
  let closed = false;
  let closing: Promise<void> | undefined;
  let closeDone = false;
  let backlogAlert = 0;
  /** Serialises flushes: one transaction at a time per writer, in queue order. */
  let exclusive: Promise<unknown> = Promise.resolve();

  function runExclusive<T>(work: () => Promise<T>): Promise<T> {
    const result = exclusive.then(work, work);
    exclusive = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  }

  const backoff = (attempt: number) => {
    const base = Math.min(retryMaxMs, retryBaseMs * 2 ** Math.min(30, attempt - 1));
    return Math.round(base * (0.8 + Math.random() * 0.4));
  };

  function clearTimer(): void {
    if (timer) clearTimeout(timer);
    timer = undefined;
  }

  function arm(delay: number): void {
    clearTimer();
    timer = setTimeout(backgroundFlush, delay);
    timer.unref();
  }

  /**
   * The last event this writer stored, while it may still be the chain's head: the next batch is
   * chained onto it without reading it back, and written in one statement instead of a transaction
   * of five (appendAuditEventsAfter says why that is safe). Set after every successful write.
   */
  let lastStored: { seq: number; hash: string } | undefined;
  /** Batches still to write the locked way after the last one found the head moved (another writer). */
  let lockedBatchesLeft = 0;

  async function writeBatch(batch: readonly Pending[]): Promise<void> {
    const head = lastStored;
    if (head && lockedBatchesLeft === 0 && !batch.some((item) => item.attempted)) {
      const chained = chainEvents(
        key,
        head.seq,
        head.hash,
        batch.map((item) => item.fields),
      );
      if (await appendAuditEventsAfter(db, head, chained)) {
        lastStored = chained.at(-1);
        return;
      }
      // Another process (or an admin change's own event) appended meanwhile: with several writers
      // that is the rule, not the exception, so the next batches go the locked way straight away.
      lockedBatchesLeft = LOCKED_BATCHES_AFTER_MISS;
    } else if (lockedBatchesLeft > 0) {
      lockedBatchesLeft -= 1;
    }
    const last = await db.transaction(async (tx) => {
      await lockAuditChain(tx);
      let items = batch;
      if (batch.some((item) => item.attempted)) {
        const stored = await existingAuditEventIds(
          tx,
          batch.map((item) => item.fields.id),
        );
        items = batch.filter((item) => !stored.has(item.fields.id));
      }
      if (items.length === 0) return undefined;
      const head = await readAuditHead(tx, GENESIS_HASH);
      const chained = chainEvents(
        key,
        head.seq,
        head.hash,
        items.map((item) => item.fields),
      );
      await insertAuditEvents(tx, chained);
      return chained.at(-1);
    });
    // committed: the next batch may chain onto it (nothing new was written when all were stored already)
    if (last) lastStored = last;
  }

  /** Rejects every durable event still queued and takes it out: its caller fails closed. */
  function failDurables(error: unknown): void {
    if (!queue.some((item) => item.durable)) return;
    const reason = new Error('the audit event could not be stored', { cause: error });
    queue = queue.filter((item) => {
      if (!item.durable) return true;
      item.durable.reject(reason);
      return false;
    });
  }

  /** Writes batches until the queue is empty; on a failure the rest stays queued, in order. */
  async function flushAll(): Promise<void> {
    kickPending = false;
    while (queue.length > 0) {
      const batch = queue.slice(0, batchSize);
      try {
        await writeBatch(batch);
      } catch (error) {
        for (const item of batch) item.attempted = true;
        failDurables(error);
        throw error;
      }
      queue.splice(0, batch.length);
      for (const item of batch) item.durable?.resolve();
    }
  }

  function succeeded(): void {
    if (failures > 0) logger.info({ failures }, 'audit store reachable again: delayed events written');
    failures = 0;
    backlogAlert = 0;
    if (queue.length === 0 && !closed) clearTimer();
  }

  function failed(error: unknown): void {
    failures += 1;
    const fields = { err: error, pending: queue.length, attempt: failures };
    if (closed) {
      // While closing, close() reports what is left; after it, nothing will retry.
      if (closeDone)
        logger.error({ ...fields, unwritten: queue.length }, `audit trail closed: ${queue.length} event(s) could not be written`);
      return;
    }
    const delay = backoff(failures);
    if (isStoreUnavailable(error))
      logger.warn({ ...fields, retryInMs: delay }, 'audit events could not be written (store unavailable); retrying');
    else logger.error({ ...fields, retryInMs: delay }, 'audit events could not be written; retrying');
    arm(delay);
  }

  function backgroundFlush(): void {
    timer = undefined;
    runExclusive(flushAll).then(succeeded, failed);
  }

  /** Flushes soon: after the current synchronous work (a full batch, a durable event, after close). */
  function kick(): void {
    if (kickPending) return;
    kickPending = true;
    queueMicrotask(() => {
      if (!kickPending) return;
      clearTimer();
      backgroundFlush();
    });
  }

  function enqueue(input: AuditEventInput, durable?: Pending['durable']): void {
    const fields = normalizeAuditEvent(input, randomUUID(), now());
    queue.push(durable ? { fields, attempted: false, durable } : { fields, attempted: false });
    if (queue.length >= (BACKLOG_ALERTS[backlogAlert] ?? Infinity)) {
      logger.error(
        { pending: queue.length, failing: failures > 0 },
        'audit events are piling up in memory: the store is failing or slower than the event rate',
      );
      backlogAlert += 1;
    }
  }

  return {
    record(input) {
      enqueue(input);
      if (closed) {
        logger.warn({ type: input.type }, 'audit event recorded after close: writing it at once');
        kick();
      } else if (failures > 0) {
        // a retry is already armed: do not hammer a store that is down
        if (!timer) arm(backoff(failures));
      } else if (queue.length >= batchSize) {
        kick();
      } else if (!timer) {
        arm(flushIntervalMs);
      }
    },

    recordDurable(input) {
      return new Promise<void>((resolve, reject) => {
        enqueue(input, { resolve, reject });
        // Try now even during a backoff: the store may be back, and the caller is waiting.
        runExclusive(flushAll).then(succeeded, failed);
      });
    },

    async recordWithin(tx, input) {
      // checked and normalised like any event (a credential in `details` throws before anything is written)
      const fields = normalizeAuditEvent(input, randomUUID(), now());
      await lockAuditChain(tx);
      const head = await readAuditHead(tx, GENESIS_HASH);
      await insertAuditEvents(tx, chainEvents(key, head.seq, head.hash, [fields]));
    },

    flush() {
      return runExclusive(flushAll).then(succeeded, (error: unknown) => {
        failed(error);
        throw error;
      });
    },

    close() {
      closing ??= (async () => {
        closed = true;
        clearTimer();
        for (let attempt = 1; ; attempt += 1) {
          try {
            await runExclusive(flushAll);
            if (queue.length === 0) return;
          } catch (error) {
            const left = queue.length;
            if (attempt >= closeAttempts) {
              logger.error({ err: error, unwritten: left }, `audit trail closed: ${left} event(s) could not be written`);
              return;
            }
            logger.warn({ err: error, pending: left, attempt }, 'audit events could not be written while closing; retrying');
            await sleep(backoff(attempt));
          }
        }
      })().finally(() => {
        closeDone = true;
      });
      return closing;
    },

    pending: () => queue.length,
  };
}
