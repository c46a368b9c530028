// The outbox across real server processes (src/main.ts): without SMTP_URL the email lands in
// DATA_DIR/outbox as a file; a process killed (SIGKILL) after the email was committed and before it
// was sent loses nothing and sends nothing twice: after a restart it arrives exactly once.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';
import { simpleParser } from 'mailparser';
import { parseConfig } from '../../src/config.ts';
import { createEmailQueue } from '../../src/email/email-queue.ts';
import { deriveKeys } from '../../src/security/derived-keys.ts';
import type { Database } from '../../src/storage/database.ts';
import { emailDeliveryStates } from '../../src/storage/email-outbox.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { openStores } from '../../src/storage/stores.ts';
import { startMailCatcher, type CatcherAnswer } from '../helpers/mail-catcher.ts';
import { startServerProcess } from '../helpers/server-process.ts';
import { createTestDatabase } from '../helpers/stores.ts';

const ISSUER = 'http://localhost:8999';
const SECRET_KEY = randomBytes(32).toString('base64url');

const tempDataDir = (t: ExecutionContext) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-mail-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const queueNotice = (db: Database, to: string) =>
  db.transaction((tx) =>
    createEmailQueue({ encryptionKey: deriveKeys(SECRET_KEY).encryptionKey }).enqueue(tx, {
      to,
      template: 'password-changed',
      data: { name: 'Cleo', time: 'just now', accountUrl: `${ISSUER}/account` },
    }),
  );

/** Runs `work` on the embedded database of `dataDir` (no server may hold it meanwhile). */
async function withEmbedded<T>(dataDir: string, work: (db: Database) => Promise<T>): Promise<T> {
  const parsed = parseConfig({ DATA_DIR: dataDir, SECRET_KEY });
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  const stores = await openStores(parsed.config);
  try {
    await migrate(stores.db);
    return await work(stores.db);
  } finally {
    await stores.close();
  }
}

test.serial('[embedded] without SMTP_URL the email is written to DATA_DIR/outbox/<id>.eml and its path logged', async (t) => {
  const dataDir = tempDataDir(t);
  await withEmbedded(dataDir, (db) => queueNotice(db, 'cleo@example.com'));
  const server = await startServerProcess({ DATA_DIR: dataDir, SECRET_KEY, ISSUER }, { timeoutMs: 90_000 });
  t.teardown(() => void server.stop());
  const outbox = join(dataDir, 'outbox');
  const logged = await new Promise<{ path: string }>((resolve) => {
    const look = () => {
      const line = server
        .output()
        .split('\n')
        .find((text) => text.includes('email written to the outbox directory'));
      if (line) resolve(JSON.parse(line) as { path: string });
      else setTimeout(look, 50);
    };
    look();
  });
  t.deepEqual(readdirSync(outbox), ['1.eml']);
  t.is(logged.path, join(outbox, '1.eml'));
  const email = await simpleParser(readFileSync(logged.path));
  t.is(email.subject, 'Your password was changed');
  t.is(email.to && !Array.isArray(email.to) ? email.to.text : '', 'cleo@example.com');
  t.regex(email.text ?? '', /http:\/\/localhost:8999\/account/);
  t.true(typeof email.html === 'string' && email.html.includes('href="http://localhost:8999/account"'));
  t.false(server.output().includes('Hello Cleo'), 'the body is not logged');
  t.false(server.output().includes(`${ISSUER}/account`), 'nor its links');
  t.is(await server.stop(), 0);
});

for (const backend of ['embedded', 'postgres'] as const) {
  test.serial(
    `[${backend}] killed (SIGKILL) between the commit and the send: after a restart the email arrives exactly once`,
    async (t) => {
      // The first attempt is held mid-SMTP (its DATA is in, no reply yet) until the process is killed:
      // a deterministic "died before the send completed". Later attempts are accepted.
      let release: (answer: CatcherAnswer) => void = () => {};
      const mail = await startMailCatcher({
        answer: (_email, attempt) => (attempt === 0 ? new Promise<CatcherAnswer>((resolve) => (release = resolve)) : 'accept'),
      });
      t.teardown(() => mail.close());

      let env: Record<string, string>;
      let inspect: <T>(work: (db: Database) => Promise<T>) => Promise<T>;
      if (backend === 'embedded') {
        const dataDir = tempDataDir(t);
        env = { DATA_DIR: dataDir };
        inspect = (work) => withEmbedded(dataDir, work);
      } else {
        const database = await createTestDatabase('postgres');
        t.teardown(() => database.dispose());
        env = { DATABASE_URL: database.url!, DATA_DIR: tempDataDir(t) };
        inspect = (work) => work(database.db);
      }
      await inspect((db) => queueNotice(db, 'dora@example.com'));

      const first = await startServerProcess({ ...env, SECRET_KEY, ISSUER, SMTP_URL: mail.url }, { timeoutMs: 90_000 });
      t.teardown(() => void first.stop());
      await mail.waitForReceived(1);
      const exited = once(first.child, 'exit');
      first.child.kill('SIGKILL');
      await exited;
      release({ code: 421, message: 'too late' }); // the sender is gone: this reply reaches nobody
      t.is(mail.messages.length, 0, 'nothing was delivered by the killed process');

      const second = await startServerProcess({ ...env, SECRET_KEY, ISSUER, SMTP_URL: mail.url }, { timeoutMs: 90_000 });
      t.teardown(() => void second.stop());
      const email = await mail.waitFor('dora@example.com');
      t.is(email.subject, 'Your password was changed');
      t.is(email.messageId, mail.received[0]!.messageId, 'the retry is the same message');
      t.is(await second.stop(), 0);

      t.is(mail.messages.length, 1, 'delivered exactly once');
      t.is(mail.received.length, 2);
      const [state] = await inspect((db) => emailDeliveryStates(db, 'dora@example.com'));
      t.truthy(state?.sentAt);
      t.is(state?.payload, '');
    },
  );
}
