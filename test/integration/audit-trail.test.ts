// The audit trail against real stores (embedded PGlite and PostgreSQL): batched writes in order,
// durable events, the hash chain catching edits, deletions and insertions made directly in SQL,
// retention pruning, store outages, several writers, and a clean shutdown under load.
import test, { type ExecutionContext } from 'ava';
import { createHash, createSecretKey, randomBytes, randomUUID, type KeyObject } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { anchorMac, chainEvents, GENESIS_HASH } from '../../src/security/audit/audit-chain.ts';
import type { AuditEventInput } from '../../src/security/audit/audit-event.ts';
import { AuditInputError, normalizeAuditEvent } from '../../src/security/audit/audit-input.ts';
import {
  AuditChainBrokenError,
  exportAuditEvents,
  iterateAuditEvents,
  listAuditEvents,
  pruneAuditEvents,
  verifyAuditChain,
  type AuditVerification,
} from '../../src/security/audit/audit-queries.ts';
import { createAuditTrail, type AuditLogger, type AuditTrailOptions } from '../../src/security/audit/audit-writer.ts';
import type { Database, Queryable } from '../../src/storage/database.ts';
import {
  findAuditEventHash,
  insertAuditEvents,
  lockAuditChain,
  pruneAuditEventsTo,
  readAuditHead,
} from '../../src/storage/audit-events.ts';
import { openPostgres } from '../../src/storage/postgres.ts';
import { createTestDatabase, type BackendName } from '../helpers/stores.ts';

const BACKENDS: BackendName[] = ['pglite', 'postgres'];

interface LogEntry {
  level: 'info' | 'warn' | 'error';
  obj: object;
  msg: string;
}

function capturingLogger(): AuditLogger & { entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  return {
    entries,
    info: (obj, msg) => void entries.push({ level: 'info', obj, msg }),
    warn: (obj, msg) => void entries.push({ level: 'warn', obj, msg }),
    error: (obj, msg) => void entries.push({ level: 'error', obj, msg }),
  };
}

async function database(t: ExecutionContext, backend: BackendName) {
  const created = await createTestDatabase(backend);
  t.teardown(() => created.dispose());
  return created;
}

function trail(t: ExecutionContext, db: Database, key: KeyObject, options: Partial<AuditTrailOptions> = {}) {
  const logger = capturingLogger();
  const writer = createAuditTrail({ db, key, logger, ...options });
  t.teardown(() => writer.close());
  return Object.assign(writer, { logger });
}

const newKey = () => createSecretKey(randomBytes(32));

const loginEvent = (n: number, extra: Partial<AuditEventInput> = {}): AuditEventInput => ({
  type: 'login.succeeded',
  outcome: 'success',
  actor: { type: 'user', id: `user-${n % 3}` },
  clientId: `client-${n % 2}`,
  ip: '203.0.113.7',
  userAgent: 'Mozilla/5.0 (test)',
  requestId: `req-${n}`,
  details: { n, amr: ['pwd'] },
  ...extra,
});

async function count(db: Queryable): Promise<number> {
  const { rows } = await db.query<{ n: number }>('SELECT count(*)::int AS n FROM audit_events');
  return rows[0]!.n;
}

async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** What someone with DDL rights (but not SECRET_KEY) does first: switch the guard triggers off. */
async function disableGuards(db: Queryable): Promise<void> {
  await db.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
  await db.query('ALTER TABLE audit_chain_anchor DISABLE TRIGGER audit_chain_anchor_prune_only');
}

const connectionRefused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });

/**
 * The database, except that its next transactions fail (before running, or after committing) and its
 * next statements outside a transaction fail after running (`failStatementAfterRun`: committed, the
 * answer lost). Counts transactions (`attempts`) and statements outside them (`statements`).
 */
function flakyDatabase(
  db: Database,
  plan: { failBefore?: number; failAfterCommit?: number; failStatementAfterRun?: number },
): Database & { attempts: () => number; statements: () => number } {
  let before = plan.failBefore ?? 0;
  let after = plan.failAfterCommit ?? 0;
  let statementFailures = plan.failStatementAfterRun ?? 0;
  let attempts = 0;
  let statements = 0;
  return {
    kind: db.kind,
    async query<Row>(sql: string, params?: readonly unknown[]) {
      statements += 1;
      const result = await db.query<Row>(sql, params);
      if (statementFailures > 0) {
        statementFailures -= 1;
        throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      }
      return result;
    },
    execScript: (sql) => db.execScript(sql),
    listen: (channel, handler) => db.listen(channel, handler),
    close: () => db.close(),
    async transaction(work) {
      attempts += 1;
      if (before > 0) {
        before -= 1;
        throw connectionRefused();
      }
      const result = await db.transaction(work);
      if (after > 0) {
        after -= 1;
        throw Object.assign(new Error('Connection terminated unexpectedly'), { code: 'ECONNRESET' });
      }
      return result;
    },
    attempts: () => attempts,
    statements: () => statements,
  };
}

