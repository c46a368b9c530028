// Brute force against one account, password spraying from one address, and the ways back: the lock
// expires, or an administrator unlocks. Time is moved, never waited for.
import test from 'ava';
import { testEachBackend } from '../helpers/backend-test.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestClient, createUser, PASSWORD } from '../helpers/fixtures.ts';
import { openLoginForm, type LoginAttempt } from '../helpers/login-form.ts';
import { runCli } from '../helpers/cli-process.ts';

const WRONG = 'definitely not the password';
const from = (ip: string) => ({ 'x-forwarded-for': ip });
/** A distinct address for attempt `i` (10.x.y.z). */
const address = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

const loggedIn = (attempt: LoginAttempt) => attempt.status === 303 && attempt.location !== null;

async function auditEvents(server: TestServer, type: string) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ target_id: string | null; ip: string | null; details: Record<string, unknown> }>(
    'SELECT target_id, ip, details FROM audit_events WHERE type = $1 ORDER BY seq',
    [type],
  );
  return rows;
}

/** A server whose clock the test moves. */
async function serverWithClock(t: import('ava').ExecutionContext, backend: (typeof BACKENDS)[number], env: Record<string, string> = {}) {
  let clock = Date.now(); // starts at the real time: the CLI (another process) reads real time
  const server = await startTestServer(backend, { env: { TRUST_PROXY: 'true', ...env }, now: () => new Date(clock) });
  t.teardown(() => server.close());
  return { server, advance: (seconds: number) => void (clock += seconds * 1000) };
}

testEachBackend(
  '100 wrong passwords over two server processes and many IPs, then the correct one: refused; only the threshold was ever verified',
  async (t, server, backend) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server);
    const other = backend.redis ? await server.startSibling() : server; // the embedded database has one process
    const forms = [await openLoginForm(server, client.clientId), await openLoginForm(other, client.clientId)];

    const answers: LoginAttempt[] = [];
    for (let batch = 0; batch < 10; batch++) {
      // ten at once: parallel guesses must not slip past the count
      answers.push(
        ...(await Promise.all(
          Array.from({ length: 10 }, (_, i) => forms[i % 2]!.submit(user.email, WRONG, from(address(batch * 10 + i)))),
        )),
      );
    }
    t.true(answers.every((answer) => answer.status === 401 && !loggedIn(answer)));
    t.is(new Set(answers.map((answer) => answer.message)).size, 1, 'a locked account answers exactly like a wrong password');

    const correct = await forms[0]!.submit(user.email, PASSWORD, from('192.0.2.200'));
    t.false(loggedIn(correct), 'the correct password during the lock does not log in');
    t.is(correct.status, 401);
    t.is(correct.message, answers[0]!.message);

    const verified = (await auditEvents(server, 'login.failed')).filter((event) => event.details.reason === 'invalid_credentials');
    t.is(verified.length, 5, 'LOCKOUT_THRESHOLD (5) guesses were checked, the other 95 refused unverified');
    const locked = await auditEvents(server, 'account.locked');
    t.is(locked.length, 1);
    t.is(locked[0]!.target_id, user.id);
  },
  { env: { TRUST_PROXY: 'true' } },
);

