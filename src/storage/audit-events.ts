// The audit trail's tables: `audit_events`, the hash-chained events (append-only: a trigger refuses
// any change but the retention prune), and `audit_chain_anchor`, where the remaining chain starts
// after pruning. The chain itself (hashes, MACs, verification, retention) is security/audit's;
// here, the rows as they are read and written, with placeholders only, never values in the text.
import type { Queryable } from './database.ts';
import { sqlState, UNIQUE_VIOLATION } from './store-errors.ts';

/** Every writer of the chain (any process) takes this transaction-scoped advisory lock first. */
const AUDIT_LOCK_KEY = 'portcullis:audit';

export async function lockAuditChain(tx: Queryable): Promise<void> {
  await tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [AUDIT_LOCK_KEY]);
}

const EVENT_COLUMNS =
  'seq, id, occurred_at, type, outcome, actor_type, actor_id, target_type, target_id, client_id, ip, user_agent, request_id, details, prev_hash, hash';

/** One stored event, chain fields included. `outcome` holds what the table's CHECK allows. */
export interface StoredAuditEvent {
  seq: number;
  id: string;
  occurredAt: Date;
  type: string;
  outcome: 'success' | 'failure';
  actorType: string | null;
  actorId: string | null;
  targetType: string | null;
  targetId: string | null;
  clientId: string | null;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  details: Record<string, unknown> | null;
  prevHash: string;
  hash: string;
}

interface AuditEventRow {
  seq: string | number;
  id: string;
  occurred_at: Date | string;
  type: string;
  outcome: string;
  actor_type: string | null;
  actor_id: string | null;
  target_type: string | null;
  target_id: string | null;
  client_id: string | null;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  details: Record<string, unknown> | string | null;
  prev_hash: string;
  hash: string;
}

const toDate = (value: Date | string) => (value instanceof Date ? value : new Date(value));

function rowToEvent(row: AuditEventRow): StoredAuditEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    occurredAt: toDate(row.occurred_at),
    type: row.type,
    outcome: row.outcome as StoredAuditEvent['outcome'],
    actorType: row.actor_type,
    actorId: row.actor_id,
    targetType: row.target_type,
    targetId: row.target_id,
    clientId: row.client_id,
    ip: row.ip,
    userAgent: row.user_agent,
    requestId: row.request_id,
    details: typeof row.details === 'string' ? (JSON.parse(row.details) as Record<string, unknown>) : row.details,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** The point the remaining chain starts from after pruning, with the MAC that vouches for it. */
export interface StoredAuditAnchor {
  seq: number;
  hash: string;
  prunedAt: Date;
  mac: string;
}

interface AnchorRow {
  seq: string | number;
  hash: string;
  pruned_at: Date | string;
  mac: string;
}

/** Every anchor row (there is at most one unless someone bypassed the schema). */
export async function readAuditAnchors(db: Queryable): Promise<StoredAuditAnchor[]> {
  const { rows } = await db.query<AnchorRow>('SELECT seq, hash, pruned_at, mac FROM audit_chain_anchor');
  return rows.map((row) => ({ seq: Number(row.seq), hash: row.hash, prunedAt: toDate(row.pruned_at), mac: row.mac }));
}