async function seqsAndNs(db: Queryable): Promise<{ seq: number; n: number }[]> {
  const { rows } = await db.query<{ seq: string | number; n: number }>(
    "SELECT seq, (details->>'n')::int AS n FROM audit_events ORDER BY seq",
  );
  return rows.map((row) => ({ seq: Number(row.seq), n: row.n }));
}

/** The verification failed at `brokenSeq` (and after `checked` good events), for a reason matching `reason`. */
function assertBroken(
  t: ExecutionContext,
  result: AuditVerification,
  expected: { brokenSeq: number; checked?: number; reason: RegExp },
): void {
  if (result.ok) {
    t.fail(`the chain verified (${result.checked} events) but should break at seq ${expected.brokenSeq}`);
    return;
  }
  t.is(result.brokenSeq, expected.brokenSeq, result.reason);
  if (expected.checked !== undefined) t.is(result.checked, expected.checked);
  t.regex(result.reason, expected.reason);
}

/** A PostgreSQL database with a key, and a second pool connected to it: another process's writer. */
async function twoProcesses(t: ExecutionContext) {
  const created = await database(t, 'postgres');
  const other = openPostgres({ connectionString: created.url!, max: 3 });
  t.teardown(() => other.close());
  return { created, key: newKey(), other };
}

/** What a locked writer does once it holds the lock and has read `head`: `input`, chained onto it, inserted. */
async function appendLocked(tx: Queryable, key: KeyObject, head: { seq: number; hash: string }, input: AuditEventInput): Promise<void> {
  await insertAuditEvents(tx, chainEvents(key, head.seq, head.hash, [normalizeAuditEvent(input, randomUUID(), new Date())]));
}

