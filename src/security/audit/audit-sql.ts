// SQL shared by the audit writer and the audit queries: the row shape of `audit_events`, reading the
// head of the chain, and the parameterised multi-row insert (placeholders only, never values).
import type { Queryable } from '../../storage/database.ts';
import type { AuditOutcome } from './audit-event.ts';
import { GENESIS_HASH, type AuditAnchor, type ChainedAuditEvent } from './audit-chain.ts';

/** Every writer of the chain (any process) takes this transaction-scoped advisory lock first. */
export const AUDIT_LOCK_KEY = 'portcullis:audit';

export const lockChain = (tx: Queryable) => tx.query('SELECT pg_advisory_xact_lock(hashtext($1))', [AUDIT_LOCK_KEY]);

export const EVENT_COLUMNS =
  'seq, id, occurred_at, type, outcome, actor_type, actor_id, target_type, target_id, client_id, ip, user_agent, request_id, details, prev_hash, hash';

export interface AuditEventRow {
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

export function rowToEvent(row: AuditEventRow): ChainedAuditEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    occurredAt: toDate(row.occurred_at),
    type: row.type,
    outcome: row.outcome as AuditOutcome,
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

interface AnchorRow {
  seq: string | number;
  hash: string;
  pruned_at: Date | string;
  mac: string;
}

export interface StoredAnchor extends AuditAnchor {
  mac: string;
}

/** Every anchor row (there is at most one unless someone bypassed the schema). */
export async function readAnchors(db: Queryable): Promise<StoredAnchor[]> {
  const { rows } = await db.query<AnchorRow>('SELECT seq, hash, pruned_at, mac FROM audit_chain_anchor');
  return rows.map((row) => ({ seq: Number(row.seq), hash: row.hash, prunedAt: toDate(row.pruned_at), mac: row.mac }));
}

/** The (seq, hash) the next event chains onto: the last event, else the anchor, else genesis. */
export async function readHead(tx: Queryable): Promise<{ seq: number; hash: string }> {
  const { rows } = await tx.query<{ seq: string | number; hash: string }>('SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1');
  if (rows[0]) return { seq: Number(rows[0].seq), hash: rows[0].hash };
  const anchors = await readAnchors(tx);
  if (anchors[0]) return { seq: anchors[0].seq, hash: anchors[0].hash };
  return { seq: 0, hash: GENESIS_HASH };
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
export async function insertEvents(tx: Queryable, events: readonly ChainedAuditEvent[]): Promise<void> {
  if (events.length === 0) return;
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
  await tx.query(
    `INSERT INTO audit_events (${EVENT_COLUMNS}) SELECT ${EVENT_COLUMNS} FROM jsonb_to_recordset($1::jsonb) AS e(${EVENT_RECORD})`,
    [JSON.stringify(rows)],
  );
}

/** The ids among `ids` that are already stored (a retried batch may have been committed before). */
export async function existingIds(tx: Queryable, ids: readonly string[]): Promise<Set<string>> {
  if (ids.length === 0) return new Set();
  const marks = ids.map((_, index) => `$${index + 1}::uuid`).join(', ');
  const { rows } = await tx.query<{ id: string }>(`SELECT id::text AS id FROM audit_events WHERE id IN (${marks})`, ids);
  return new Set(rows.map((row) => row.id));
}
