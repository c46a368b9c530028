// A page route that forgot its guard: a handler added to the sign-in or account page that takes a
// form from another site (CSRF), or a step after the password reached without this sign-in's sealed
// state (or with another interaction's), or an account change without a proven session. The routes
// are read from the real routers' route tables, not listed by hand: a route added later is tested
// here the day it is added, and passes only if the router's middleware guards it. The only routes
// reachable without a sign-in state or an account session are named below, on purpose.
import type { ExecutionContext } from 'ava';
import { findAccountByEmail, findAccountById } from '../../src/storage/accounts.ts';
import { describeFactors } from '../../src/storage/mfa.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, giveAuthenticatorApp, PASSWORD } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { SignIn } from '../helpers/sign-in-flow.ts';
import { pageRouters, routesOf } from './fuzz/page-endpoints.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';
const PAGE = '/account/security';

/** The sign-in routes a browser reaches before its password is proven: the only ones without a sign-in state. */
const BEFORE_THE_PASSWORD = new Set([
  'GET /interaction/:uid',
  'POST /interaction/:uid/login',
  // signing in with a passkey alone: its own proof, against the challenge this browser holds for this interaction
  'POST /interaction/:uid/passkey',
  'POST /interaction/:uid/confirm',
  'POST /interaction/:uid/abort',
]);
/**
 * The account pages' routes open to anyone: each page (it shows the sign-in form), signing in and
 * out, and the page of an email-change link (it shows the sign-in form too, or the link's button).
 */
const ACCOUNT_OPEN = new Set([
  `GET ${PAGE}`,
  `POST ${PAGE}/sign-in`,
  `POST ${PAGE}/sign-out`,
  'GET /account',
  'GET /account/confirm-email',
]);
/** The second step of the account page's re-authentication: a proven password, not yet a factor. */
const ACCOUNT_HALF_WAY = new Set([`POST ${PAGE}/totp`, `POST ${PAGE}/recovery`, `POST ${PAGE}/passkey`]);

/** A body every handler would act on, were it reached (readForm takes each field once). */
const FIELDS = {
  email: 'x@example.com',
  password: NEW_PASSWORD,
  confirmation: NEW_PASSWORD,
  code: '123456',
  credential: '{}',
  name: 'x',
  id: 'x',
  current: PASSWORD,
  token: 'a'.repeat(43),
  understand: 'yes',
};

/** Every route of the page routers as `METHOD /path/:uid` (the security page's and the account page's together). */
function pageRoutes(): { signIn: string[]; account: string[]; registration: string[] } {
  const { signIn, account, accountPage, registration } = pageRouters();
  const list = (router: typeof signIn) => routesOf(router).flatMap(({ methods, path }) => methods.map((method) => `${method} ${path}`));
  return { signIn: list(signIn), account: [...list(account), ...list(accountPage)], registration: list(registration) };
}

/** Where a change without a proven session is sent: the re-authentication of the page it was for. */
const confirmOf = (route: string) => (route.includes(`${PAGE}/`) ? `${PAGE}?notice=confirm` : '/account?notice=confirm');

const methodOf = (route: string) => route.slice(0, route.indexOf(' ')) as 'GET' | 'POST';
const urlOf = (server: TestServer, route: string, uid = '') => `${server.url}${route.slice(route.indexOf(' ') + 1).replace(':uid', uid)}`;
const uidOf = (flow: SignIn) => /\/interaction\/([^/?]+)/.exec(flow.page.url)![1]!;

/** One request as sent (no redirect followed), from our own pages unless `headers` say otherwise. */
async function send(
  flow: SignIn,
  route: string,
  url: string,
  headers: Record<string, string> = { origin: flow.issuer, 'sec-fetch-site': 'same-origin' },
) {
  const method = methodOf(route);
  const response = await flow.agent.request(
    url,
    method === 'GET'
      ? {}
      : {
          method,
          headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
          body: new URLSearchParams(FIELDS),
        },
  );
  return { status: response.status, location: response.headers.get('location') ?? '', html: await response.text() };
}

function assertEnumerated(t: ExecutionContext, routes: string[], known: string[]) {
  // the route tables were read (an empty list would prove nothing)
  for (const route of known) t.true(routes.includes(route), `${route} is among the routes read from the router`);
}

const sessions = async (server: TestServer) => (await server.db.query(`SELECT 1 FROM oidc_models WHERE kind = 'Session'`)).rows.length;

