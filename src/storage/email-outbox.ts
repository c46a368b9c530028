// The email outbox's table: queued in a change's transaction, delivered by the outbox worker.
import type { Queryable } from './database.ts';

export interface QueuedEmailRow {
  id: string;
  recipient: string;
  template: string;
  /** Sealed (encryption.ts) JSON of the template's data; the seal is bound to the row's id. */
  payload: string;
}

/** Reserves a row id first, so the payload can be sealed bound to it, then writes the row. */
export async function insertQueuedEmail(
  tx: Queryable,
  email: { recipient: string; template: string },
  seal: (id: string) => string,
): Promise<string> {
  const { rows } = await tx.query<{ id: string }>(`SELECT nextval(pg_get_serial_sequence('email_outbox', 'id'))::text AS id`);
  const id = rows[0]!.id;
  await tx.query('INSERT INTO email_outbox (id, recipient, template, payload) VALUES ($1, $2, $3, $4)', [
    id,
    email.recipient,
    email.template,
    seal(id),
  ]);
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