for (const backend of BACKENDS) {
  test.serial(
    `[${backend.name}] the lock doubles with each failure after the threshold, expires, and a success resets the count`,
    async (t) => {
      const { server, advance } = await serverWithClock(t, backend);
      const user = await createUser(server.db);
      const form = await openLoginForm(server);
      const ip = from('198.51.100.7');

      for (let i = 0; i < 5; i++) t.is((await form.submit(user.email, WRONG, ip)).status, 401);
      t.false(loggedIn(await form.submit(user.email, PASSWORD, ip)), 'locked for 30 s');
      advance(29);
      t.false(loggedIn(await form.submit(user.email, PASSWORD, ip)), 'still locked after 29 s');
      advance(2);
      t.is((await form.submit(user.email, WRONG, ip)).status, 401, 'a sixth failure: locked again, now for 60 s');
      advance(31);
      t.false(loggedIn(await form.submit(user.email, PASSWORD, ip)), 'the second lock is longer than the first');
      advance(30);
      t.true(loggedIn(await form.submit(user.email, PASSWORD, ip)), 'the lock expired: the user gets in');

      // the success reset the count: four failures later there is still no lock (from another address:
      // this one has spent its hourly budget of failures for this account)
      const again = await openLoginForm(server);
      const elsewhere = from('198.51.100.8');
      for (let i = 0; i < 4; i++) await again.submit(user.email, WRONG, elsewhere);
      t.true(loggedIn(await again.submit(user.email, PASSWORD, elsewhere)));
      t.is((await auditEvents(server, 'account.locked')).length, 2);
    },
  );

  test.serial(`[${backend.name}] an unknown email is counted and locked like an account, so the lock reveals nothing`, async (t) => {
    const { server } = await serverWithClock(t, backend);
    const user = await createUser(server.db);
    const form = await openLoginForm(server);
    const real: LoginAttempt[] = [];
    const ghost: LoginAttempt[] = [];
    for (let i = 0; i < 8; i++) {
      real.push(await form.submit(user.email, WRONG, from(address(i))));
      ghost.push(await form.submit('nobody-here@example.com', WRONG, from(address(100 + i))));
    }
    t.deepEqual(
      real.map((answer) => [answer.status, answer.message]),
      ghost.map((answer) => [answer.status, answer.message]),
    );
    const locks = await auditEvents(server, 'account.locked');
    t.is(locks.length, 2, 'both identifiers locked at the fifth failure');
    t.deepEqual(locks.map((event) => event.details.email).sort(), [user.email, 'nobody-here@example.com'].sort());
  });

  test.serial(`[${backend.name}] a password spray from one IP across 50 accounts is throttled; other addresses are not`, async (t) => {
    const server = await startTestServer(backend, { env: { TRUST_PROXY: 'true' } });
    t.teardown(() => server.close());
    const users = await Promise.all(Array.from({ length: 50 }, () => createUser(server.db)));
    const form = await openLoginForm(server);
    const sprayer = from('203.0.113.66');

    const answers: LoginAttempt[] = [];
    for (const user of users) answers.push(await form.submit(user.email, 'Summer2026!', sprayer));
    const throttled = answers.findIndex((answer) => answer.status === 429);
    t.is(throttled, 30, 'LOGIN_IP_FAILURES_PER_HOUR (30) failures, then 429');
    t.true(answers.slice(throttled).every((answer) => answer.status === 429));
    const refusal = answers[throttled]!;
    t.regex(refusal.headers.get('retry-after') ?? '', /^\d+$/);
    t.true(Number(refusal.headers.get('retry-after')) > 0 && Number(refusal.headers.get('retry-after')) <= 3600);
    t.regex(refusal.headers.get('ratelimit') ?? '', /^"login-ip-failures";r=0;t=\d+$/);
    t.is(refusal.headers.get('ratelimit-policy'), '"login-ip-failures";q=30;w=3600');
    t.regex(refusal.body, /Too many failed sign-ins from your network/);

    // even the right password is not checked from the throttled address; elsewhere it works
    t.is((await form.submit(users[0]!.email, PASSWORD, sprayer)).status, 429);
    t.true(loggedIn(await (await openLoginForm(server)).submit(users[0]!.email, PASSWORD, from('203.0.113.67'))));
    t.is(
      (await auditEvents(server, 'rate_limit.exceeded')).filter((event) => event.details.limit === 'login-ip-failures').length,
      1,
      'one event for the whole flood',
    );
  });
}