for (const backend of BACKENDS) {
  const title = (text: string) => `[${backend}] ${text}`;

  test.serial(title("events are written in batches, in the order recorded, off the caller's path"), async (t) => {
    const { db } = await database(t, backend);
    const audit = trail(t, db, newKey(), { batchSize: 10, flushIntervalMs: 60_000 });

    for (let n = 1; n <= 5; n++) audit.record(loginEvent(n));
    await sleep(100);
    t.is(await count(db), 0, 'below the batch size, nothing is written before the interval');
    t.is(audit.pending(), 5);

    for (let n = 6; n <= 25; n++) audit.record(loginEvent(n));
    await waitFor(async () => (await count(db)) >= 20, 'two full batches');
    await audit.flush();
    t.is(await count(db), 25);
    t.is(audit.pending(), 0);
    t.deepEqual(
      await seqsAndNs(db),
      Array.from({ length: 25 }, (_, i) => ({ seq: i + 1, n: i + 1 })),
    );

    // the interval flushes what is below the batch size
    const timed = trail(t, db, newKey(), { batchSize: 100, flushIntervalMs: 30 });
    timed.record(loginEvent(26));
    await waitFor(async () => (await count(db)) === 26, 'the interval flush');
    t.is(timed.pending(), 0, 'written by the interval alone, without a flush call');
  });

  test.serial(title('recordDurable resolves once the event (and everything before it) is stored'), async (t) => {
    const { db } = await database(t, backend);
    const audit = trail(t, db, newKey(), { flushIntervalMs: 60_000 });
    for (let n = 1; n <= 3; n++) audit.record(loginEvent(n));
    await audit.recordDurable(loginEvent(4, { type: 'account.locked', outcome: 'failure' }));
    t.deepEqual(
      await seqsAndNs(db),
      [1, 2, 3, 4].map((n) => ({ seq: n, n })),
    );
    const { events } = await listAuditEvents(db, { type: 'account' });
    t.is(events.length, 1);
    t.like(events[0], {
      seq: 4,
      type: 'account.locked',
      outcome: 'failure',
      actor: { type: 'user', id: 'user-1' },
      clientId: 'client-0',
      requestId: 'req-4',
    });
  });

  test.serial(title('a clean chain verifies, and the stored fields are what was recorded'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    t.deepEqual(await verifyAuditChain(db, key), { ok: true, checked: 0, firstSeq: null, lastSeq: null, lastHash: null, anchorSeq: null });
    const audit = trail(t, db, key, { batchSize: 7 });
    for (let n = 1; n <= 30; n++) audit.record(loginEvent(n));
    audit.record({
      type: 'client.updated',
      outcome: 'success',
      actor: { type: 'admin', id: 'ops' },
      target: { type: 'client', id: 'app' },
      userAgent: `odd\u0000agent \ud800 ${'x'.repeat(1000)}`,
      details: { nested: { b: 2, a: [1, 0.1, 1e21, -0, true, null, 'é'] }, '10': 'ten', '9': 'nine' },
    });
    await audit.flush();
    const result = await verifyAuditChain(db, key, { pageSize: 8 });
    t.like(result, { ok: true, checked: 31, firstSeq: 1, lastSeq: 31, anchorSeq: null });
    const [last] = (await listAuditEvents(db, { limit: 1 })).events;
    t.deepEqual(last!.details, { nested: { b: 2, a: [1, 0.1, 1e21, 0, true, null, 'é'] }, '10': 'ten', '9': 'nine' });
    t.is(last!.userAgent!.length, 512);
    t.false(last!.userAgent!.includes('\u0000'));
    // another key (another SECRET_KEY) cannot vouch for this chain
    t.like(await verifyAuditChain(db, newKey()), { ok: false, brokenSeq: 1 });
  });

  test.serial(title('an UPDATE is refused; an edited row (guards switched off) is detected at its seq'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const audit = trail(t, db, key);
    for (let n = 1; n <= 12; n++) audit.record(loginEvent(n));
    await audit.flush();

    const refused = await t.throwsAsync(db.query("UPDATE audit_events SET outcome = 'failure' WHERE seq = 5"));
    t.regex(refused.message, /append-only/);
    await t.throwsAsync(db.query('DELETE FROM audit_events WHERE seq = 5'), { message: /reserved to the audit retention prune/ });
    t.true((await verifyAuditChain(db, key)).ok);

    await disableGuards(db);
    await db.query('UPDATE audit_events SET details = jsonb_set(details, \'{amr}\', \'["pwd","otp"]\') WHERE seq = 5');
    assertBroken(t, await verifyAuditChain(db, key), { checked: 4, brokenSeq: 5, reason: /does not match its content/ });

    // restoring the content but "fixing" the hash without the key: still detected
    await db.query("UPDATE audit_events SET details = jsonb_set(details, '{amr}', '[\"pwd\"]') WHERE seq = 5");
    t.true((await verifyAuditChain(db, key)).ok, 'the original content verifies again');
    await db.query('UPDATE audit_events SET ip = $1, hash = $2 WHERE seq = 7', [
      '198.51.100.1',
      createHash('sha256').update('forged').digest('hex'),
    ]);
    t.like(await verifyAuditChain(db, key), { ok: false, brokenSeq: 7 });
  });

  test.serial(title('a deleted row is detected at its seq; renumbering the rest does not hide it'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const audit = trail(t, db, key);
    for (let n = 1; n <= 12; n++) audit.record(loginEvent(n));
    await audit.flush();
    await disableGuards(db);

    await db.query('DELETE FROM audit_events WHERE seq = 6');
    assertBroken(t, await verifyAuditChain(db, key, { pageSize: 5 }), { checked: 5, brokenSeq: 6, reason: /missing/ });
    await db.query('UPDATE audit_events SET seq = seq - 1 WHERE seq > 6');
    assertBroken(t, await verifyAuditChain(db, key), { checked: 5, brokenSeq: 6, reason: /prev_hash/ });
    // the first event deleted
    const other = await database(t, backend);
    const second = trail(t, other.db, key);
    for (let n = 1; n <= 3; n++) second.record(loginEvent(n));
    await second.flush();
    await disableGuards(other.db);
    await other.db.query('DELETE FROM audit_events WHERE seq = 1');
    assertBroken(t, await verifyAuditChain(other.db, key), { checked: 0, brokenSeq: 1, reason: /missing/ });
  });

  test.serial(title('an inserted row is detected: at the tail or before the start'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const audit = trail(t, db, key);
    for (let n = 1; n <= 10; n++) audit.record(loginEvent(n));
    await audit.flush();
    const [last] = (await listAuditEvents(db, { limit: 1 })).events;
    const forge = (seq: number, prevHash: string) =>
      db.query(
        `INSERT INTO audit_events (seq, id, occurred_at, type, outcome, actor_type, actor_id, prev_hash, hash)
         VALUES ($1, $2, now(), 'login.succeeded', 'success', 'user', 'mallory', $3, $4)`,
        [seq, randomUUID(), prevHash, createHash('sha256').update(`forged ${seq}`).digest('hex')],
      );

    await forge(11, last!.hash);
    assertBroken(t, await verifyAuditChain(db, key), { checked: 10, brokenSeq: 11, reason: /does not match its content/ });
    // the writer chains onto the forged row; the break stays at 11
    audit.record(loginEvent(12));
    await audit.flush();
    t.like(await verifyAuditChain(db, key), { ok: false, brokenSeq: 11 });

    const other = await database(t, backend);
    const second = trail(t, other.db, key);
    for (let n = 1; n <= 3; n++) second.record(loginEvent(n));
    await second.flush();
    await other.db.query(
      `INSERT INTO audit_events (seq, id, occurred_at, type, outcome, prev_hash, hash) VALUES (0, $1, now(), 'login.succeeded', 'success', $2, $2)`,
      [randomUUID(), '0'.repeat(64)],
    );
    assertBroken(t, await verifyAuditChain(other.db, key), { checked: 0, brokenSeq: 0, reason: /unexpected event/ });
  });

  test.serial(
    title('pruning moves the anchor, the rest still verifies and the writers continue; a forged anchor is detected'),
    async (t) => {
      const { db } = await database(t, backend);
      const key = newKey();
      let clock = new Date('2025-01-01T00:00:00Z');
      const audit = trail(t, db, key, { now: () => clock, batchSize: 4 });
      for (let n = 1; n <= 10; n++) audit.record(loginEvent(n));
      await audit.flush();
      clock = new Date('2025-01-10T00:00:00Z');
      for (let n = 11; n <= 20; n++) audit.record(loginEvent(n));
      await audit.flush();

      t.deepEqual(await pruneAuditEvents(db, key, new Date('2024-12-01T00:00:00Z')), { pruned: 0, anchor: null });
      const result = await pruneAuditEvents(db, key, new Date('2025-01-05T00:00:00Z'), {
        chunkSize: 3,
        now: () => new Date('2025-02-01T00:00:00Z'),
      });
      t.is(result.pruned, 10);
      t.like(result.anchor, { seq: 10, prunedAt: '2025-02-01T00:00:00.000Z' });
      t.is(await count(db), 11, 'ten kept, plus the audit.pruned event');
      const verified = await verifyAuditChain(db, key);
      t.like(verified, { ok: true, checked: 11, firstSeq: 11, lastSeq: 21, anchorSeq: 10 });
      const pruned = (await listAuditEvents(db, { type: 'audit.pruned' })).events;
      t.like(pruned[0], { seq: 21, actor: { type: 'system', id: 'retention' }, details: { pruned: 10, anchorSeq: 10 } });

      for (let n = 21; n <= 24; n++) audit.record(loginEvent(n));
      await audit.flush();
      t.like(await verifyAuditChain(db, key), { ok: true, checked: 15, firstSeq: 11, lastSeq: 25 });

      // pruning everything: the writer continues from the anchor
      // (the audit.pruned event above occurred on 2025-02-01, at the prune's clock)
      await pruneAuditEvents(db, key, new Date('2025-03-01T00:00:00Z'));
      t.is(await count(db), 1, 'only the audit.pruned event');
      audit.record(loginEvent(99));
      await audit.flush();
      t.like(await verifyAuditChain(db, key), { ok: true, checked: 2, firstSeq: 26, lastSeq: 27, anchorSeq: 25 });

      // the anchor table is written by the prune only
      await t.throwsAsync(db.query('UPDATE audit_chain_anchor SET seq = seq + 1'), { message: /reserved to the audit retention prune/ });
      // moving the anchor forward to hide an event (without the key): detected
      await disableGuards(db);
      const { rows } = await db.query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = 26');
      await db.query('DELETE FROM audit_events WHERE seq = 26');
      await db.query('UPDATE audit_chain_anchor SET seq = 26, hash = $1', [rows[0]!.hash]);
      assertBroken(t, await verifyAuditChain(db, key), { checked: 0, brokenSeq: 26, reason: /anchor/ });
      // with a MAC made under another key: still detected
      const forged = { seq: 26, hash: rows[0]!.hash, prunedAt: new Date() };
      await db.query('UPDATE audit_chain_anchor SET pruned_at = $1, mac = $2', [
        forged.prunedAt.toISOString(),
        anchorMac(newKey(), forged),
      ]);
      assertBroken(t, await verifyAuditChain(db, key), { brokenSeq: 26, reason: /anchor/ });
    },
  );

  test.serial(title('a broken chain is not pruned: the evidence stays'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const audit = trail(t, db, key, { now: () => new Date('2025-01-01T00:00:00Z') });
    for (let n = 1; n <= 6; n++) audit.record(loginEvent(n));
    await audit.flush();
    await disableGuards(db);
    await db.query("UPDATE audit_events SET outcome = 'failure' WHERE seq = 3");
    await db.query('ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only');
    const error = await t.throwsAsync(pruneAuditEvents(db, key, new Date('2025-06-01T00:00:00Z')), { instanceOf: AuditChainBrokenError });
    t.is(error.verification.brokenSeq, 3);
    t.is(await count(db), 6);
  });

  test.serial(title('a store that fails: events are retried in order and written once it recovers, nothing duplicated'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const flaky = flakyDatabase(db, { failBefore: 4 });
    const audit = trail(t, flaky, key, { batchSize: 10, flushIntervalMs: 10, retryBaseMs: 10, retryMaxMs: 50 });
    for (let n = 1; n <= 35; n++) audit.record(loginEvent(n));
    await waitFor(async () => (await count(db)) === 35, 'the retried events');
    t.deepEqual(
      await seqsAndNs(db),
      Array.from({ length: 35 }, (_, i) => ({ seq: i + 1, n: i + 1 })),
    );
    t.true(audit.logger.entries.some((entry) => entry.level === 'warn' && entry.msg.includes('store unavailable')));
    t.true(audit.logger.entries.some((entry) => entry.level === 'info' && entry.msg.includes('reachable again')));
    t.true((await verifyAuditChain(db, key)).ok);

    // a commit that succeeded but whose answer was lost: the retry does not write the batch twice
    const lost = flakyDatabase(db, { failAfterCommit: 2 });
    const again = trail(t, lost, key, { batchSize: 5, flushIntervalMs: 10, retryBaseMs: 10 });
    for (let n = 36; n <= 50; n++) again.record(loginEvent(n));
    await waitFor(async () => again.pending() === 0, 'the ambiguous batches');
    t.deepEqual(
      await seqsAndNs(db),
      Array.from({ length: 50 }, (_, i) => ({ seq: i + 1, n: i + 1 })),
    );
    t.like(await verifyAuditChain(db, key), { ok: true, checked: 50 });
  });

  test.serial(title('a writer alone appends each batch after its first in one statement, and the chain verifies'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const counted = flakyDatabase(db, {});
    const audit = trail(t, counted, key, { batchSize: 10, flushIntervalMs: 60_000 });
    for (let batch = 0; batch < 5; batch++) {
      for (let n = 1; n <= 10; n++) audit.record(loginEvent(batch * 10 + n));
      await audit.flush();
    }
    t.is(counted.attempts(), 1, 'one transaction: the first batch reads the head under the lock');
    t.is(counted.statements(), 4, 'each later batch is one statement');
    t.deepEqual(
      await seqsAndNs(db),
      Array.from({ length: 50 }, (_, i) => ({ seq: i + 1, n: i + 1 })),
    );
    t.like(await verifyAuditChain(db, key), { ok: true, checked: 50 });
  });

  test.serial(title('an event appended by another writer in between: the next batch chains after it, no fork'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const audit = trail(t, db, key, { batchSize: 10, flushIntervalMs: 60_000 });
    const admin = trail(t, db, key);
    for (let n = 1; n <= 10; n++) audit.record(loginEvent(n));
    await audit.flush();
    // an admin change's own event, in its transaction: the writer's remembered head is no longer the last
    await db.transaction((tx) => admin.recordWithin(tx, loginEvent(11)));
    for (let n = 12; n <= 21; n++) audit.record(loginEvent(n));
    await audit.flush();
    t.deepEqual(
      await seqsAndNs(db),
      Array.from({ length: 21 }, (_, i) => ({ seq: i + 1, n: i + 1 })),
    );
    t.like(await verifyAuditChain(db, key), { ok: true, checked: 21 });
  });

  test.serial(title('a chain rewound under a running writer (a restore) is continued from its real head: no gap'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const audit = trail(t, db, key, { batchSize: 10, flushIntervalMs: 60_000 });
    for (let n = 1; n <= 10; n++) audit.record(loginEvent(n));
    await audit.flush();
    // the database is restored to a backup taken after event 6: the writer last stored event 10
    await disableGuards(db);
    await db.query('DELETE FROM audit_events WHERE seq > 6');
    for (let n = 7; n <= 11; n++) audit.record(loginEvent(n));
    await audit.flush();
    t.deepEqual(
      await seqsAndNs(db),
      Array.from({ length: 11 }, (_, i) => ({ seq: i + 1, n: i + 1 })),
    );
    t.like(await verifyAuditChain(db, key), { ok: true, checked: 11 });
  });

  test.serial(title('a one-statement append that committed but lost its answer is not written twice'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const lost = flakyDatabase(db, {});
    const audit = trail(t, lost, key, { batchSize: 5, flushIntervalMs: 60_000, retryBaseMs: 10 });
    for (let n = 1; n <= 5; n++) audit.record(loginEvent(n));
    await audit.flush();
    const failing = flakyDatabase(db, { failStatementAfterRun: 1 });
    const next = trail(t, failing, key, { batchSize: 5, flushIntervalMs: 60_000, retryBaseMs: 10 });
    // the second writer's first batch takes the locked way; its second batch is the one-statement append whose answer is lost
    for (let n = 6; n <= 10; n++) next.record(loginEvent(n));
    await next.flush();
    for (let n = 11; n <= 15; n++) next.record(loginEvent(n));
    await t.throwsAsync(next.flush());
    t.is(failing.statements(), 1, 'the lost answer was the one-statement append');
    await waitFor(async () => next.pending() === 0, 'the retried batch');
    t.deepEqual(
      await seqsAndNs(db),
      Array.from({ length: 15 }, (_, i) => ({ seq: i + 1, n: i + 1 })),
    );
    t.like(await verifyAuditChain(db, key), { ok: true, checked: 15 });
  });

  test.serial(title('recordDurable rejects while the store is down (the caller fails closed); queued events survive'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const flaky = flakyDatabase(db, { failBefore: 1 });
    const audit = trail(t, flaky, key, { flushIntervalMs: 60_000, retryBaseMs: 20 });
    audit.record(loginEvent(1));
    await t.throwsAsync(audit.recordDurable(loginEvent(2, { type: 'account.locked' })), { message: /could not be stored/ });
    await waitFor(async () => (await count(db)) === 1, 'the batched event, retried');
    await audit.flush(); // writes anything still queued: the refused event must not be among it
    const events = (await listAuditEvents(db)).events;
    t.deepEqual(
      events.map((event) => event.type),
      ['login.succeeded'],
      'the refused durable event is not written later',
    );
    await audit.recordDurable(loginEvent(3, { type: 'account.locked' }));
    t.is(await count(db), 2);
  });

  test.serial(title('close() under load loses nothing and the chain verifies'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    const audit = createAuditTrail({ db, key, logger: capturingLogger() });
    for (let n = 1; n <= 2000; n++) audit.record(loginEvent(n));
    await audit.close();
    t.is(await count(db), 2000);
    t.like(await verifyAuditChain(db, key), { ok: true, checked: 2000, lastSeq: 2000 });
    t.deepEqual(
      (await seqsAndNs(db)).filter((row, i) => row.seq !== i + 1 || row.n !== i + 1),
      [],
      'in order, gapless',
    );
  });

  test.serial(title('close() with the store down gives up after its retries and says how many events were lost'), async (t) => {
    const { db } = await database(t, backend);
    const logger = capturingLogger();
    const audit = createAuditTrail({
      db: flakyDatabase(db, { failBefore: 1_000 }),
      key: newKey(),
      logger,
      retryBaseMs: 5,
      closeAttempts: 3,
    });
    for (let n = 1; n <= 7; n++) audit.record(loginEvent(n));
    await audit.close();
    const error = logger.entries.find((entry) => entry.level === 'error');
    t.regex(error?.msg ?? '', /7 event\(s\) could not be written/);
  });

  test.serial(title('details that look like credentials are refused; nothing is written'), async (t) => {
    const { db } = await database(t, backend);
    const audit = trail(t, db, newKey());
    t.throws(() => audit.record(loginEvent(1, { details: { password: 'hunter2' } })), { instanceOf: AuditInputError, message: /password/ });
    t.throws(() => audit.record(loginEvent(1, { details: { request: { client_secret: 's' } } })), { instanceOf: AuditInputError });
    t.throws(() => audit.record(loginEvent(1, { details: { grant: { refresh_token: 'r' } } })), { instanceOf: AuditInputError });
    await t.throwsAsync(audit.recordDurable(loginEvent(1, { details: { Code: 'abc' } })), { instanceOf: AuditInputError });
    await audit.flush();
    t.is(await count(db), 0);
  });

  test.serial(title('list, tail and export filter by type, user, client, time and seq'), async (t) => {
    const { db } = await database(t, backend);
    const key = newKey();
    let clock = new Date('2025-05-01T00:00:00Z');
    const audit = trail(t, db, key, { now: () => clock });
    for (let n = 1; n <= 9; n++) {
      clock = new Date(Date.UTC(2025, 4, n));
      audit.record(loginEvent(n));
    }
    audit.record({
      type: 'user.disabled',
      outcome: 'success',
      actor: { type: 'admin', id: 'ops' },
      target: { type: 'user', id: 'user-1' },
    });
    audit.record({
      type: 'login.failed',
      outcome: 'failure',
      actor: { type: 'user', id: 'user-2' },
      details: { reasonCode: 'bad_password' },
    });
    await audit.flush();

    const latest = await listAuditEvents(db, { limit: 3 });
    t.deepEqual(
      latest.events.map((event) => event.seq),
      [9, 10, 11],
    );
    t.is(latest.cursor, 11);
    t.deepEqual((await listAuditEvents(db, { type: 'login' })).events.length, 10);
    t.deepEqual(
      (await listAuditEvents(db, { type: 'login.failed' })).events.map((event) => event.seq),
      [11],
    );
    t.deepEqual((await listAuditEvents(db, { type: 'login.*' })).events.length, 10);
    t.deepEqual((await listAuditEvents(db, { type: 'log' })).events.length, 0, 'a type prefix is a whole segment');
    t.deepEqual(
      (await listAuditEvents(db, { userId: 'user-1' })).events.map((event) => event.seq),
      [1, 4, 7, 10],
      'actor or target',
    );
    t.deepEqual(
      (await listAuditEvents(db, { clientId: 'client-1', userId: 'user-1' })).events.map((event) => event.seq),
      [1, 7],
    );
    const window = { since: new Date('2025-05-03T00:00:00Z'), until: new Date('2025-05-05T00:00:00Z') };
    t.deepEqual(
      (await listAuditEvents(db, window)).events.map((event) => event.seq),
      [3, 4],
    );

    const after = await listAuditEvents(db, { afterSeq: 4, limit: 3 });
    t.deepEqual(
      after.events.map((event) => event.seq),
      [5, 6, 7],
    );
    t.is(after.cursor, 7);
    const rest = await listAuditEvents(db, { afterSeq: after.cursor, limit: 3, type: 'user' });
    t.deepEqual(
      rest.events.map((event) => event.seq),
      [10],
    );
    t.is(rest.cursor, 11, 'the cursor moves past non-matching events');
    t.deepEqual((await listAuditEvents(db, { afterSeq: 11 })).events, []);

    const page = await exportAuditEvents(db, { ...window, limit: 1 });
    t.deepEqual([page.events.map((event) => event.seq), page.next], [[3], 3]);
    const all = [];
    for await (const event of iterateAuditEvents(db, { since: new Date('2025-05-08T00:00:00Z') })) all.push(event.seq);
    t.deepEqual(all, [8, 9, 10, 11], 'the two last events were recorded at the clock of day 9');
  });
}

