// The email outbox's table: queued in a change's transaction, delivered by the outbox worker.
import { NOTIFY_SQL, type Queryable } from './database.ts';

/** Announced (at commit) when an email is queued: every process's worker wakes instead of waiting for its poll. */
export const EMAIL_QUEUED_CHANNEL = 'portcullis_email';

export interface QueuedEmailRow {
  id: string;
  recipient: string;
  template: string;
  /** Sealed (encryption.ts) JSON of the template's data; the seal is bound to the row's id. Empty once sent or given up. */
  payload: string;
}

export interface DueEmailRow extends QueuedEmailRow {
  /** Attempts made before this one. */
  attempts: number;
  createdAt: Date;
}

/** Reserves a row id first, so the payload can be sealed bound to it, then writes the row. */
export async function insertQueuedEmail(
  tx: Queryable,
  email: { recipient: string; template: string; at?: Date },
  seal: (id: string) => string,
): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(`SELECT nextval(pg_get_serial_sequence('email_outbox', 'id'))::text AS id`);
  const id = rows[0]!.id;
  const at = email.at ?? new Date();
  await tx.query(
    'INSERT INTO email_outbox (id, recipient, template, payload, created_at, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $5)',
    [id, email.recipient, email.template, seal(id), at],
  );
  // delivered to listeners when (and only if) the transaction commits
  await tx.query(NOTIFY_SQL, [EMAIL_QUEUED_CHANNEL, id]);
  return id;
}

/** Every queued email to `recipient`, oldest first (tests and the CLI's diagnostics). */
export async function listQueuedEmails(db: Queryable, recipient: string): Promise<QueuedEmailRow[]> {
  const { rows } = await db.query<QueuedEmailRow>(
    'SELECT id::text AS id, recipient, template, payload FROM email_outbox WHERE lower(recipient) = lower($1) ORDER BY id',
    [recipient],
  );
  return rows;
}

/**
 * The next email due at `now`, neither sent nor given up. Its row stays locked until `tx` ends, and
 * other transactions skip it (FOR UPDATE SKIP LOCKED): while one process sends it, no other can pick it.
 */
export async function lockNextDueEmail(tx: Queryable, now: Date): Promise<DueEmailRow | undefined> {
  const { rows } = await tx.query<DueEmailRow>(
    `SELECT id::text AS id, recipient, template, payload, attempts, created_at AS "createdAt"
       FROM email_outbox
      WHERE sent_at IS NULL AND failed_at IS NULL AND next_attempt_at <= $1
      ORDER BY next_attempt_at, id
      LIMIT 1
      FOR UPDATE SKIP LOCKED`,
    [now],
  );
  return rows[0];
}

/** Sent: the payload (with its links' tokens) is emptied. */
export async function markEmailSent(tx: Queryable, id: string, now: Date): Promise<void> {
  await tx.query(`UPDATE email_outbox SET sent_at = $2, attempts = attempts + 1, payload = '', last_error = NULL WHERE id = $1`, [id, now]);
}

/** Failed this time: tried again at `retryAt`. */
export async function markEmailRetry(tx: Queryable, id: string, error: string, retryAt: Date): Promise<void> {
  await tx.query('UPDATE email_outbox SET attempts = attempts + 1, last_error = $2, next_attempt_at = $3 WHERE id = $1', [
    id,
    error,
    retryAt,
  ]);
}

/** Given up: never tried again; the payload is emptied. */
export async function markEmailFailed(tx: Queryable, id: string, error: string, now: Date): Promise<void> {
  await tx.query(`UPDATE email_outbox SET failed_at = $2, attempts = attempts + 1, payload = '', last_error = $3 WHERE id = $1`, [
    id,
    now,
    error,
  ]);
}

export interface EmailDeliveryState {
  id: string;
  template: string;
  attempts: number;
  nextAttemptAt: Date;
  sentAt: Date | null;
  failedAt: Date | null;
  lastError: string | null;
  payload: string;
}

/** How the emails to `recipient` fared, oldest first (tests and diagnostics). */
export async function emailDeliveryStates(db: Queryable, recipient: string): Promise<EmailDeliveryState[]> {
  const { rows } = await db.query<EmailDeliveryState>(
    `SELECT id::text AS id, template, attempts, next_attempt_at AS "nextAttemptAt", sent_at AS "sentAt", failed_at AS "failedAt",
            last_error AS "lastError", payload
       FROM email_outbox WHERE lower(recipient) = lower($1) ORDER BY id`,
    [recipient],
  );
  return rows;
}

/** Sent and given-up emails go a week after (storage/prune.ts); their payload is already empty. */
export async function pruneFinishedEmails(db: Queryable): Promise<void> {
  await db.query(`DELETE FROM email_outbox WHERE sent_at < now() - interval '7 days' OR failed_at < now() - interval '7 days'`);
}
