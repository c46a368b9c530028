// Attack 19: every URL Portcullis publishes must come from ISSUER, never from what the request says
// about where it was sent (Host, X-Forwarded-Host, X-Forwarded-Proto, an absolute request target).
// Otherwise a poisoned cache or a link in a phishing mail hands out endpoints on the attacker's host.
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, PASSWORD, REDIRECT_URI } from '../helpers/fixtures.ts';
import { rawRequest } from '../helpers/raw-http.ts';
import { pkcePair } from '../helpers/user-agent.ts';
import type { ExecutionContext } from 'ava';

const EVIL = 'evil.example';

/** Every URL-valued member of the discovery document. */
const urlsOf = (document: Record<string, unknown>) =>
  Object.entries(document).filter((entry): entry is [string, string] => typeof entry[1] === 'string' && /^https?:/.test(entry[1]));

function assertAllFromIssuer(t: ExecutionContext, issuer: string, document: Record<string, unknown>) {
  const urls = urlsOf(document);
  t.true(urls.length >= 6, 'the endpoints are published');
  for (const [name, url] of urls) t.true(url === issuer || url.startsWith(`${issuer}/`), `${name}: ${url}`);
  t.truthy(document.jwks_uri);
}

testEachBackend("discovery with a forged Host header still publishes the issuer's endpoints", async (t, server) => {
  const answer = await rawRequest(`${server.url}/.well-known/openid-configuration`, { headers: { host: EVIL } });
  t.is(answer.status, 200);
  t.false(answer.body.includes(EVIL), "no URL on the attacker's host");
  assertAllFromIssuer(t, server.url, JSON.parse(answer.body) as Record<string, unknown>);
});

testEachBackend(
  'behind a trusted proxy, forged X-Forwarded-Host and X-Forwarded-Proto change no published URL',
  async (t, server) => {
    const answer = await rawRequest(`${server.url}/.well-known/openid-configuration`, {
      headers: { 'x-forwarded-host': EVIL, 'x-forwarded-proto': 'https' },
    });
    t.is(answer.status, 200);
    t.false(answer.body.includes(EVIL));
    assertAllFromIssuer(t, server.url, JSON.parse(answer.body) as Record<string, unknown>);
  },
  { env: { TRUST_PROXY: 'true' } },
);

testEachBackend('an absolute-form request target naming another host changes no published URL', async (t, server) => {
  const answer = await rawRequest(server.url, { path: `http://${EVIL}/.well-known/openid-configuration` });
  t.true(answer.status === 200 || answer.status === 400, String(answer.status));
  t.false(answer.body.includes(EVIL));
  if (answer.status === 200) assertAllFromIssuer(t, server.url, JSON.parse(answer.body) as Record<string, unknown>);
});

testEachBackend(
  "a sign-in started with a forged Host header sends the browser back to the issuer, not to the attacker's host",
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server);
    const query = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    const started = await rawRequest(`${server.url}/auth?${query}`, { headers: { host: EVIL } });
    t.is(started.status, 303);
    const interaction = String(started.headers.location);
    t.false(interaction.includes(EVIL), interaction);
    const cookie = ((started.headers['set-cookie'] ?? []) as string[]).map((header) => header.split(';')[0]).join('; ');

    const page = await rawRequest(new URL(interaction, server.url).toString(), { headers: { host: EVIL, cookie } });
    t.is(page.status, 200);
    t.false(page.body.includes(EVIL), 'the login form posts to the issuer');

    const action = /<form method="post" action="([^"]+\/login)"/.exec(page.body)![1]!.replaceAll('&amp;', '&');
    const login = await fetch(new URL(action, server.url), {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, cookie },
      body: new URLSearchParams({ email: user.email, password: PASSWORD }),
    });
    t.is(login.status, 303);
    const resume = login.headers.get('location')!;
    t.true(resume.startsWith('/') || resume.startsWith(`${server.url}/`), `after the login: ${resume}`);
  },
);

testEachBackend('the logout confirmation with a forged Host header posts to the issuer', async (t, server) => {
  const page = await rawRequest(`${server.url}/session/end`, { headers: { host: EVIL } });
  t.is(page.status, 200);
  t.regex(page.body, /<form/);
  t.false(page.body.includes(EVIL), 'the form posts to the issuer');
});