test.serial('[postgres] two writers (two processes) append to one chain: all events, one valid chain', async (t) => {
  const { created, key, other } = await twoProcesses(t);
  const first = createAuditTrail({ db: created.db, key, logger: capturingLogger(), batchSize: 25, flushIntervalMs: 5 });
  const second = createAuditTrail({ db: other, key, logger: capturingLogger(), batchSize: 25, flushIntervalMs: 5 });
  const durable: Promise<void>[] = [];
  for (let round = 0; round < 20; round++) {
    for (let i = 0; i < 30; i++) {
      first.record(loginEvent(round * 1000 + i, { requestId: 'first' }));
      second.record(loginEvent(round * 1000 + i, { requestId: 'second' }));
    }
    durable.push(first.recordDurable(loginEvent(round, { type: 'account.locked', requestId: 'first' })));
    durable.push(second.recordDurable(loginEvent(round, { type: 'account.locked', requestId: 'second' })));
    await sleep(3);
  }
  await Promise.all(durable);
  await Promise.all([first.close(), second.close()]);

  t.is(await count(created.db), 2 * 20 * 31);
  t.like(await verifyAuditChain(created.db, key), { ok: true, checked: 1240, firstSeq: 1, lastSeq: 1240 });
  const { rows } = await created.db.query<{ writer: string; n: number }>(
    'SELECT request_id AS writer, count(*)::int AS n FROM audit_events GROUP BY 1 ORDER BY 1',
  );
  t.deepEqual(rows, [
    { writer: 'first', n: 620 },
    { writer: 'second', n: 620 },
  ]);
  // each writer's events keep their own order in the shared chain
  const order = await created.db.query<{ writer: string; n: number }>(
    "SELECT request_id AS writer, (details->>'n')::int AS n FROM audit_events WHERE type = 'login.succeeded' ORDER BY seq",
  );
  for (const writer of ['first', 'second']) {
    const ns = order.rows.filter((row) => row.writer === writer).map((row) => row.n);
    t.deepEqual(
      ns,
      [...ns].sort((a, b) => a - b),
      writer,
    );
  }
});

