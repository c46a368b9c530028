// `portcullis audit …` as an operator runs it: a real subprocess against an isolated PostgreSQL
// database whose events were written by the audit trail under the same SECRET_KEY (and once on an
// embedded DATA_DIR). verify exits 1 naming the event after a direct SQL edit.
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AuditEventInput } from '../../src/security/audit/audit-event.ts';
import type { AuditEvent } from '../../src/security/audit/audit-queries.ts';
import { createAuditTrail } from '../../src/security/audit/audit-writer.ts';
import { deriveKeys } from '../../src/security/derived-keys.ts';
import { createTestDatabase } from '../helpers/stores.ts';
import { childEnv, CLI, runCli, type CliRun } from '../helpers/cli-process.ts';

type Run = CliRun;
const cli = runCli;

const jsonLines = (text: string) =>
  text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as AuditEvent);

async function ok(t: ExecutionContext, env: Record<string, string>, args: string[]): Promise<Run> {
  const run = await cli(env, args);
  if (run.code !== 0) t.fail(`portcullis ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return run;
}

async function refused(t: ExecutionContext, env: Record<string, string>, args: string[]): Promise<string> {
  const run = await cli(env, args);
  t.is(run.code, 1, `portcullis ${args.join(' ')}: ${run.stderr}`);
  t.is(run.stdout, '');
  return run.stderr;
}

const event = (n: number): AuditEventInput => ({
  type: n % 5 === 0 ? 'login.failed' : 'login.succeeded',
  outcome: n % 5 === 0 ? 'failure' : 'success',
  actor: { type: 'user', id: `user-${n % 3}` },
  clientId: n % 2 === 0 ? 'web' : 'mobile',
  ip: '198.51.100.4',
  requestId: `req-${n}`,
  details: n % 5 === 0 ? { reasonCode: 'bad_password' } : { amr: ['pwd'] },
});

/** An isolated PostgreSQL database with `count` events, one a day from 2025-03-01. */
async function seeded(t: ExecutionContext, count: number) {
  const database = await createTestDatabase('postgres');
  t.teardown(() => database.dispose());
  const secretKey = randomBytes(32).toString('hex');
  const env = { DATABASE_URL: database.url!, SECRET_KEY: secretKey };
  let day = 0;
  const writer = createAuditTrail({
    db: database.db,
    key: deriveKeys(secretKey).auditKey,
    logger: { info: () => {}, warn: () => {}, error: () => {} },
    now: () => new Date(Date.UTC(2025, 2, 1 + day)),
  });
  const record = async (from: number, to: number) => {
    for (let n = from; n <= to; n++) {
      day = n - 1;
      writer.record(event(n));
    }
    await writer.flush();
  };
  await record(1, count);
  t.teardown(() => writer.close());
  return { db: database.db, env, record };
}

test.serial('audit verify: an intact chain exits 0; a row edited in SQL exits 1 naming its seq', async (t) => {
  const { db, env } = await seeded(t, 30);

  const human = await ok(t, env, ['audit', 'verify']);
  t.regex(human.stdout, /intact: 30 event\(s\) verified, seq 1 to 30/);
  const json = JSON.parse((await ok(t, env, ['audit', 'verify', '--json'])).stdout);
  t.like(json, { ok: true, checked: 30, firstSeq: 1, lastSeq: 30, anchorSeq: null });
  t.regex(json.lastHash, /^[0-9a-f]{64}$/);

  // Someone with DDL rights but without SECRET_KEY rewrites event 12.
  await db.query('ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only');
  await db.query("UPDATE audit_events SET outcome = 'success', details = '{}' WHERE seq = 12");

  const stderr = await refused(t, env, ['audit', 'verify']);
  t.regex(stderr, /audit chain is broken at seq 12: hash of seq 12 does not match its content/);
  const broken = await cli(env, ['audit', 'verify', '--json']);
  t.is(broken.code, 1);
  t.like(JSON.parse(broken.stdout), { ok: false, brokenSeq: 12, checked: 11 });

  // A wrong SECRET_KEY cannot vouch for the chain either.
  t.regex(await refused(t, { ...env, SECRET_KEY: randomBytes(32).toString('hex') }, ['audit', 'verify']), /broken at seq 1:/);
});

test.serial('audit export: JSON lines of a period, in chain order, with dates checked by flag', async (t) => {
  const { env } = await seeded(t, 40);
  const march = jsonLines((await ok(t, env, ['audit', 'export', '--since', '2025-03-10', '--until', '2025-03-20T00:00:00Z'])).stdout);
  t.deepEqual(
    march.map((each) => each.seq),
    Array.from({ length: 10 }, (_, i) => 10 + i),
  );
  t.like(march[0], {
    seq: 10,
    occurredAt: '2025-03-10T00:00:00.000Z',
    type: 'login.failed',
    outcome: 'failure',
    actor: { type: 'user', id: 'user-1' },
    clientId: 'web',
    details: { reasonCode: 'bad_password' },
  });
  t.regex(march[0]!.hash, /^[0-9a-f]{64}$/);
  t.is(march[1]!.prevHash, march[0]!.hash);

  const all = await ok(t, env, ['audit', 'export', '--json']);
  t.is(jsonLines(all.stdout).length, 40);
  t.is(all.stdout.split('\n').length, 41, 'one event per line');
  t.is((await ok(t, env, ['audit', 'export', '--since', '2030-01-01'])).stdout, '');

  t.regex(await refused(t, env, ['audit', 'export', '--since', 'yesterday']), /--since: must be an ISO 8601 date/);
  t.regex(await refused(t, env, ['audit', 'export', '--since', '2025-02-30']), /--since: must be an ISO 8601 date/);
  t.regex(await refused(t, env, ['audit', 'export', '--until', '2025-03-01T10:00:00']), /--until: must be an ISO 8601 date/);
  t.regex(
    await refused(t, env, ['audit', 'export', '--since', '2025-03-10', '--until', '2025-03-01']),
    /--until: must be later than since/,
  );
});

test.serial('audit tail: the latest events, filtered by type, user and client', async (t) => {
  const { env } = await seeded(t, 30);
  const seqs = async (...args: string[]) =>
    jsonLines((await ok(t, env, ['audit', 'tail', '--json', ...args])).stdout).map((each) => each.seq);

  t.deepEqual(await seqs('--limit', '5'), [26, 27, 28, 29, 30]);
  t.is((await seqs()).length, 30);
  t.deepEqual(await seqs('--type', 'login.failed'), [5, 10, 15, 20, 25, 30]);
  t.deepEqual(await seqs('--type', 'login', '--limit', '3'), [28, 29, 30]);
  t.deepEqual(await seqs('--user', 'user-0', '--client', 'web'), [6, 12, 18, 24, 30]);
  t.deepEqual(await seqs('--user', 'nobody'), []);

  const human = await ok(t, env, ['audit', 'tail', '--limit', '2']);
  t.regex(
    human.stdout,
    /^#29 {2}2025-03-29 00:00:00Z {2}login\.succeeded {2}success {2}actor=user:user-2 {2}client=mobile {2}ip=198\.51\.100\.4 {2}request=req-29/m,
  );
  t.regex(human.stdout, /^#30 .*login\.failed {2}failure .*\{"reasonCode":"bad_password"\}$/m);

  t.regex(await refused(t, env, ['audit', 'tail', '--limit', '0']), /--limit: must be at least 1/);
  t.regex(await refused(t, env, ['audit', 'tail', '--limit', 'many']), /--limit: /);
  t.regex(await refused(t, env, ['audit', 'tail', '--type', 'Login Failed']), /--type: /);
});

test.serial('audit tail --follow prints new events as they are written, until Ctrl-C', async (t) => {
  const { env, record } = await seeded(t, 3);
  const child = spawn(process.execPath, [CLI, 'audit', 'tail', '--follow', '--json', '--type', 'login.failed'], {
    env: childEnv(env),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  t.teardown(() => void child.kill('SIGKILL'));

  const waitForLines = async (n: number) => {
    const deadline = Date.now() + 20_000;
    while (jsonLines(stdout).length < n) {
      if (Date.now() > deadline || child.exitCode !== null) throw new Error(`expected ${n} lines, got: ${stdout} / ${stderr}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  };

  // nothing matches yet; then events 4..12 arrive, 5 and 10 are failures
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  t.is(stdout, '');
  await record(4, 12);
  await waitForLines(2);
  await record(13, 15);
  await waitForLines(3);
  t.deepEqual(
    jsonLines(stdout).map((each) => each.seq),
    [5, 10, 15],
  );

  child.kill('SIGINT');
  t.is(await exited, 0, stderr);
});

