// The outbox worker delivers queued emails to a real SMTP server over TCP: both parts, the right
// headers, absolute links; refusals and a server that is down are retried with backoff (the clock
// is moved, not waited for); two processes on one database send each email exactly once.
import test from 'ava';
import { emailDeliveryStates } from '../../src/storage/email-outbox.ts';
import { RETRY_BASE_MS } from '../../src/email/outbox-worker.ts';
import { startMailCatcher, type CatcherAnswer } from '../helpers/mail-catcher.ts';
import { freePort } from '../helpers/server-process.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';

const passwordChanged = (server: TestServer, name = 'Ann Example') => ({
  template: 'password-changed',
  data: { name, time: '3 December 2026, 21:00 UTC', accountUrl: `${server.config.issuer}/account` },
});

const enqueue = (server: TestServer, to: string, email = passwordChanged(server)) =>
  server.db.transaction((tx) => server.portcullis.emails.enqueue(tx, { to, ...email }));

/** A clock the test moves; the server's retries and deadlines follow it. */
const testClock = () => {
  let at = Date.now();
  return { now: () => new Date(at), advance: (ms: number) => (at += ms) };
};

const metric = async (server: TestServer, name: string) => {
  const text = await server.portcullis.metrics.registry.metrics();
  return Number(new RegExp(`^${name.replace(/[{}"]/g, '\\$&')} (\\d+)`, 'm').exec(text)?.[1] ?? 0);
};

for (const backend of BACKENDS) {
  test.serial(
    `[${backend.name}] a queued email arrives over SMTP: text and HTML, From/To/Subject, absolute links, then its payload is gone`,
    async (t) => {
      const mail = await startMailCatcher();
      t.teardown(() => mail.close());
      const server = await startTestServer(backend, { env: { SMTP_URL: mail.url, SMTP_FROM: 'Example Login <login@example.com>' } });
      t.teardown(() => server.close());

      await enqueue(server, 'ann@example.com');
      const email = await mail.waitFor('ann@example.com');
      t.deepEqual(email.envelope, { from: 'login@example.com', to: ['ann@example.com'] });
      t.is(email.subject, 'Your password was changed');
      t.is(email.headers.get('from') && JSON.stringify(email.headers.get('from')).includes('Example Login'), true);
      t.regex(email.raw, /^From: Example Login <login@example\.com>\r$/m);
      t.regex(email.raw, /^To: ann@example\.com\r$/m);
      t.regex(email.raw, /^Content-Type: multipart\/alternative;/m);
      t.regex(email.text, /Hello Ann Example,/);
      t.true(email.text.includes(`${server.config.issuer}/account`), 'the text part carries the absolute link');
      t.true(email.html.includes(`href="${server.config.issuer}/account"`), 'the HTML part links absolutely');
      t.regex(email.messageId, /^<outbox\.\d+\.[0-9a-z]+@127\.0\.0\.1>$/);

      await server.portcullis.outbox!.drain();
      const [state] = await emailDeliveryStates(server.db, 'ann@example.com');
      t.truthy(state?.sentAt);
      t.is(state?.payload, '', 'the link tokens are not kept once the email is sent');
      t.is(mail.messages.length, 1);
      t.is(await metric(server, 'portcullis_emails_sent_total'), 1);
    },
  );
}

test.serial('[pglite] refused (4xx, then 5xx) and the server down: retried with backoff, delivered once it accepts', async (t) => {
  const port = await freePort();
  const clock = testClock();
  const server = await startTestServer(BACKENDS[0]!, { env: { SMTP_URL: `smtp://127.0.0.1:${port}` }, now: clock.now });
  t.teardown(() => server.close());
  const worker = server.portcullis.outbox!;
  await enqueue(server, 'bob@example.com');
  await worker.drain();
  let [state] = await emailDeliveryStates(server.db, 'bob@example.com');
  t.is(state?.attempts, 1, 'tried at once, with nobody listening');
  t.is(state?.sentAt, null);
  t.regex(state?.lastError ?? '', /ECONNREFUSED|connect/i);
  t.is(state?.nextAttemptAt.getTime(), clock.now().getTime() + RETRY_BASE_MS);

  const refusals: CatcherAnswer[] = [
    { code: 451, message: 'Try again later' },
    { code: 550, message: 'Mailbox unavailable' },
  ];
  const mail = await startMailCatcher({ port, answer: (_email, attempt) => refusals[attempt] ?? 'accept' });
  t.teardown(() => mail.close());

  clock.advance(RETRY_BASE_MS - 1_000);
  await worker.drain();
  t.is(mail.received.length, 0, 'not before its time');
  clock.advance(1_000);
  await worker.drain();
  t.is(mail.received.length, 1);
  [state] = await emailDeliveryStates(server.db, 'bob@example.com');
  t.regex(state?.lastError ?? '', /451/);
  t.is(state?.nextAttemptAt.getTime(), clock.now().getTime() + 2 * RETRY_BASE_MS, 'the delay doubles');

  clock.advance(2 * RETRY_BASE_MS);
  await worker.drain();
  t.is(mail.received.length, 2);
  [state] = await emailDeliveryStates(server.db, 'bob@example.com');
  t.regex(state?.lastError ?? '', /550/);
  t.is(mail.messages.length, 0);

  clock.advance(4 * RETRY_BASE_MS);
  await worker.drain();
  const email = await mail.waitFor('bob@example.com');
  t.is(email.subject, 'Your password was changed');
  t.is(new Set(mail.received.map((received) => received.messageId)).size, 1, 'every attempt carries the same Message-ID');
  await worker.drain();
  t.is(mail.messages.length, 1);
  t.is(await metric(server, 'portcullis_emails_failed_total{outcome="retry"}'), 3);
  t.is(await metric(server, 'portcullis_emails_sent_total'), 1);
});

