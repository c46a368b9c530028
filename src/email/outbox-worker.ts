// Delivers the email outbox (migrations/0015): off the request path, one email at a time per process.
//
// Exclusivity: a row is picked with FOR UPDATE SKIP LOCKED inside a transaction that lasts until the
// row is marked sent (or failed) — on PostgreSQL, while one process sends an email no other process
// can pick it, and if that process dies its connection closes, the lock goes with it, and the row
// is due again at once for whichever process looks next. PGlite has a single process (the DATA_DIR
// lock) whose transactions block the whole database, so there the row is picked and marked in
// separate statements: the worker's one loop is all the exclusivity needed.
//
// What is guaranteed: a committed email is sent at least once, unless it is given up (retried with
// exponential backoff for EMAIL_GIVE_UP_MS, or undeliverable); it is sent twice only if the process
// dies (or the database is lost) after the SMTP server accepted it and before the row is marked
// sent. Every attempt at a row carries the same Message-ID, so such a copy is recognisable.
import type { Logger } from '../observability/logger.ts';
import type { Database, Queryable } from '../storage/database.ts';
import {
  EMAIL_QUEUED_CHANNEL,
  lockNextDueEmail,
  markEmailFailed,
  markEmailRetry,
  markEmailSent,
  type DueEmailRow,
} from '../storage/email-outbox.ts';
import { isPlainMailbox } from './email-address.ts';
import type { EmailQueue } from './email-queue.ts';
import { UndeliverableEmailError, type RenderEmail } from './email-renderer.ts';
import type { MailTransport } from './mail-transport.ts';

/** First retry after this; each further failure doubles it, up to RETRY_MAX_MS. */
export const RETRY_BASE_MS = 30_000;
export const RETRY_MAX_MS = 60 * 60_000;
/** An email still undelivered this long after it was queued is given up (and logged as an error). */
export const EMAIL_GIVE_UP_MS = 24 * 60 * 60_000;
/** How often the worker looks for rows it was not told about (another process's, a retry come due). */
const POLL_MS = 5_000;

export interface OutboxWorkerDeps {
  /** The driver itself: a send inside a transaction is not a slow query for the store metrics. */
  db: Database;
  queue: Pick<EmailQueue, 'open'>;
  render: RenderEmail;
  transport: MailTransport;
  logger: Logger;
  metrics: { emailSent(): void; emailFailed(outcome: 'retry' | 'given_up'): void };
  now: () => Date;
  /** The right-hand side of every Message-ID: the issuer's host. */
  messageIdHost: string;
}

export interface OutboxWorker {
  /** Looks for due emails now (after an enqueue, or after a test moved the clock). */
  wake(): void;
  /** Wakes, and resolves once no due email is left (tests). */
  drain(): Promise<void>;
  /** Finishes the email being sent, then stops. */
  close(): Promise<void>;
}

/** Delay before the next attempt, after `attempts` failed ones (1, 2, …). */
export const retryDelayMs = (attempts: number): number => Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempts - 1, 20));

/** What an error may say in a log line or last_error: its message and codes, never a message body. */
function describeError(error: unknown): { message: string; code?: string; responseCode?: number } {
  if (!(error instanceof Error)) return { message: 'unknown error' };
  const { code, responseCode } = error as { code?: unknown; responseCode?: unknown };
  return {
    message: error.message.slice(0, 500),
    ...(typeof code === 'string' ? { code } : {}),
    ...(typeof responseCode === 'number' ? { responseCode } : {}),
  };
}

export async function startOutboxWorker(deps: OutboxWorkerDeps): Promise<OutboxWorker> {
  const { db, logger } = deps;
  let running: Promise<void> | undefined;
  let again = false;
  let stopped = false;

  const messageId = (row: DueEmailRow) => `<outbox.${row.id}.${row.createdAt.getTime().toString(36)}@${deps.messageIdHost}>`;

  /** Sends one row; says how it went, never throws. */
  async function attempt(row: DueEmailRow): Promise<{ ok: true } | { ok: false; error: unknown }> {
    try {
      if (!isPlainMailbox(row.recipient)) throw new UndeliverableEmailError('the recipient is not one plain address');
      let data: Record<string, string>;
      try {
        data = deps.queue.open(row);
      } catch {
        throw new UndeliverableEmailError('the payload cannot be opened (was SECRET_KEY changed?)');
      }
      const rendered = deps.render(row.template, data);
      const { path } = await deps.transport.send({ id: row.id, to: row.recipient, messageId: messageId(row), ...rendered });
      deps.metrics.emailSent();
      if (path)
        logger.info({ emailId: row.id, template: row.template, path }, 'email written to the outbox directory (SMTP_URL is not set)');
      else logger.info({ emailId: row.id, template: row.template, attempt: row.attempts + 1 }, 'email sent');
      return { ok: true };
    } catch (error) {
      return { ok: false, error };
    }
  }

  /** Picks, sends and marks the next due email through `q`; false when none is due. */
  async function deliverNext(q: Queryable): Promise<boolean> {
    const row = await lockNextDueEmail(q, deps.now());
    if (!row) return false;
    const outcome = await attempt(row);
    const now = deps.now();
    if (outcome.ok) {
      await markEmailSent(q, row.id, now);
      return true;
    }
    const error = describeError(outcome.error);
    const attempts = row.attempts + 1;
    const undeliverable = outcome.error instanceof UndeliverableEmailError;
    if (undeliverable || now.getTime() - row.createdAt.getTime() >= EMAIL_GIVE_UP_MS) {
      await markEmailFailed(q, row.id, error.message, now);
      deps.metrics.emailFailed('given_up');
      logger.error({ emailId: row.id, template: row.template, attempts, err: error }, 'email given up: it will not be sent');
    } else {
      const retryAt = new Date(now.getTime() + retryDelayMs(attempts));
      await markEmailRetry(q, row.id, error.message, retryAt);
      deps.metrics.emailFailed('retry');
      logger.warn({ emailId: row.id, template: row.template, attempts, retryAt, err: error }, 'email not sent: retrying later');
    }
    return true;
  }

  const deliverOne = () => (db.kind === 'postgres' ? db.transaction(deliverNext) : deliverNext(db));

  async function run(): Promise<void> {
    do {
      again = false;
      try {
        while (!stopped && (await deliverOne()));
      } catch (error) {
        // the database is away: the next poll tries again
        logger.warn({ err: describeError(error) }, 'email outbox: could not reach the database');
        return;
      }
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- wake() sets it while the loop awaits
    } while (again && !stopped);
  }

  function wake(): void {
    if (stopped) return;
    if (running) {
      again = true;
      return;
    }
    running = run().finally(() => {
      running = undefined;
    });
  }

  const unlisten = await db.listen(EMAIL_QUEUED_CHANNEL, wake);
  const poll = setInterval(wake, POLL_MS);
  poll.unref();
  wake();

  return {
    wake,
    async drain() {
      wake();
      while (running) await running;
    },
    async close() {
      stopped = true;
      clearInterval(poll);
      await unlisten();
      while (running) await running;
      deps.transport.close();
    },
  };
}
