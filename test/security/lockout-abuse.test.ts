// Attack 8: lockout as a weapon. Whoever knows an email can fail on purpose until the account locks,
// and keep it locked. The lock stays for unknown browsers (the attacker gets nothing, not even with
// the right password), but a browser that signed in to the account before holds a device cookie:
// the account lock does not hold it, only its own small failure budget does, after which the cookie
// counts for nothing. A forged, tampered, or another account's device cookie is worth nothing.
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, giveAuthenticatorApp, PASSWORD } from '../helpers/fixtures.ts';
import { openLoginForm, type LoginAttempt } from '../helpers/login-form.ts';
import type { TestServer } from '../helpers/server.ts';
import { SignIn, totpCode } from '../helpers/sign-in-flow.ts';
import { UserAgent } from '../helpers/user-agent.ts';
import { runAsOperator } from '../helpers/operator.ts';

const WRONG = 'definitely not the password';
const NEW_PASSWORD = 'velvet thunder mosaic lantern';
const DEVICE_COOKIE = 'portcullis-device'; // the test server speaks http: no __Host- prefix
const from = (ip: string) => ({ 'x-forwarded-for': ip });
const loggedIn = (attempt: LoginAttempt) => attempt.status === 303 && attempt.location !== null;
const env = { TRUST_PROXY: 'true' };

/** The device cookie a response set, whole (`name=value; attributes`). */
const deviceCookieOf = (attempt: LoginAttempt) => attempt.headers.getSetCookie().find((header) => header.startsWith(`${DEVICE_COOKIE}=`));
const valueOf = (setCookie: string) => setCookie.slice(DEVICE_COOKIE.length + 1).split(';')[0]!;

/** A browser that signs in to the account once, from its owner's address: it is known from then on. */
async function knownBrowser(server: TestServer, clientId: string, email: string, ip = '198.51.100.1') {
  const agent = new UserAgent();
  const first = await (await openLoginForm(server, clientId, { agent })).submit(email, PASSWORD, from(ip));
  if (!loggedIn(first)) throw new Error(`the owner could not sign in: ${first.status} ${first.message}`);
  const cookie = deviceCookieOf(first);
  return {
    agent,
    /** The device cookie's value ('' when the sign-in set none). */
    cookie: cookie ? valueOf(cookie) : '',
    /** A new sign-in from this browser (it holds a session: `prompt=login` asks for the password). */
    attempt: async (password: string, address = ip) =>
      (await openLoginForm(server, clientId, { agent, params: { prompt: 'login' } })).submit(email, password, from(address)),
  };
}

/** What an attacker does from unknown browsers and many addresses: fails until the account locks. */
async function lockAccount(server: TestServer, clientId: string, email: string, attempts = 10) {
  const answers: LoginAttempt[] = [];
  for (let i = 0; i < attempts; i++)
    answers.push(await (await openLoginForm(server, clientId)).submit(email, WRONG, from(`203.0.113.${i + 1}`)));
  return answers;
}

/** A browser without history holding only `cookie` as its device cookie. */
async function browserWithCookie(server: TestServer, clientId: string, cookie: string) {
  const agent = new UserAgent();
  agent.setCookie(DEVICE_COOKIE, cookie);
  return openLoginForm(server, clientId, { agent });
}

testEachBackend(
  'an attacker who locks an account does not lock out its owner, whose browser signed in before',
  async (t, server) => {
    const user = await createUser(server.db);
    const { clientId } = await createTestClient(server);
    const owner = await knownBrowser(server, clientId, user.email);

    const attack = await lockAccount(server, clientId, user.email);
    t.true(attack.every((answer) => answer.status === 401));
    // the lock is real: the right password from an unknown browser is refused, with the usual answer
    const attackerWithPassword = await (await openLoginForm(server, clientId)).submit(user.email, PASSWORD, from('203.0.113.99'));
    t.false(loggedIn(attackerWithPassword), 'the attacker, even with the right password, stays refused');
    t.is(attackerWithPassword.status, 401);
    t.is(attackerWithPassword.message, attack[0]!.message);
    t.is(deviceCookieOf(attackerWithPassword), undefined);

    t.true(loggedIn(await owner.attempt(PASSWORD)), 'the owner signs in from the browser that signed in before');
    // and again, from another address (a phone on the move): the cookie, not the address, is known
    t.true(loggedIn(await owner.attempt(PASSWORD, '192.0.2.77')));
    t.false(
      loggedIn(await (await openLoginForm(server, clientId)).submit(user.email, PASSWORD, from('198.51.100.1'))),
      'the owner in a new browser meets the lock',
    );
  },
  { env },
);

