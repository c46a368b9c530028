// Header injection through an email: a recipient, a name or a subject carrying line breaks,
// a second address or markup must not add a header, a recipient or live HTML; a link outside
// ISSUER (phishing through our own mail server) is not sent. Delivered to a real SMTP server.
import { fileURLToPath } from 'node:url';
import test, { type ExecutionContext } from 'ava';
import { createEmailRenderer } from '../../src/email/email-renderer.ts';
import { createMailTransport } from '../../src/email/mail-transport.ts';
import { encrypt } from '../../src/security/encryption.ts';
import { emailDeliveryStates, insertQueuedEmail } from '../../src/storage/email-outbox.ts';
import { startMailCatcher, type MailCatcher } from '../helpers/mail-catcher.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { parseConfig } from '../../src/config.ts';

const HOSTILE_RECIPIENTS = [
  'victim@example.com\r\nBcc: evil@example.com',
  'victim@example.com\nTo: evil@example.com',
  'victim@example.com, evil@example.com',
  'victim@example.com;evil@example.com',
  'Victim <victim@example.com>',
  '"evil@example.com" victim@example.com',
  'victim@example.com\u2028Bcc: evil@example.com',
  'victim@example.com\u0000evil@example.com',
];

const noticeData = (server: TestServer, name = 'Victim') => ({
  name,
  time: 'now',
  accountUrl: `${server.config.issuer}/account`,
});

async function deliveringServer(t: ExecutionContext): Promise<{ mail: MailCatcher; server: TestServer }> {
  const mail = await startMailCatcher();
  t.teardown(() => mail.close());
  const server = await startTestServer(BACKENDS[0]!, { env: { SMTP_URL: mail.url } });
  t.teardown(() => server.close());
  return { mail, server };
}

test.serial('a recipient with line breaks, a second address or a display name cannot be queued: the change fails', async (t) => {
  const { mail, server } = await deliveringServer(t);
  for (const to of HOSTILE_RECIPIENTS) {
    await t.throwsAsync(
      server.db.transaction((tx) => server.portcullis.emails.enqueue(tx, { to, template: 'password-changed', data: noticeData(server) })),
      undefined,
      JSON.stringify(to),
    );
  }
  const { rows } = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM email_outbox');
  t.is(rows[0]?.n, 0, 'nothing was queued');
  await server.portcullis.outbox!.drain();
  t.is(mail.received.length, 0);
});

test.serial('a hostile recipient written straight into the outbox is refused by the worker: nobody receives anything', async (t) => {
  const { mail, server } = await deliveringServer(t);
  const { encryptionKey } = server.portcullis.keys;
  const storable = HOSTILE_RECIPIENTS.filter((recipient) => !recipient.includes('\u0000')); // PostgreSQL text holds no NUL
  await server.db.transaction(async (tx) => {
    for (const recipient of storable)
      await insertQueuedEmail(tx, { recipient, template: 'password-changed' }, (id) =>
        encrypt(encryptionKey, JSON.stringify(noticeData(server)), `email_outbox:${id}`),
      );
  });
  await server.portcullis.outbox!.drain();
  t.is(mail.received.length, 0);
  const { rows } = await server.db.query<{ n: number }>('SELECT count(*)::int AS n FROM email_outbox WHERE failed_at IS NOT NULL');
  t.is(rows[0]?.n, storable.length, 'each one is given up');
});

test.serial('a name with CRLF, a Bcc header and markup adds no header and no recipient, and shows as text', async (t) => {
  const { mail, server } = await deliveringServer(t);
  const name = 'Eve\r\nBcc: evil@example.com\r\nSubject: Hacked\r\n\r\n<script>alert(1)</script><img src="https://evil.example/x">';
  await server.db.transaction((tx) =>
    server.portcullis.emails.enqueue(tx, { to: 'victim@example.com', template: 'password-changed', data: noticeData(server, name) }),
  );
  const email = await mail.waitFor('victim@example.com');
  t.deepEqual(email.envelope.to, ['victim@example.com']);
  t.false(email.headers.has('bcc'));
  t.is(email.subject, 'Your password was changed');
  const headerSection = email.raw.slice(0, email.raw.indexOf('\r\n\r\n'));
  t.notRegex(headerSection, /^(Bcc|Subject: Hacked)/im);
  t.false(email.html.includes('<script'), 'no live script');
  t.false(email.html.includes('<img'), 'no remote image');
  t.true(email.html.includes('&lt;script&gt;'), 'the markup is shown as text');
  t.true(email.text.includes('Eve Bcc: evil@example.com'), 'the line breaks became spaces');
  await server.portcullis.outbox!.drain();
  t.is(mail.received.length, 1);
});

test.serial('a name in the subject cannot end the subject line and forge a header', async (t) => {
  const mail = await startMailCatcher();
  t.teardown(() => mail.close());
  const render = createEmailRenderer('http://localhost:1', fileURLToPath(new URL('../helpers/email-views/', import.meta.url)));
  const rendered = render('hostile-subject', { name: 'Eve\r\nBcc: evil@example.com\nX-Evil: 1' });
  t.is(rendered.subject, 'Hello Eve Bcc: evil@example.com X-Evil: 1');
  const transport = createMailTransport({
    smtpUrl: mail.url,
    from: { name: 'Portcullis', address: 'no-reply@example.com' },
    outboxDir: '',
  });
  t.teardown(() => transport.close());
  await transport.send({ id: '1', to: 'victim@example.com', messageId: '<1@example.com>', ...rendered });
  const email = await mail.waitFor('victim@example.com');
  t.false(email.headers.has('bcc'));
  t.false(email.headers.has('x-evil'));
  t.deepEqual(email.envelope.to, ['victim@example.com']);
});

test.serial('a link outside ISSUER (phishing through our mail server) is not sent', async (t) => {
  const { mail, server } = await deliveringServer(t);
  for (const accountUrl of [
    'https://evil.example/account',
    `${server.config.issuer}.evil.example/account`,
    '/account',
    'javascript:alert(1)',
  ]) {
    await server.db.transaction((tx) =>
      server.portcullis.emails.enqueue(tx, {
        to: 'victim@example.com',
        template: 'password-changed',
        data: { ...noticeData(server), accountUrl },
      }),
    );
  }
  await server.portcullis.outbox!.drain();
  t.is(mail.received.length, 0);
  const states = await emailDeliveryStates(server.db, 'victim@example.com');
  t.true(states.every((state) => state.failedAt !== null && state.payload === ''));
});

test('SMTP_FROM with a line break or a second address, and SMTP_URL of another scheme, refuse to start', (t) => {
  for (const from of [
    'a@example.com\r\nBcc: evil@example.com',
    'a@example.com, evil@example.com',
    'Name <a@example.com> evil@example.com',
    'Na"me <a@example.com>',
  ])
    t.false(parseConfig({ SMTP_FROM: from }).ok, JSON.stringify(from));
  const refused = parseConfig({ SMTP_URL: 'http://mail.example.com' });
  t.deepEqual(refused.ok ? [] : refused.problems, ['SMTP_URL: must be an smtp:// or smtps:// URL']);
});