test.serial(
  '[postgres] an attacker address is blocked for the account while its owner elsewhere gets in; `portcullis users unlock` clears lock and blocks',
  async (t) => {
    const backend = BACKENDS.find((candidate) => candidate.name === 'postgres+redis')!;
    const { server } = await serverWithClock(t, backend, { LOGIN_PAIR_FAILURES_PER_HOUR: '3' });
    const user = await createUser(server.db);
    const form = await openLoginForm(server);
    const attacker = from('192.0.2.10');

    for (let i = 0; i < 3; i++) await form.submit(user.email, WRONG, attacker);
    t.false(loggedIn(await form.submit(user.email, PASSWORD, attacker)), 'the attacker address is blocked for this account');
    t.true(loggedIn(await (await openLoginForm(server)).submit(user.email, PASSWORD, from('198.51.100.1'))), 'the owner from home is not');

    const locked = await openLoginForm(server);
    for (let i = 0; i < 5; i++) await locked.submit(user.email, WRONG, from(address(i)));
    t.false(loggedIn(await locked.submit(user.email, PASSWORD, from('198.51.100.1'))), 'five failures from anywhere lock the account');

    const env = { DATABASE_URL: server.config.databaseUrl!, SECRET_KEY: server.config.secretKey! };
    const run = await runCli(env, ['users', 'unlock', user.email, '--json']);
    t.is(run.code, 0, run.stderr);
    t.like(JSON.parse(run.stdout), { id: user.id, email: user.email, wasLocked: true });
    const human = await runCli(env, ['users', 'unlock', user.email]);
    t.regex(human.stdout, /was not locked, 0 failed login\(s\) cleared/);

    t.true(loggedIn(await (await openLoginForm(server)).submit(user.email, PASSWORD, from('198.51.100.1'))), 'unlocked: the owner gets in');
    t.true(loggedIn(await (await openLoginForm(server)).submit(user.email, PASSWORD, attacker)), 'and the address block is gone too');
    const unlocked = await auditEvents(server, 'account.unlocked');
    t.is(unlocked.length, 2);
    t.like(unlocked[0]!.details, { wasLocked: true });
    t.regex((await runCli(env, ['users', 'unlock', 'nobody@example.com'])).stderr, /no account with id or email "nobody@example.com"/);
  },
);

test.serial('[postgres+redis] the failure count and lock survive losing everything in Redis', async (t) => {
  const backend = BACKENDS.find((candidate) => candidate.name === 'postgres+redis')!;
  const { server } = await serverWithClock(t, backend);
  const user = await createUser(server.db);
  const form = await openLoginForm(server);
  for (let i = 0; i < 5; i++) await form.submit(user.email, WRONG, from(address(i)));
  // a Redis restart without persistence: every key of this deployment is gone
  const redis = server.stores.redis!;
  const keys = await redis.keys(`${server.stores.redisPrefix}*`);
  if (keys.length > 0) await redis.del(...keys);
  t.false(loggedIn(await (await openLoginForm(server)).submit(user.email, PASSWORD, from('198.51.100.9'))), 'still locked');
});

test.serial('[postgres+redis] Redis down: a login fails closed with a fast 503, and works again once Redis is back', async (t) => {
  const server = await startTestServer(BACKENDS.find((candidate) => candidate.name === 'postgres+redis')!);
  t.teardown(() => server.close());
  const user = await createUser(server.db);
  const form = await openLoginForm(server);
  const redis = server.stores.redis!;
  redis.disconnect();
  t.teardown(async () => {
    if (redis.status !== 'ready') await redis.connect(); // a failed assertion must not leave the clean-up hanging
  });
  const started = performance.now();
  const during = await form.submit(user.email, PASSWORD);
  t.is(during.status, 503);
  t.false(loggedIn(during));
  t.true(performance.now() - started < 2_000, 'answered fast, not after a timeout');
  await redis.connect();
  t.true(loggedIn(await (await openLoginForm(server)).submit(user.email, PASSWORD)));
});