testEachBackend(
  'every POST of the sign-in, account and registration routers refuses a form from another site',
  async (t, server) => {
    const routes = pageRoutes();
    assertEnumerated(
      t,
      [...routes.signIn, ...routes.account, ...routes.registration],
      [
        'POST /interaction/:uid/login',
        'POST /interaction/:uid/second-factor/totp',
        `POST ${PAGE}/totp/remove`,
        'POST /account/sign-up',
        'POST /account/verify-email',
        'POST /account/invitation',
      ],
    );
    // a sign-in past its password (a state every step would accept) and a proven account page: an
    // unguarded handler would act on these requests
    const user = await createUser(server.db);
    await giveAuthenticatorApp(server, user.id);
    const client = await createTestClient(server, { firstParty: true });
    const flow = await SignIn.start(server.url, client.clientId);
    await flow.password(user.email);
    const bare = await createUser(server.db);
    const page = new SignIn(server.url);
    await page.go(`${server.url}${PAGE}`);
    await page.submit(`${PAGE}/sign-in`, { email: bare.email, password: PASSWORD });
    t.regex(page.page.html, /action="\/account\/security\/sign-out"/, 'the account page is open and proven');
    const bareFactors = await describeFactors(server.db, bare.id);

    const crossSite = { origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' };
    const posts = [
      ...routes.signIn.map((route) => [flow, urlOf(server, route, uidOf(flow)), route] as const),
      ...routes.account.map((route) => [page, urlOf(server, route), route] as const),
      // the registration forms, from a fresh browser (they need no session)
      ...routes.registration.map((route) => [new SignIn(server.url), urlOf(server, route), route] as const),
    ].filter(([, , route]) => methodOf(route) === 'POST');
    for (const [browser, url, route] of posts) {
      const answer = await send(browser, route, url, crossSite);
      t.is(answer.status, 403, route);
      t.regex(answer.html, /another site/i, `${route}: the error page says why`);
    }
    t.is(await sessions(server), 0, 'no sign-in finished');
    t.deepEqual(await describeFactors(server.db, bare.id), bareFactors, 'no factor added');
    t.is(await findAccountByEmail(server.db, FIELDS.email), undefined, 'no account signed up');
  },
  // sign-up open: every registration route is there to be refused
  { only: ['pglite'], env: { REGISTRATION: 'open' } },
);

testEachBackend(
  "every sign-in step after the password refuses a browser without this sign-in's state, or with another interaction's",
  async (t, server) => {
    const routes = pageRoutes().signIn;
    const steps = routes.filter((route) => !BEFORE_THE_PASSWORD.has(route));
    assertEnumerated(t, steps, [
      'GET /interaction/:uid/second-factor',
      'POST /interaction/:uid/second-factor/totp',
      'POST /interaction/:uid/change-password',
    ]);
    for (const route of BEFORE_THE_PASSWORD) t.true(routes.includes(route), `${route} is still a route (else the list above is stale)`);
    const user = await createUser(server.db);
    await giveAuthenticatorApp(server, user.id);
    const client = await createTestClient(server, { firstParty: true });
    const before = await findAccountById(server.db, user.id);

    // no state at all: a browser at the password page calls each later step
    const fresh = await SignIn.start(server.url, client.clientId);
    for (const route of steps) {
      const answer = await send(fresh, route, urlOf(server, route, uidOf(fresh)));
      t.is(answer.status, 303, `${route} without a sign-in state`);
      t.is(answer.location, `/interaction/${uidOf(fresh)}`, `${route}: back to the password`);
    }

    // another interaction's state: the password proven in one sign-in, its sealed state shown to another
    const first = await SignIn.start(server.url, client.clientId);
    const proven = await first.agent.request(first.action('/login'), {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url },
      body: new URLSearchParams({ email: user.email, password: PASSWORD }),
    });
    t.is(proven.status, 303);
    const sealed = proven.headers
      .getSetCookie()
      .map((cookie) => /^(portcullis-signin)=([^;]+)/.exec(cookie))
      .find(Boolean);
    t.truthy(sealed, 'the password step sealed a sign-in state');
    const second = await SignIn.start(server.url, client.clientId, {}, first.agent);
    for (const route of steps) {
      second.agent.setCookie(sealed![1]!, sealed![2]!);
      const answer = await send(second, route, urlOf(server, route, uidOf(second)));
      t.is(answer.status, 303, `${route} with another interaction's state`);
      t.is(answer.location, `/interaction/${uidOf(second)}`, `${route}: back to the password`);
    }
    t.is(await sessions(server), 0, 'no sign-in finished');
    t.deepEqual(await findAccountById(server.db, user.id), before, 'the account is untouched');
  },
  { only: ['pglite'] },
);

testEachBackend(
  'every account-page route but the open ones refuses a browser without a proven session',
  async (t, server) => {
    const routes = pageRoutes().account;
    const guarded = routes.filter((route) => !ACCOUNT_OPEN.has(route));
    assertEnumerated(t, guarded, [
      ...ACCOUNT_HALF_WAY,
      `POST ${PAGE}/totp/remove`,
      `GET ${PAGE}/totp/add`,
      'POST /account/password',
      'POST /account/sessions/end',
      'POST /account/delete',
    ]);
    for (const route of [...ACCOUNT_OPEN, ...ACCOUNT_HALF_WAY])
      t.true(routes.includes(route), `${route} is still a route (else the lists above are stale)`);
    const user = await createUser(server.db);
    await giveAuthenticatorApp(server, user.id);
    const factors = await describeFactors(server.db, user.id);

    // no session at all: the re-authentication's second step goes back to the page, every change to the confirmation
    const nobody = new SignIn(server.url);
    await nobody.go(`${server.url}${PAGE}`);
    for (const route of guarded) {
      const answer = await send(nobody, route, urlOf(server, route));
      t.is(answer.status, 303, `${route} without a session`);
      t.is(answer.location, ACCOUNT_HALF_WAY.has(route) ? PAGE : confirmOf(route), route);
    }

    // the password alone, of an account that has a factor: no change is reachable
    const halfWay = new SignIn(server.url);
    await halfWay.go(`${server.url}${PAGE}`);
    await halfWay.submit(`${PAGE}/sign-in`, { email: user.email, password: PASSWORD });
    for (const route of guarded.filter((route) => !ACCOUNT_HALF_WAY.has(route))) {
      const answer = await send(halfWay, route, urlOf(server, route));
      t.is(answer.status, 303, `${route} with the password only`);
      t.is(answer.location, confirmOf(route), route);
    }
    t.deepEqual(await describeFactors(server.db, user.id), factors, 'the factors are untouched');
    t.like(await findAccountById(server.db, user.id), { email: user.email, name: user.name }, 'the account is untouched');
  },
  { only: ['pglite'] },
);