test.serial('[postgres] a locked writer between its head read and its insert is never overtaken by a one-statement append', async (t) => {
  const { created, key, other } = await twoProcesses(t);
  const audit = trail(t, created.db, key, { batchSize: 5, flushIntervalMs: 60_000 });
  for (let n = 1; n <= 5; n++) audit.record(loginEvent(n));
  await audit.flush();

  // another process appends the locked way (an admin change): lock, read the head ... and, before it
  // inserts, this writer's next batch is flushed
  let overtaken: Promise<void> | undefined;
  await other.transaction(async (tx) => {
    await lockAuditChain(tx);
    const head = await readAuditHead(tx, GENESIS_HASH);
    for (let n = 7; n <= 11; n++) audit.record(loginEvent(n));
    overtaken = audit.flush();
    await sleep(200);
    await appendLocked(tx, key, head, loginEvent(6));
  });
  await overtaken;
  t.deepEqual(
    await seqsAndNs(created.db),
    Array.from({ length: 11 }, (_, i) => ({ seq: i + 1, n: i + 1 })),
    'the locked writer kept its place; the batch came after it',
  );
  t.like(await verifyAuditChain(created.db, key), { ok: true, checked: 11 });
});

test.serial(
  '[postgres] a retention prune that removes the head a one-statement append is waiting to chain onto: no fork, no gap',
  async (t) => {
    // The append's statement takes its snapshot before it waits for the chain's lock, so its check
    // that the head still exists sees the head the prune is deleting: the seq primary key (the prune
    // appends its own event right after that head) must be what sends it the locked way.
    const { created, key, other } = await twoProcesses(t);
    const audit = trail(t, created.db, key, { batchSize: 5, flushIntervalMs: 60_000 });
    for (let n = 1; n <= 5; n++) audit.record(loginEvent(n));
    await audit.flush();

    let waiting: Promise<void> | undefined;
    await other.transaction(async (tx) => {
      // what pruneAuditEvents' final chunk does when every event is older than the cut-off
      await lockAuditChain(tx);
      for (let n = 7; n <= 11; n++) audit.record(loginEvent(n));
      waiting = audit.flush();
      await sleep(200); // the append's statement has begun and waits for the lock
      const hash = (await findAuditEventHash(tx, 5))!;
      const prunedAt = new Date();
      await pruneAuditEventsTo(tx, { seq: 5, hash, prunedAt, mac: anchorMac(key, { seq: 5, hash, prunedAt }) });
      const head = await readAuditHead(tx, GENESIS_HASH);
      t.deepEqual(head, { seq: 5, hash }, 'the head is now the anchor');
      await appendLocked(tx, key, head, loginEvent(6));
    });
    await waiting;
    t.deepEqual(
      await seqsAndNs(created.db),
      Array.from({ length: 6 }, (_, i) => ({ seq: i + 6, n: i + 6 })),
      "the batch came after the prune's event",
    );
    t.like(await verifyAuditChain(created.db, key), { ok: true, checked: 6 });
  },
);

test.serial(
  '[postgres] two processes running the retention prune at once: together they prune each event once, the chain verifies',
  async (t) => {
    const { created, key, other } = await twoProcesses(t);
    const audit = createAuditTrail({ db: created.db, key, logger: capturingLogger(), now: () => new Date('2025-01-01T00:00:00Z') });
    for (let n = 1; n <= 500; n++) audit.record(loginEvent(n));
    await audit.close();

    const olderThan = new Date('2025-02-01T00:00:00Z');
    const results = await Promise.all([
      pruneAuditEvents(created.db, key, olderThan, { chunkSize: 50 }),
      pruneAuditEvents(other, key, olderThan, { chunkSize: 50 }),
    ]);
    t.is(results[0].pruned + results[1].pruned, 500);
    t.is(await count(created.db), 1, 'one audit.pruned event');
    t.like(await verifyAuditChain(created.db, key), { ok: true, checked: 1, firstSeq: 501, anchorSeq: 500 });
  },
);