/** The (seq, hash) the next event chains onto: the last event, else the anchor, else (0, `genesisHash`). */
export async function readAuditHead(tx: Queryable, genesisHash: string): Promise<{ seq: number; hash: string }> {
  const { rows } = await tx.query<{ seq: string | number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  if (rows[0]) return { seq: Number(rows[0].seq), hash: rows[0].hash };
  const anchors = await readAuditAnchors(tx);
  if (anchors[0]) return { seq: anchors[0].seq, hash: anchors[0].hash };
  return { seq: 0, hash: genesisHash };
}

/** The row type of one event as JSON, in the table's column order. */
const EVENT_RECORD =
  'seq bigint, id uuid, occurred_at timestamptz, type text, outcome text, actor_type text, actor_id text, target_type text, ' +
  'target_id text, client_id text, ip text, user_agent text, request_id text, details jsonb, prev_hash text, hash text';

/**
 * Inserts `events` in one statement with one parameter: the batch as a JSON array, unpacked by
 * jsonb_to_recordset. Serialising one JSON document costs a fraction of binding 16 parameters per
 * event, and the statement text is the same for every batch.
 */
export async function insertAuditEvents(tx: Queryable, events: readonly StoredAuditEvent[]): Promise<void> {
  if (events.length === 0) return;
  await tx.query(INSERT_EVENTS, [eventsAsJson(events)]);
}

const INSERT_EVENTS = `INSERT INTO audit_events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS e(${EVENT_RECORD})`;

/**
 * Appends `events`, already chained onto `head`, in ONE autocommit statement, if `head` is still an
 * event of the chain and nobody has appended after it: the writer's common case, where `head` is the
 * last event it stored itself. Returns false, having written nothing, otherwise (the caller then
 * takes the locked path: lock, read the head, chain, insert). Why it cannot fork or leave a gap:
 *   - the events' seqs follow head.seq, and seq is the primary key: if anyone appended after `head`
 *     (on any process), the insert meets their row and fails as a whole (23505);
 *   - the row (head.seq, head.hash) must exist, so a chain rewound before the statement began
 *     (restored, truncated) is not continued from a position it no longer has; one rewound while
 *     the statement waits for the lock (a retention prune: the statement's snapshot predates it)
 *     passes this check, and meets the rewinder's own event at head.seq + 1 instead (23505);
 *   - it takes the chain's advisory lock (once, before its first row), so a locked writer never sees
 *     a row appear between its head read and its own insert.
 */
export async function appendAuditEventsAfter(
  db: Queryable,
  head: { seq: number; hash: string },
  events: readonly StoredAuditEvent[],
): Promise<boolean> {
  if (events.length === 0) return true;
  try {
    const { rowCount } = await db.query(APPEND_AFTER_HEAD, [eventsAsJson(events), head.seq, head.hash, AUDIT_LOCK_KEY]);
    return rowCount === events.length;
  } catch (error) {
    if (sqlState(error) === UNIQUE_VIOLATION) return false;
    throw error;
  }
}

const APPEND_AFTER_HEAD =
  `INSERT INTO audit_events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS e(${EVENT_RECORD}) ` +
  'WHERE (SELECT count(*) FROM (SELECT pg_advisory_xact_lock(hashtext($4))) AS locked) = 1 ' +
  'AND EXISTS (SELECT 1 FROM audit_events WHERE seq = $2 AND hash = $3)';

function eventsAsJson(events: readonly StoredAuditEvent[]): string {
  const rows = events.map((event) => ({
    seq: event.seq,
    id: event.id,
    occurred_at: event.occurredAt.toISOString(),
    type: event.type,
    outcome: event.outcome,
    actor_type: event.actorType,
    actor_id: event.actorId,
    target_type: event.targetType,
    target_id: event.targetId,
    client_id: event.clientId,
    ip: event.ip,
    user_agent: event.userAgent,
    request_id: event.requestId,
    details: event.details,
    prev_hash: event.prevHash,
    hash: event.hash,
  }));
  return JSON.stringify(rows);
}

/** The ids among `ids` that are already stored (a retried batch may have been committed before). */
export async function existingAuditEventIds(tx: Queryable, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const marks = ids.map((_, index) => `$${index + 1}::uuid`).join(', ');
  const { rows } = await tx.query<{ id: string }>(`SELECT id::text AS id FROM audit_events WHERE id IN (${marks})`, ids);
  return new Set(rows.map((row) => row.id));
}

/** Which events to read; every condition given must hold. */
export interface AuditEventSelection {
  /** `login` matches `login` and every `login.…` type; a trailing `.*` is accepted. */
  type?: string;
  /** Events whose actor or target is this user. */
  userId?: string;
  clientId?: string;
  /** occurred_at >= since */
  since?: Date;
  /** occurred_at < until */
  until?: Date;
  /** seq > afterSeq */
  afterSeq?: number;
  /** seq <= upToSeq */
  upToSeq?: number;
  /** By seq: oldest first (asc) or newest first (desc). */
  order: 'asc' | 'desc';
  limit: number;
}

export async function selectAuditEvents(db: Queryable, selection: AuditEventSelection): Promise<StoredAuditEvent[]> {
  const params: unknown[] = [];
  const add = (value: unknown) => {
    params.push(value);
    return `$${params.length}`;
  };
  const conditions: string[] = [];
  if (selection.upToSeq !== undefined) conditions.push(`seq <= ${add(selection.upToSeq)}`);
  if (selection.type !== undefined) {
    const type = selection.type.replace(/\.\*$/, '');
    conditions.push(`(type = ${add(type)} OR starts_with(type, ${add(`${type}.`)}))`);
  }
  if (selection.userId !== undefined) {
    const user = add(selection.userId);
    conditions.push(`((actor_type = 'user' AND actor_id = ${user}) OR (target_type = 'user' AND target_id = ${user}))`);
  }
  if (selection.clientId !== undefined) conditions.push(`client_id = ${add(selection.clientId)}`);
  if (selection.since !== undefined) conditions.push(`occurred_at >= ${add(selection.since.toISOString())}::timestamptz`);
  if (selection.until !== undefined) conditions.push(`occurred_at < ${add(selection.until.toISOString())}::timestamptz`);
  if (selection.afterSeq !== undefined) conditions.push(`seq > ${add(selection.afterSeq)}`);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const order = selection.order === 'desc' ? 'DESC' : 'ASC';
  const sql = `SELECT ${EVENT_COLUMNS} FROM audit_events ${where} ORDER BY seq ${order} LIMIT ${add(selection.limit)}`;
  const { rows } = await db.query<AuditEventRow>(sql, params);
  return rows.map(rowToEvent);
}

// ---------------------------------------------------------------- retention

/**
 * Where a prune of the events before `olderThan` would cut: the first event kept (the first that
 * occurred at or after it, null if none) and the last event (null: the table is empty).
 */
export async function findAuditPruneCut(db: Queryable, olderThan: Date): Promise<{ firstKept: number | null; last: number | null }> {
  const { rows } = await db.query<{ first_kept: string | number | null; last: string | number | null }>(
    'SELECT (SELECT min(seq) FROM audit_events WHERE occurred_at >= $1::timestamptz) AS first_kept, (SELECT max(seq) FROM audit_events) AS last',
    [olderThan.toISOString()],
  );
  const number = (value: string | number | null | undefined) => (value === null || value === undefined ? null : Number(value));
  return { firstKept: number(rows[0]?.first_kept), last: number(rows[0]?.last) };
}

/** The hash of the event at `seq`, if it is stored. */
export async function findAuditEventHash(tx: Queryable, seq: number): Promise<string | undefined> {
  const { rows } = await tx.query<{ hash: string }>('SELECT hash FROM audit_events WHERE seq = $1', [seq]);
  return rows[0]?.hash;
}

/**
 * Deletes the events up to `seq` and moves the anchor there, in the caller's transaction (which
 * holds the chain's lock): the table's trigger lets a delete through only in a transaction that
 * says it prunes (migrations/0002_audit.sql). Returns how many events went.
 */
export async function pruneAuditEventsTo(tx: Queryable, anchor: StoredAuditAnchor): Promise<number> {
  await tx.query("SELECT set_config('portcullis.audit_prune', 'on', true)");
  await tx.query(
    `INSERT INTO audit_chain_anchor (singleton, seq, hash, pruned_at, mac) VALUES (true, $1, $2, $3::timestamptz, $4)
     ON CONFLICT (singleton) DO UPDATE SET seq = excluded.seq, hash = excluded.hash, pruned_at = excluded.pruned_at, mac = excluded.mac`,
    [anchor.seq, anchor.hash, anchor.prunedAt.toISOString(), anchor.mac],
  );
  const { rowCount } = await tx.query('DELETE FROM audit_events WHERE seq <= $1', [anchor.seq]);
  return rowCount;
}
