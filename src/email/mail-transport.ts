// Where a rendered email goes: the SMTP server of SMTP_URL (nodemailer), or, without one, an RFC 5322
// file DATA_DIR/outbox/<id>.eml (nodemailer's stream transport composes it), so `npm start` works with
// no mail server and a developer opens the file to follow a link.
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTransport } from 'nodemailer';

export interface EmailSettings {
  /** SMTP_URL (may carry credentials: never log it); undefined writes .eml files to `outboxDir`. */
  readonly smtpUrl: string | undefined;
  readonly from: { readonly name: string; readonly address: string };
  /** Where emails go without SMTP_URL: DATA_DIR/outbox. */
  readonly outboxDir: string;
}

export interface MailMessage {
  /** The outbox row's id: names the .eml file. */
  id: string;
  to: string;
  subject: string;
  text: string;
  html: string;
  /** The same for every attempt at one row: a copy sent twice is recognisable as one message. */
  messageId: string;
}

export interface MailTransport {
  /** For the start-up log: the SMTP host and port, or the outbox directory (never credentials). */
  readonly description: string;
  /** Resolves once the server accepted the message (or the file is written): to the file's path, if any. */
  send(message: MailMessage): Promise<{ path?: string }>;
  close(): void;
}

// Bounds on one SMTP exchange (SMTP_URL's query may set others): a stalled server fails the attempt,
// which is retried later, rather than holding the worker.
const SMTP_TIMEOUTS = { connectionTimeout: 15_000, greetingTimeout: 15_000, socketTimeout: 60_000 };
/** An attempt that has not finished after this is abandoned (and retried later). */
const SEND_DEADLINE_MS = 3 * 60_000;

export function createMailTransport(settings: EmailSettings): MailTransport {
  // the message is built from our own strings only: no attachment may read a file or fetch a URL
  const composing = { disableFileAccess: true, disableUrlAccess: true };
  const mail = (message: MailMessage) => ({
    from: { name: settings.from.name, address: settings.from.address },
    to: message.to,
    // exactly one recipient in the SMTP envelope, whatever the headers say
    envelope: { from: settings.from.address, to: [message.to] },
    subject: message.subject,
    text: message.text,
    html: message.html,
    messageId: message.messageId,
    signal: AbortSignal.timeout(SEND_DEADLINE_MS),
  });

  if (settings.smtpUrl) {
    const url = new URL(settings.smtpUrl);
    const transport = createTransport({ url: settings.smtpUrl, ...SMTP_TIMEOUTS, ...composing });
    return {
      description: `${url.protocol}//${url.host}`,
      async send(message) {
        await transport.sendMail(mail(message));
        return {};
      },
      close: () => transport.close(),
    };
  }

  const transport = createTransport({ streamTransport: true, buffer: true, newline: 'windows', ...composing });
  return {
    description: settings.outboxDir,
    async send(message) {
      const info = await transport.sendMail(mail(message));
      await mkdir(settings.outboxDir, { recursive: true, mode: 0o700 });
      const path = join(settings.outboxDir, `${message.id}.eml`);
      // written whole or not at all: a reader never sees half a message
      await writeFile(`${path}.tmp`, info.message as Buffer, { mode: 0o600 });
      await rename(`${path}.tmp`, path);
      return { path };
    },
    close: () => transport.close(),
  };
}
