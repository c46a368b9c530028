// A real SMTP server for tests (smtp-server, over TCP on 127.0.0.1): what a user's mailbox would
// receive, parsed (mailparser). Give its `url` to a test server as SMTP_URL and the server delivers:
//   const mail = await startMailCatcher();
//   const server = await startTestServer(backend, { env: { SMTP_URL: mail.url } });
//   const email = await mail.waitFor('ann@example.com', (m) => m.subject.includes('password'));
import { once } from 'node:events';
import { EventEmitter } from 'node:events';
import type { AddressInfo } from 'node:net';
import { simpleParser, type HeaderValue } from 'mailparser';
import { SMTPServer } from 'smtp-server';

export interface CaughtEmail {
  /** The SMTP envelope: who the sender said it is from, and every RCPT TO. */
  envelope: { from: string; to: string[] };
  subject: string;
  text: string;
  /** The HTML part as sent ('' when there was none). */
  html: string;
  /** Header names in lower case (mailparser's parsed values). */
  headers: Map<string, HeaderValue>;
  messageId: string;
  /** The message as it came over the wire. */
  raw: string;
}

/** How the server answers one message: accept it, or refuse it with an SMTP reply (4xx: try later, 5xx: refused). */
export type CatcherAnswer = 'accept' | { code: number; message: string };

export interface MailCatcherOptions {
  /**
   * Decides each message (`attempt` counts every DATA received, from 0). The message is only
   * accepted when the returned promise resolves: a promise that waits holds the sender mid-SMTP.
   * Default: accept everything.
   */
  answer?: (email: CaughtEmail, attempt: number) => CatcherAnswer | Promise<CatcherAnswer>;
  /** Listen on this port (a test that starts the server "down" reserves one with freePort()). Default: any free port. */
  port?: number;
  /** TLS from the first byte (smtps://, smtp-server's own self-signed certificate); `url` then says not to verify it. */
  tls?: boolean;
  /** Require AUTH with these (and refuse any other); `url` then carries them. */
  credentials?: { user: string; pass: string };
}

export interface MailCatcher {
  /**
   * What a sender's SMTP_URL should be: smtp://127.0.0.1:<port> (plain SMTP, no STARTTLS, no AUTH), or
   * with `tls` smtps://…?tls.rejectUnauthorized=false, with `credentials` user:pass@ in it.
   */
  url: string;
  port: number;
  /** Accepted messages, in order. */
  messages: CaughtEmail[];
  /** Every message received, accepted or not (refused, held), in order. */
  received: CaughtEmail[];
  /**
   * The first accepted message to `to` (an envelope recipient, any case) that `predicate` accepts,
   * already here or still to come; rejects after `timeoutMs` (default 15 s), naming what did arrive.
   */
  waitFor(to: string, predicate?: (email: CaughtEmail) => boolean, options?: { timeoutMs?: number }): Promise<CaughtEmail>;
  /** Resolves once `count` messages were received (accepted or not): to know a sender is mid-SMTP. */
  waitForReceived(count: number, options?: { timeoutMs?: number }): Promise<CaughtEmail>;
  close(): Promise<void>;
}

const addressOf = (address: false | { address: string }) => (address ? address.address : '');

export async function startMailCatcher(options: MailCatcherOptions = {}): Promise<MailCatcher> {
  const messages: CaughtEmail[] = [];
  const received: CaughtEmail[] = [];
  const events = new EventEmitter();
  events.setMaxListeners(100);

  const server = new SMTPServer({
    secure: options.tls ?? false,
    authOptional: !options.credentials,
    disabledCommands: options.credentials ? ['STARTTLS'] : ['AUTH', 'STARTTLS'],
    onAuth(auth, _session, callback) {
      const { credentials } = options;
      if (credentials && auth.username === credentials.user && auth.password === credentials.pass) callback(null, { user: auth.username });
      else callback(Object.assign(new Error('Invalid username or password'), { responseCode: 535 }));
    },
    logger: false,
    closeTimeout: 500,
    // a message is read whole before it is answered
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        void simpleParser(raw)
          .then(async (parsed) => {
            const email: CaughtEmail = {
              envelope: { from: addressOf(session.envelope.mailFrom), to: session.envelope.rcptTo.map((rcpt) => rcpt.address) },
              subject: parsed.subject ?? '',
              text: parsed.text ?? '',
              html: typeof parsed.html === 'string' ? parsed.html : '',
              headers: parsed.headers,
              messageId: parsed.messageId ?? '',
              raw,
            };
            const attempt = received.push(email) - 1;
            events.emit('received');
            const answer = options.answer ? await options.answer(email, attempt) : 'accept';
            if (answer === 'accept') {
              messages.push(email);
              callback(null);
              events.emit('accepted');
            } else {
              callback(Object.assign(new Error(answer.message), { responseCode: answer.code }));
            }
          })
          .catch((error: unknown) => callback(error as Error));
      });
    },
  });
  server.on('error', () => {}); // a sender killed mid-SMTP resets its socket: not the test's failure
  server.listen(options.port ?? 0, '127.0.0.1');
  await once(server.server, 'listening');
  const { port } = server.server.address() as AddressInfo;

  const waitUntil = <T>(event: string, find: () => T | undefined, timeoutMs: number, describe: () => string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const check = () => {
        const found = find();
        if (found === undefined) return;
        clearTimeout(timer);
        events.off(event, check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        events.off(event, check);
        reject(new Error(describe()));
      }, timeoutMs);
      events.on(event, check);
      check();
    });

  const userInfo = options.credentials
    ? `${encodeURIComponent(options.credentials.user)}:${encodeURIComponent(options.credentials.pass)}@`
    : '';
  return {
    url: options.tls ? `smtps://${userInfo}127.0.0.1:${port}?tls.rejectUnauthorized=false` : `smtp://${userInfo}127.0.0.1:${port}`,
    port,
    messages,
    received,
    waitFor(to, predicate = () => true, waitOptions = {}) {
      const wanted = to.toLowerCase();
      return waitUntil(
        'accepted',
        () => messages.find((email) => email.envelope.to.some((rcpt) => rcpt.toLowerCase() === wanted) && predicate(email)),
        waitOptions.timeoutMs ?? 15_000,
        () =>
          `no email to ${to} arrived in time; accepted: ${JSON.stringify(messages.map((email) => ({ to: email.envelope.to, subject: email.subject })))}`,
      );
    },
    waitForReceived(count, waitOptions = {}) {
      return waitUntil(
        'received',
        () => received[count - 1],
        waitOptions.timeoutMs ?? 15_000,
        () => `only ${received.length} of ${count} messages were received in time`,
      );
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