test.serial('audit prune: --before and retention; what remains still verifies', async (t) => {
  const { env, record } = await seeded(t, 20);
  const century = JSON.parse((await ok(t, { ...env, AUDIT_RETENTION_DAYS: '36500' }, ['audit', 'prune', '--json'])).stdout);
  t.like(century, { pruned: 0, retentionDays: 36500 }, 'events younger than the retention period are kept');
  t.regex(await refused(t, env, ['audit', 'prune', '--before', '2999-01-01']), /--before: must not be in the future/);
  t.regex(await refused(t, env, ['audit', 'prune', '--before', 'last week']), /--before: must be an ISO 8601 date/);
  t.regex((await ok(t, { ...env, AUDIT_RETENTION_DAYS: '0' }, ['audit', 'prune'])).stdout, /retention is off/);

  const human = await ok(t, env, ['audit', 'prune', '--before', '2025-03-11']);
  t.regex(human.stdout, /Pruned 10 audit event\(s\) that occurred before 2025-03-11 00:00:00Z/);
  t.regex(human.stdout, /starts after seq 10/);
  await record(21, 22);
  const verified = JSON.parse((await ok(t, env, ['audit', 'verify', '--json'])).stdout);
  t.like(verified, { ok: true, anchorSeq: 10, firstSeq: 11, lastSeq: 23, checked: 13 });
  const pruned = jsonLines((await ok(t, env, ['audit', 'tail', '--json', '--type', 'audit.pruned'])).stdout);
  t.like(pruned[0], { seq: 21, actor: { type: 'admin' }, details: { pruned: 10, anchorSeq: 10 } });
  t.regex(pruned[0]!.actor!.id, /^cli:/, 'the admin who ran the command');
});

test.serial('embedded DATA_DIR without a server: audit verify and tail open the database themselves', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-audit-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const env = { DATA_DIR: dir };
  t.like(JSON.parse((await ok(t, env, ['audit', 'verify', '--json'])).stdout), { ok: true, checked: 0 });
  const tail = await ok(t, env, ['audit', 'tail']);
  t.regex(tail.stdout, /No audit events yet/);
});
