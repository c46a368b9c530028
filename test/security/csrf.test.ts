// Attack 6: cross-site form posts. A page on another site (or a sandboxed frame, whose Origin is
// `null`) makes the victim's browser post to our forms with the victim's cookies. Every
// state-changing form refuses a request that Fetch Metadata (`Sec-Fetch-Site`, when sent) or
// `Origin` says comes from anywhere but the issuer's own origin, with a 403 page; the victim's
// sign-in, factors and session are untouched. Plus: every HTML page refuses to be framed.
import type { ExecutionContext } from 'ava';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, PASSWORD } from '../helpers/fixtures.ts';
import { SignIn } from '../helpers/sign-in-flow.ts';
import { authorize } from '../helpers/user-agent.ts';
import type { TestServer } from '../helpers/server.ts';

/** The headers a browser sends when another site's page posts a form (or a script submits one). */
const crossSite = (issuer: string): [string, Record<string, string>][] => [
  ['Origin: null and Sec-Fetch-Site: cross-site (a sandboxed frame)', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
  ['Origin of another site, no Fetch Metadata (an older browser)', { origin: 'https://evil.example' }],
  ['Origin: null alone', { origin: 'null' }],
  ['Sec-Fetch-Site: same-site (a sibling subdomain)', { 'sec-fetch-site': 'same-site' }],
  ['Sec-Fetch-Site: none on a POST (nothing the user typed posts a form)', { 'sec-fetch-site': 'none' }],
  ["Sec-Fetch-Site: cross-site with the issuer's Origin", { 'sec-fetch-site': 'cross-site', origin: issuer }],
];
/** What our own pages send from a current browser. */
const sameOrigin = (issuer: string) => ({ origin: issuer, 'sec-fetch-site': 'same-origin' });

async function postFrom(flow: SignIn, url: string, fields: Record<string, string>, headers: Record<string, string>) {
  const response = await flow.agent.request(url, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html', ...headers },
    body: new URLSearchParams(fields),
  });
  return { status: response.status, location: response.headers.get('location'), html: await response.text() };
}

function assertRefused(t: ExecutionContext, answer: { status: number; html: string }, label: string) {
  t.is(answer.status, 403, label);
  t.regex(answer.html, /another site/i, `${label}: the error page says why`);
}

testEachBackend('a sign-in POST from another site is refused, the same form from our page works', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server);
  const flow = await SignIn.start(server.url, client.clientId);
  const login = flow.action('/login');
  for (const [label, headers] of crossSite(server.url)) {
    assertRefused(t, await postFrom(flow, login, { email: user.email, password: PASSWORD }, headers), label);
  }
  // the route aliases the router answers are guarded the same way
  assertRefused(
    t,
    await postFrom(flow, login.replace(/\/login$/, '/LOGIN'), { email: user.email, password: PASSWORD }, { origin: 'null' }),
    'upper-case alias',
  );
  assertRefused(
    t,
    await postFrom(flow, `${login}/`, { email: user.email, password: PASSWORD }, { origin: 'null' }),
    'trailing-slash alias',
  );

  const mine = await postFrom(flow, login, { email: user.email, password: PASSWORD }, sameOrigin(server.url));
  t.is(mine.status, 303, 'the sign-in itself was never touched');
});

testEachBackend(
  'every sign-in step (second factor, enrolment, consent, abort, password change) refuses a cross-site POST',
  async (t, server) => {
    await createUser(server.db);
    const client = await createTestClient(server);
    const flow = await SignIn.start(server.url, client.clientId);
    const base = flow.action('/login').replace(/\/login$/, '');
    const steps = [
      '/login',
      '/confirm',
      '/abort',
      '/second-factor/totp',
      '/second-factor/recovery',
      '/second-factor/passkey',
      '/second-factor/totp/enrol',
      '/second-factor/passkey/register',
      '/second-factor/done',
      '/change-password',
    ];
    for (const step of steps) {
      for (const [label, headers] of crossSite(server.url))
        assertRefused(t, await postFrom(flow, `${base}${step}`, { code: '123456' }, headers), `${step}: ${label}`);
    }
    // the abort never reached the provider: the sign-in still shows its form
    await flow.go(base);
    t.regex(flow.page.html, /action="[^"]*\/login"/);
  },
);

async function provenAccountPage(server: TestServer) {
  const user = await createUser(server.db);
  const browser = new SignIn(server.url);
  await browser.go(`${server.url}/account/security`);
  await browser.submit('/account/security/sign-in', { email: user.email, password: PASSWORD }, sameOrigin(server.url));
  return { user, browser };
}