testEachBackend(
  'during an attacker\u2019s lock the owner\u2019s known browser still reaches the account security page',
  async (t, server) => {
    const user = await createUser(server.db);
    const { clientId } = await createTestClient(server);
    const owner = await knownBrowser(server, clientId, user.email);
    await lockAccount(server, clientId, user.email);
    const signInToPage = async (agent: UserAgent) => {
      const page = new SignIn(server.url, agent);
      await page.go(`${server.url}/account/security`);
      await page.submit('/account/security/sign-in', { email: user.email, password: PASSWORD });
      return page.page;
    };
    const unknown = await signInToPage(new UserAgent());
    t.is(unknown.status, 401, 'an unknown browser meets the lock');
    const known = await signInToPage(owner.agent);
    t.is(known.status, 200);
    t.regex(known.html, /<h2 id="totp-heading">Authenticator app<\/h2>/, 'the owner is on the security page');
  },
  { env },
);

testEachBackend(
  'a forged, tampered or another account\u2019s device cookie does not get past the lock',
  async (t, server) => {
    const victim = await createUser(server.db);
    const mallory = await createUser(server.db);
    const { clientId } = await createTestClient(server);
    const victimBrowser = await knownBrowser(server, clientId, victim.email);
    // the attacker signs in to their own account: a genuine device cookie, of another account
    const attackerBrowser = await knownBrowser(server, clientId, mallory.email, '203.0.113.50');
    t.false(
      attackerBrowser.cookie.includes(mallory.email) || attackerBrowser.cookie.includes(encodeURIComponent(mallory.email)),
      'no email in the cookie',
    );

    const attack = await lockAccount(server, clientId, victim.email);
    const refusal = attack[0]!;
    const swap = (cookie: string, from: string, to: string) => cookie.replace(from, to);
    const genuine = victimBrowser.cookie;
    const flipped = genuine.slice(0, -2) + (genuine.at(-2) === 'A' ? 'B' : 'A') + genuine.at(-1)!;
    const forgeries: Record<string, string> = {
      'another account\u2019s cookie': attackerBrowser.cookie,
      'another account\u2019s cookie naming the victim': swap(attackerBrowser.cookie, mallory.id, victim.id),
      'the victim\u2019s cookie with a changed signature': flipped,
      'a cookie made up': `${victim.id}.${'0'.repeat(32)}.${'A'.repeat(43)}`,
      garbage: 'not-a-device-cookie',
    };
    for (const [name, cookie] of Object.entries(forgeries)) {
      const attempt = await (await browserWithCookie(server, clientId, cookie)).submit(victim.email, PASSWORD, from('203.0.113.60'));
      t.false(loggedIn(attempt), `${name} got past the lock`);
      t.is(attempt.status, 401, name);
      t.is(attempt.message, refusal.message, name);
    }
    // the attacker's own browser, holding its own account's cookie, the victim's right password
    const own = await (
      await openLoginForm(server, clientId, { agent: attackerBrowser.agent, params: { prompt: 'login' } })
    ).submit(victim.email, PASSWORD, from('203.0.113.50'));
    t.false(loggedIn(own));
    t.true(loggedIn(await victimBrowser.attempt(PASSWORD)), 'the victim\u2019s own browser still gets in');
  },
  { env },
);

testEachBackend(
  'a device cookie has a small budget of failures of its own; spent, it counts for nothing, also when stolen',
  async (t, server) => {
    const user = await createUser(server.db);
    const { clientId } = await createTestClient(server);
    const owner = await knownBrowser(server, clientId, user.email);
    await lockAccount(server, clientId, user.email);

    // the owner mistypes a few times (within the budget, LOCKOUT_DEVICE_FAILURES = 5), then gets in:
    // the success gives the budget back
    for (let i = 0; i < 4; i++) t.is((await owner.attempt(WRONG)).status, 401);
    t.true(loggedIn(await owner.attempt(PASSWORD)), 'four failures leave the known browser in');

    // a thief who copied the cookie to another browser: five guesses, then the cookie is worth nothing
    const thief = await browserWithCookie(server, clientId, owner.cookie);
    for (let i = 0; i < 5; i++) t.is((await thief.submit(user.email, `${WRONG} ${i}`, from('203.0.113.70'))).status, 401);
    const withPassword = await thief.submit(user.email, PASSWORD, from('203.0.113.70'));
    t.false(loggedIn(withPassword), 'the spent cookie is an unknown browser: the account lock holds it');
    t.is(withPassword.status, 401);
    // the owner's browser holds the same (now spent) cookie: it meets the account lock too
    t.false(loggedIn(await owner.attempt(PASSWORD)));

    await server.portcullis.audit.flush();
    const { rows } = await server.db.query<{ reason: string }>(
      `SELECT details->>'reason' AS reason FROM audit_events WHERE type = 'login.failed' AND ip = '203.0.113.70' ORDER BY seq`,
    );
    t.deepEqual(
      rows.map((row) => row.reason),
      [...Array(5).fill('invalid_credentials'), 'account_locked'],
      'five guesses were checked, no more',
    );
  },
  { env },
);

