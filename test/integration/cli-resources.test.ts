// `portcullis resources ...` and the API registry, as an operator runs it: a real subprocess against
// PostgreSQL (the CLI runs the same operations as the admin API, on the real clock).
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { runCli } from '../helpers/cli-process.ts';
import { createTestDatabase } from '../helpers/stores.ts';

const API = 'https://api.example.com';
const DAY_MS = 86_400_000;
const day = (days: number) => new Date(Date.now() + days * DAY_MS).toISOString().slice(0, 10);

async function postgresEnv(t: ExecutionContext) {
  const database = await createTestDatabase('postgres');
  t.teardown(() => database.dispose());
  return { db: database.db, env: { DATABASE_URL: database.url!, SECRET_KEY: randomBytes(32).toString('hex') } };
}

/** Runs a command that must succeed with --json and returns its parsed result. */
async function json<T = any>(t: ExecutionContext, env: Record<string, string>, args: string[]): Promise<T> {
  const run = await runCli(env, [...args, '--json']);
  if (run.code !== 0) t.fail(`portcullis ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Runs a command that must succeed and returns what it printed for people. */
async function human(t: ExecutionContext, env: Record<string, string>, args: string[]): Promise<string> {
  const run = await runCli(env, args);
  t.is(run.code, 0, `portcullis ${args.join(' ')}: ${run.stderr}`);
  return run.stdout;
}

/** Runs a command that must be refused with exit status 1; returns its stderr. */
async function refused(t: ExecutionContext, env: Record<string, string>, args: string[]): Promise<string> {
  const run = await runCli(env, args);
  t.is(run.code, 1, `portcullis ${args.join(' ')}: ${run.stderr}`);
  t.is(run.stdout, '');
  return run.stderr;
}

const REGISTRY_FLAGS = [
  '--identifier',
  API,
  '--name',
  'Orders API',
  '--description',
  'Takes customer orders',
  '--owner',
  'Orders team <orders@example.com>',
  '--purpose',
  'Order intake for the shop',
  '--classification',
  'confidential',
  '--live-date',
  '2025-03-01',
  '--next-review-date',
  '2099-03-01',
  '--scope',
  'read=Read orders',
  '--scope',
  'write=Place orders',
  '--token-ttl',
  '600',
];

test.serial('resources create, show and list carry the registry entry', async (t) => {
  const { env } = await postgresEnv(t);
  const created = await json(t, env, ['resources', 'create', ...REGISTRY_FLAGS]);
  t.like(created, {
    identifier: API,
    name: 'Orders API',
    description: 'Takes customer orders',
    owner: 'Orders team <orders@example.com>',
    purpose: 'Order intake for the shop',
    classification: 'confidential',
    liveDate: '2025-03-01',
    nextReviewDate: '2099-03-01',
    reviewOverdue: false,
    lastReviewedAt: null,
    tokenTtl: 600,
  });
  t.deepEqual(created.scopes, [
    { name: 'read', description: 'Read orders' },
    { name: 'write', description: 'Place orders' },
  ]);

  const shown = await human(t, env, ['resources', 'show', API]);
  for (const line of [
    /^owner\s+Orders team <orders@example\.com>$/m,
    /^purpose\s+Order intake for the shop$/m,
    /^classification\s+confidential$/m,
    /^live date\s+2025-03-01$/m,
    /^next review\s+2099-03-01$/m,
    /^last reviewed\s+never$/m,
    /^description\s+Takes customer orders$/m,
    /^etag\s+"[\w-]{27}"$/m,
  ]) {
    t.regex(shown, line);
  }

  // an API registered with nothing but its identifier: unknowns are shown as such
  await json(t, env, ['resources', 'create', '--identifier', 'urn:example:reports']);
  t.regex(await human(t, env, ['resources', 'show', 'urn:example:reports']), /^owner\s+- \(not recorded\)$/m);

  const listed = await human(t, env, ['resources', 'list']);
  t.regex(listed, /^IDENTIFIER\s+NAME\s+SCOPES\s+TOKEN TTL\s+CLASSIFICATION\s+OWNER\s+RISK\s+NEXT REVIEW\s+OVERDUE$/m);
  t.regex(
    listed,
    /^https:\/\/api\.example\.com\s+Orders API\s+read write\s+600 s\s+confidential\s+Orders team <orders@example\.com>\s+not assessed\s+2099-03-01$/m,
  );
  t.regex(listed, /^urn:portcullis:admin\s+Portcullis admin API\s+.*restricted/m, 'the admin API registered itself');
  t.false(
    listed
      .trimEnd()
      .split('\n')
      .slice(1)
      .some((line) => line.endsWith('OVERDUE')),
    'nothing is overdue',
  );
});

test.serial('resources update: only the flags given, with --if-match; stale tags and bad values are refused by flag', async (t) => {
  const { env } = await postgresEnv(t);
  await json(t, env, ['resources', 'create', ...REGISTRY_FLAGS]);
  const etag = /^etag\s+(\S+)$/m.exec(await human(t, env, ['resources', 'show', API]))![1]!;

  const updated = await json(t, env, [
    'resources',
    'update',
    API,
    '--owner',
    'Platform team',
    '--classification',
    'restricted',
    '--token-ttl',
    'default',
    '--live-date',
    'none',
    '--if-match',
    etag,
  ]);
  t.like(updated, {
    owner: 'Platform team',
    classification: 'restricted',
    tokenTtl: null,
    liveDate: null,
    name: 'Orders API',
    purpose: 'Order intake for the shop',
  });
  t.is(updated.scopes.length, 2, 'scopes not given: unchanged');

  t.regex(
    await refused(t, env, ['resources', 'update', API, '--owner', 'Someone else', '--if-match', etag]),
    /--if-match: .*changed since it was read/,
  );
  t.regex(
    await refused(t, env, ['resources', 'update', API, '--classification', 'secret']),
    /--classification: must be one of public, internal, confidential, restricted/,
  );
  t.regex(
    await refused(t, env, ['resources', 'update', API, '--next-review-date', '2025-02-30']),
    /--next-review-date: is not a real date/,
  );
  t.regex(await refused(t, env, ['resources', 'update', API, '--token-ttl', 'soon']), /--token-ttl: /);
  t.regex(await refused(t, env, ['resources', 'update', 'urn:portcullis:admin', '--scope', 'admin:read']), /--scope: .*cannot be changed/);
  t.regex(await refused(t, env, ['resources', 'update', 'https://nowhere.example.com', '--owner', 'X']), /no resource server/);
  t.is((await json(t, env, ['resources', 'show', API])).owner, 'Platform team', 'nothing changed by the refusals');

  // --scope replaces the list, descriptions included
  const narrowed = await json(t, env, ['resources', 'update', API, '--scope', 'read=Read all orders']);
  t.deepEqual(narrowed.scopes, [{ name: 'read', description: 'Read all orders' }]);
  const described = await human(t, env, ['resources', 'update', API, '--description', 'Orders and returns']);
  t.regex(described, /^Updated resource server$/m);
  t.regex(described, /^description\s+Orders and returns$/m);
});

test.serial('resources list marks overdue reviews and --overdue lists only them; resources review clears the mark', async (t) => {
  const { env } = await postgresEnv(t);
  // registered already late for its review (the CLI runs on the real clock)
  await json(t, env, [
    'resources',
    'create',
    '--identifier',
    API,
    '--owner',
    'Orders team',
    '--live-date',
    day(-400),
    '--next-review-date',
    day(-3),
  ]);
  await json(t, env, ['resources', 'create', '--identifier', 'https://billing.example.com', '--owner', 'Billing team']);

  const listed = await human(t, env, ['resources', 'list']);
  t.regex(listed, new RegExp(`^https://api\\.example\\.com\\s+.*${day(-3)}\\s+OVERDUE$`, 'm'));
  t.regex(listed, /^https:\/\/billing\.example\.com\s+(?!.*OVERDUE).*$/m);
  t.deepEqual(
    (await json<{ identifier: string }[]>(t, env, ['resources', 'list', '--overdue'])).map((server) => server.identifier),
    [API],
  );
  t.regex(await human(t, env, ['resources', 'show', API]), new RegExp(`^next review\\s+${day(-3)}  OVERDUE$`, 'm'));

  t.regex(await refused(t, env, ['resources', 'review', API, '--next-review-date', day(-1)]), /--next-review-date: must be in the future/);
  t.regex(await refused(t, env, ['resources', 'review', API]), /--next-review-date: is required/);
  t.regex(
    await refused(t, env, ['resources', 'review', API, '--next-review-date', day(180)]),
    /--risk-level: is required: a review records the API's risk assessment/,
  );
  const reviewed = await human(t, env, [
    ...['resources', 'review', API, '--next-review-date', day(180), '--note', 'owners and scopes checked'],
    ...['--risk-level', 'high', '--impacted-system', 'orders db', '--treatment', 'mitigate', '--control', 'mTLS'],
  ]);
  t.regex(reviewed, new RegExp(`Recorded the review of https://api\\.example\\.com; next review due ${day(180)}`));
  const shown = await json(t, env, ['resources', 'show', API]);
  t.like(shown, { nextReviewDate: day(180), reviewOverdue: false });
  t.true(Math.abs(Date.parse(shown.lastReviewedAt) - Date.now()) < 60_000);
  t.like(shown.riskAssessment, { riskLevel: 'high', impactedSystems: ['orders db'], treatment: 'mitigate', controls: ['mTLS'] });
  t.regex(await human(t, env, ['resources', 'show', API]), /^risk\s+high, assessed \S+ \S+ by cli:/m);
  t.regex(await human(t, env, ['resources', 'list']), /\bhigh\s+\d{4}-\d{2}-\d{2}\s*$/m);
  const history = await human(t, env, ['resources', 'reviews', API]);
  t.regex(history, /^REVIEWED\s+BY\s+RISK\s+TREATMENT\s+IMPACT\s+CONTROLS\s+NEXT REVIEW\s+NOTE$/m);
  t.regex(history, /\bhigh\s+mitigate\s+orders db\s+mTLS\s+\d{4}-\d{2}-\d{2}\s+owners and scopes checked$/m);
  t.deepEqual(await json(t, env, ['resources', 'list', '--overdue']), []);
  t.is(await human(t, env, ['resources', 'list', '--overdue']), 'No resource server is overdue for review.\n');
});

test.serial('resources create and update name the introspecting clients; an unknown client is refused by flag', async (t) => {
  const { env } = await postgresEnv(t);
  const gateway = await json(t, env, ['clients', 'create', '--name', 'Gateway', '--grant-type', 'client_credentials']);
  t.regex(
    await refused(t, env, ['resources', 'create', '--identifier', API, '--introspecting-client', 'no-such-client']),
    /--introspecting-client: no client is registered as "no-such-client"/,
  );
  const created = await json(t, env, ['resources', 'create', '--identifier', API, '--introspecting-client', gateway.clientId]);
  t.deepEqual(created.introspectingClients, [gateway.clientId]);
  t.regex(await human(t, env, ['resources', 'show', API]), new RegExp(`^introspected by\\s+${gateway.clientId}$`, 'm'));
  const cleared = await json(t, env, ['resources', 'update', API, '--introspecting-client', 'none']);
  t.deepEqual(cleared.introspectingClients, []);
  t.regex(await human(t, env, ['resources', 'show', API]), /^introspected by\s+only each token's own client$/m);
});