testEachBackend('every account-page change refuses a cross-site POST', async (t, server) => {
  const { browser } = await provenAccountPage(server);
  t.regex(browser.page.html, /action="\/account\/security\/sign-out"/, 'the page is open and proven');
  const paths = [
    '/sign-in',
    '/totp',
    '/recovery',
    '/passkey',
    '/sign-out',
    '/totp/remove',
    '/passkeys/remove',
    '/recovery-codes',
    '/totp/add',
    '/passkeys/add',
  ];
  for (const path of paths) {
    for (const [label, headers] of crossSite(server.url)) {
      assertRefused(
        t,
        await postFrom(
          browser,
          `${server.url}/account/security${path}`,
          { email: 'x@example.com', password: 'x', code: '123456' },
          headers,
        ),
        `${path}: ${label}`,
      );
    }
  }
  // the cross-site sign-out did nothing: the page is still open
  await browser.go(`${server.url}/account/security`);
  t.regex(browser.page.html, /action="\/account\/security\/sign-out"/);
});

testEachBackend('the logout confirmation posted from another site is refused; the session survives', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server, { firstParty: true });
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });
  t.truthy(flow.code);
  const page = await flow.agent.follow(`${server.url}/session/end`);
  const xsrf = /name="xsrf" value="([^"]+)"/.exec(await page.response.text())?.[1];
  t.truthy(xsrf);
  const browser = new SignIn(server.url, flow.agent);
  for (const [label, headers] of crossSite(server.url)) {
    assertRefused(t, await postFrom(browser, `${server.url}/session/end/confirm`, { xsrf: xsrf!, logout: 'yes' }, headers), label);
  }
  assertRefused(
    t,
    await postFrom(browser, `${server.url}/SESSION/END/CONFIRM/`, { xsrf: xsrf!, logout: 'yes' }, { origin: 'null' }),
    'an alias of the route',
  );
  const silent = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid',
    agent: flow.agent,
    extra: { prompt: 'none' },
  });
  t.truthy(silent.code, 'still signed in');
});

testEachBackend('clickjacking: every HTML page forbids framing and limits where its forms may post', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server);
  const pages: [string, Response][] = [];
  const flow = await SignIn.start(server.url, client.clientId);
  pages.push(['login page', await flow.agent.request(flow.page.url)]);
  const consent = await postFrom(flow, flow.action('/login'), { email: user.email, password: PASSWORD }, sameOrigin(server.url));
  const consentPage = await flow.agent.follow(new URL(consent.location!, server.url).toString());
  pages.push(['consent page', consentPage.response]);
  pages.push(['error page', await fetch(`${server.url}/auth?client_id=nobody`, { headers: { accept: 'text/html' } })]);
  pages.push(['logout page', await flow.agent.request(`${server.url}/session/end`)]);
  pages.push(['signed-out page', await fetch(`${server.url}/session/end/success`)]);
  pages.push(['account page', await fetch(`${server.url}/account/security`)]);
  for (const [label, response] of pages) {
    t.regex(response.headers.get('content-type') ?? '', /html/, label);
    t.is(response.headers.get('x-frame-options'), 'DENY', label);
    const csp = response.headers.get('content-security-policy') ?? '';
    t.regex(csp, /frame-ancestors 'none'/, label);
    t.regex(csp, /form-action 'self'/, `${label}: forms post only to us (and, after a sign-in, to the client)`);
  }
});

testEachBackend(
  'form-action: pages may post only to us, and to the redirect URI the provider checked for this sign-in',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true });
    const flow = await SignIn.start(server.url, client.clientId, { response_mode: 'form_post' });
    const loginCsp = (await flow.agent.request(flow.page.url)).headers.get('content-security-policy') ?? '';
    t.regex(loginCsp, /form-action 'self' http:\/\/127\.0\.0\.1:8080(;|$)/, "the sign-in ends at the client's redirect URI");
    // response_mode=form_post: the provider's page posts the code to the redirect URI it validated
    const answer = await postFrom(flow, flow.action('/login'), { email: user.email, password: PASSWORD }, sameOrigin(server.url));
    const formPost = await flow.agent.follow(new URL(answer.location!, server.url).toString());
    const html = await formPost.response.text();
    t.regex(html, /<form method="post" action="http:\/\/127\.0\.0\.1:8080\/callback">/);
    t.regex(formPost.response.headers.get('content-security-policy') ?? '', /form-action 'self' http:\/\/127\.0\.0\.1:8080(;|$)/);
    // an error page about an unregistered redirect URI allows nothing more than 'self'
    const refused = await fetch(
      `${server.url}/auth?client_id=${client.clientId}&response_type=code&redirect_uri=https://evil.example/cb&scope=openid`,
      { headers: { accept: 'text/html' } },
    );
    t.is(refused.status, 400);
    t.regex(refused.headers.get('content-security-policy') ?? '', /form-action 'self';/);
  },
);