test.serial('[pglite] an email still refused a day after it was queued is given up: never tried again, its payload gone', async (t) => {
  const mail = await startMailCatcher({ answer: () => ({ code: 550, message: 'No such user' }) });
  t.teardown(() => mail.close());
  const clock = testClock();
  const server = await startTestServer(BACKENDS[0]!, { env: { SMTP_URL: mail.url }, now: clock.now });
  t.teardown(() => server.close());
  const worker = server.portcullis.outbox!;
  await enqueue(server, 'gone@example.com');
  await worker.drain();
  clock.advance(24 * 3_600_000);
  await worker.drain();
  const tried = mail.received.length;
  t.is(tried, 2);
  const [state] = await emailDeliveryStates(server.db, 'gone@example.com');
  t.truthy(state?.failedAt);
  t.is(state?.payload, '');
  clock.advance(7 * 24 * 3_600_000);
  await worker.drain();
  t.is(mail.received.length, tried, 'not tried again');
  t.is(await metric(server, 'portcullis_emails_failed_total{outcome="given_up"}'), 1);
});

test.serial('[postgres] two processes on one database deliver each email exactly once', async (t) => {
  const mail = await startMailCatcher({
    // slow enough that both workers are busy at once
    answer: () => new Promise<CatcherAnswer>((resolve) => setTimeout(() => resolve('accept'), 20)),
  });
  t.teardown(() => mail.close());
  const server = await startTestServer(BACKENDS[1]!, { env: { SMTP_URL: mail.url } });
  t.teardown(() => server.close());
  const sibling = await server.startSibling({ sharedIssuer: true });
  const recipients = Array.from({ length: 24 }, (_, index) => `user${index}@example.com`);
  await server.db.transaction(async (tx) => {
    for (const to of recipients) await server.portcullis.emails.enqueue(tx, { to, ...passwordChanged(server) });
  });
  await Promise.all(recipients.map((to) => mail.waitFor(to)));
  await Promise.all([server.portcullis.outbox!.drain(), sibling.portcullis.outbox!.drain()]);
  const counts = new Map<string, number>();
  for (const email of mail.received) for (const to of email.envelope.to) counts.set(to, (counts.get(to) ?? 0) + 1);
  t.deepEqual(
    [...counts.values()],
    recipients.map(() => 1),
  );
  t.is(mail.received.length, recipients.length);
  const sentBy = [await metric(server, 'portcullis_emails_sent_total'), await metric(sibling, 'portcullis_emails_sent_total')];
  t.is(sentBy[0]! + sentBy[1]!, recipients.length);
  t.true(
    sentBy.every((sent) => sent > 0),
    `both processes took part (${sentBy.join(' + ')})`,
  );
});

test.serial(
  '[pglite] smtps:// with credentials in SMTP_URL: TLS from the first byte, AUTH with them; a wrong password is retried, not lost',
  async (t) => {
    const credentials = { user: 'portcullis', pass: 'p@ss:w/rd' };
    const mail = await startMailCatcher({ tls: true, credentials });
    t.teardown(() => mail.close());
    const wrong = mail.url.replace(encodeURIComponent(credentials.pass), 'wrong');
    const clock = testClock();
    const refused = await startTestServer(BACKENDS[0]!, { env: { SMTP_URL: wrong }, now: clock.now });
    t.teardown(() => refused.close());
    await enqueue(refused, 'eve@example.com');
    await refused.portcullis.outbox!.drain();
    const [state] = await emailDeliveryStates(refused.db, 'eve@example.com');
    t.regex(state?.lastError ?? '', /535|auth/i);
    t.is(state?.sentAt, null);
    t.is(mail.received.length, 0);

    const server = await startTestServer(BACKENDS[0]!, { env: { SMTP_URL: mail.url } });
    t.teardown(() => server.close());
    await enqueue(server, 'fay@example.com');
    const email = await mail.waitFor('fay@example.com');
    t.is(email.subject, 'Your password was changed');
  },
);