testEachBackend(
  'a device cookie is HttpOnly, SameSite, holds no email, and is set only once the sign-in is complete',
  async (t, server) => {
    const user = await createUser(server.db);
    const { clientId } = await createTestClient(server);
    const failed = await (await openLoginForm(server, clientId)).submit(user.email, WRONG);
    t.is(deviceCookieOf(failed), undefined, 'a failed sign-in earns no device cookie');
    const signedIn = await (await openLoginForm(server, clientId)).submit(user.email, PASSWORD);
    const cookie = deviceCookieOf(signedIn)!;
    t.truthy(cookie);
    t.regex(cookie, /;\s*httponly/i);
    t.regex(cookie, /;\s*samesite=strict/i);
    t.regex(cookie, /;\s*path=\/(;|$)/i);
    t.false(valueOf(cookie).toLowerCase().includes(user.email.split('@')[0]!.toLowerCase()));
  },
  { env },
);

testEachBackend(
  'a browser that proved only the password of an account with a second factor is not a known browser',
  async (t, server) => {
    const user = await createUser(server.db);
    const secret = await giveAuthenticatorApp(server, user.id);
    const { clientId } = await createTestClient(server, { firstParty: true });
    // someone who knows the password but not the second factor stops half-way
    const halfWay = new UserAgent();
    const password = await (await openLoginForm(server, clientId, { agent: halfWay })).submit(user.email, PASSWORD, from('203.0.113.80'));
    t.is(password.status, 303);
    t.regex(password.location ?? '', /\/second-factor$/);
    t.is(deviceCookieOf(password), undefined, 'no device cookie before the second factor');
    // the owner completes both steps
    const owner = new UserAgent();
    const flow = await SignIn.start(server.url, clientId, {}, owner);
    await flow.password(user.email);
    await flow.submit('/second-factor/totp', { code: totpCode(secret) });
    t.truthy(flow.page.code, 'the owner signed in');

    await lockAccount(server, clientId, user.email);
    const again = await (await openLoginForm(server, clientId, { agent: halfWay })).submit(user.email, PASSWORD, from('203.0.113.80'));
    t.is(again.status, 401, 'the half-way browser meets the account lock');
    const known = await (await openLoginForm(server, clientId, { agent: owner, params: { prompt: 'login' } })).submit(user.email, PASSWORD);
    t.is(known.status, 303, 'the owner\u2019s browser is past the lock, on to the second factor');
    t.regex(known.location ?? '', /\/second-factor$/);
  },
  { env },
);

testEachBackend(
  'a device cookie\u2019s spent budget survives losing everything in Redis',
  async (t, server) => {
    const user = await createUser(server.db);
    const { clientId } = await createTestClient(server);
    const owner = await knownBrowser(server, clientId, user.email);
    await lockAccount(server, clientId, user.email);
    for (let i = 0; i < 5; i++) await owner.attempt(`${WRONG} ${i}`);
    const redis = server.stores.redis!;
    const keys = await redis.keys(`${server.stores.redisPrefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    t.false(
      loggedIn(await (await openLoginForm(server, clientId, { agent: owner.agent })).submit(user.email, PASSWORD, from('198.51.100.1'))),
      'still spent',
    );
  },
  { env, only: ['postgres+redis'] },
);

testEachBackend(
  'a device cookie from before a password reset does not get past the lock',
  async (t, server) => {
    const user = await createUser(server.db);
    const { clientId } = await createTestClient(server);
    // an attacker who once knew the password signed in, and kept the browser's device cookie
    const attacker = await knownBrowser(server, clientId, user.email);
    t.not(attacker.cookie, '');
    // the owner has the password reset; then the account is locked by failures from elsewhere
    await runAsOperator(server, 'users.set-password', { user: user.id, password: NEW_PASSWORD });
    await lockAccount(server, clientId, user.email);
    // a guess from that browser (here the right one) meets the lock like any unknown browser's
    const guess = await attacker.attempt(NEW_PASSWORD);
    t.false(loggedIn(guess), 'the old device cookie is worth nothing after the reset');
    t.is(guess.status, 401);
  },
  { env },
);
