// Rate limits on the HTTP surface: per-client quotas on the token-family endpoints (spent only by
// authenticated requests), a per-address ceiling on everything but the health probes, a stricter
// limit on login/MFA form submissions; 429 answers with Retry-After and the RateLimit fields; one
// audit event per key and window; shared through Redis, per process while Redis is down.
// Windows are a minute long and budgets tiny: nothing here waits for a window to end.
import type { ExecutionContext } from 'ava';
import { testEachBackend } from '../helpers/backend-test.ts';
import { runCli } from '../helpers/cli-process.ts';
import { createTestClient, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { pkcePair, UserAgent } from '../helpers/user-agent.ts';
import { listAuditEvents, type AuditEvent } from '../../src/security/audit/audit-queries.ts';

const GENEROUS = { RATE_LIMIT_IP_PER_MINUTE: '1000000', RATE_LIMIT_CLIENT_PER_MINUTE: '1000000', RATE_LIMIT_FORM_PER_MINUTE: '100000' };
const CLIENT_LIMITS = { ...GENEROUS, RATE_LIMIT_CLIENT_PER_MINUTE: '3' };
const IP_LIMITS = { ...GENEROUS, RATE_LIMIT_IP_PER_MINUTE: '5' };

const tokenRequest = (server: TestServer, client: TestClient, headers: Record<string, string> = {}) =>
  postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, client, headers);

/** A client whose own quota replaces the server default (what `clients create --rate-limit` stores). */
async function withQuota(server: TestServer, client: TestClient, perMinute: number): Promise<TestClient> {
  await server.db.query('UPDATE clients SET rate_limit_per_minute = $1 WHERE client_id = $2', [perMinute, client.clientId]);
  server.portcullis.cache.invalidate('client', client.clientId);
  return client;
}

/** `"name";r=2;t=60` -> { policy: 'name', r: 2, t: 60 } for each item of a RateLimit field. */
function rateLimitItems(header: string | null): { policy: string; params: Record<string, number> }[] {
  if (!header) return [];
  return header.split(',').map((item) => {
    const [name, ...params] = item.trim().split(';');
    return {
      policy: JSON.parse(name!) as string,
      params: Object.fromEntries(params.map((param) => param.split('=')).map(([key, value]) => [key!, Number(value)])),
    };
  });
}

const remaining = (headers: Headers, policy: string) =>
  rateLimitItems(headers.get('ratelimit')).find((item) => item.policy === policy)?.params.r;

/** The refusal as the draft's fields and Retry-After describe it, asserted well-formed. */
function assertRefusal(t: ExecutionContext, headers: Headers, policy: string, limit: number): void {
  const retryAfter = Number(headers.get('retry-after'));
  t.true(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60, `Retry-After: ${headers.get('retry-after')}`);
  t.deepEqual(rateLimitItems(headers.get('ratelimit-policy')), [{ policy, params: { q: limit, w: 60 } }]);
  t.deepEqual(rateLimitItems(headers.get('ratelimit')), [{ policy, params: { r: 0, t: retryAfter } }]);
}

async function rateLimitEvents(server: TestServer, limit: string): Promise<AuditEvent[]> {
  await server.portcullis.audit.flush();
  const { events } = await listAuditEvents(server.db, { type: 'rate_limit', limit: 1000 });
  return events.filter((event) => event.details?.limit === limit);
}

async function refusedCount(server: TestServer, limit: string): Promise<number> {
  const metric = await server.portcullis.metrics.registry.getSingleMetric('portcullis_rate_limited_total')!.get();
  return metric.values.find((value) => value.labels.limit === limit)?.value ?? 0;
}

testEachBackend(
  'token endpoint: a client past its quota gets 429 with Retry-After, RateLimit fields and an OAuth error; other clients are unaffected',
  async (t, server) => {
    const service = await createTestClient(server, { grantTypes: ['client_credentials'] });
    const other = await createTestClient(server, { grantTypes: ['client_credentials'] });

    for (const expected of [2, 1, 0]) {
      const granted = await tokenRequest(server, service);
      t.is(granted.status, 200, JSON.stringify(granted.body));
      t.is(remaining(granted.headers, 'client'), expected, 'the remaining quota is announced on every answer');
    }
    const refusedBefore = await refusedCount(server, 'client');
    const refused = await tokenRequest(server, service);
    t.is(refused.status, 429);
    assertRefusal(t, refused.headers, 'client', 3);
    t.is(refused.body.error, 'temporarily_unavailable');
    t.regex(String(refused.body.error_description), /^rate limit exceeded; retry in \d+ seconds$/);
    t.is(refused.body.access_token, undefined);
    for (let index = 0; index < 4; index++) t.is((await tokenRequest(server, service)).status, 429);
    t.is((await refusedCount(server, 'client')) - refusedBefore, 5, 'every refusal is counted in the metrics');

    const events = await rateLimitEvents(server, 'client');
    t.is(events.length, 1, 'one audit event for the whole flood of refusals in this window');
    t.like(events[0], {
      type: 'rate_limit.exceeded',
      outcome: 'failure',
      clientId: service.clientId,
      target: { type: 'client', id: service.clientId },
    });
    t.like(events[0]!.details, { max: 3, windowSeconds: 60, path: '/token' });
    t.false(JSON.stringify(events[0]).includes(service.clientSecret!), 'no secret in the audit trail');

    t.is((await tokenRequest(server, other)).status, 200, 'another client keeps its own quota');

    const busy = await withQuota(server, await createTestClient(server, { grantTypes: ['client_credentials'] }), 5);
    for (let index = 0; index < 5; index++)
      t.is((await tokenRequest(server, busy)).status, 200, `request ${index + 1} within the client's own quota`);
    const overOwn = await tokenRequest(server, busy);
    t.is(overOwn.status, 429);
    assertRefusal(t, overOwn.headers, 'client', 5);
  },
  { env: CLIENT_LIMITS },
);

testEachBackend(
  'requests naming a client without its credentials do not spend its quota; body-authenticated clients are checked too',
  async (t, server) => {
    const victim = await createTestClient(server, { grantTypes: ['client_credentials'] });
    const impostor = { clientId: victim.clientId, clientSecret: 'x'.repeat(43) };
    for (let index = 0; index < 10; index++) {
      const wrong = await tokenRequest(server, impostor);
      t.is(wrong.status, 401);
      t.is(wrong.body.error, 'invalid_client');
    }
    // a client secret in the body, and an (unusable) attestation naming the victim: still not the victim
    const attestation = `e30.${Buffer.from(JSON.stringify({ sub: victim.clientId })).toString('base64url')}.sig`;
    for (let index = 0; index < 5; index++) {
      const posted = await postForm(`${server.url}/token`, {
        grant_type: 'client_credentials',
        client_id: victim.clientId,
        client_secret: 'nope',
      });
      t.true(posted.status === 400 || posted.status === 401, `${posted.status} ${JSON.stringify(posted.body)}`);
      const attested = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', client_id: victim.clientId }, undefined, {
        'oauth-client-attestation': attestation,
      });
      t.true(attested.status === 400 || attested.status === 401, `${attested.status} ${JSON.stringify(attested.body)}`);
    }
    for (let index = 0; index < 3; index++) t.is((await tokenRequest(server, victim)).status, 200, 'the victim still has its whole quota');
    t.is((await tokenRequest(server, victim)).status, 429);
    // once used up, even a wrong-secret request naming the client is refused before it is looked at
    t.is((await tokenRequest(server, impostor)).status, 429);

    // client_secret_post: the client is found in the (peeked) body, and the provider still reads it
    const poster = await createTestClient(server, { grantTypes: ['client_credentials'], authMethod: 'client_secret_post' });
    const post = () =>
      postForm(`${server.url}/token`, {
        grant_type: 'client_credentials',
        client_id: poster.clientId,
        client_secret: poster.clientSecret!,
      });
    for (let index = 0; index < 3; index++) {
      const granted = await post();
      t.is(granted.status, 200, JSON.stringify(granted.body));
      t.truthy(granted.body.access_token);
    }
    const refused = await post();
    t.is(refused.status, 429, 'refused before the provider processes the request');
    assertRefusal(t, refused.headers, 'client', 3);

    // introspection and revocation spend the same quota
    const introspector = await createTestClient(server, { grantTypes: ['client_credentials'] });
    const token = String((await tokenRequest(server, introspector)).body.access_token);
    t.is((await postForm(`${server.url}/token/introspection`, { token }, introspector)).status, 200);
    t.is((await postForm(`${server.url}/token/revocation`, { token }, introspector)).status, 200);
    const over = await postForm(`${server.url}/token/introspection`, { token }, introspector);
    t.is(over.status, 429);
    t.is(over.body.error, 'temporarily_unavailable');
  },
  { env: CLIENT_LIMITS },
);

testEachBackend(
  'a public client is counted per address: one user (or anybody) cannot use it up for all',
  async (t, server) => {
    const spa = await createTestClient(server, { authMethod: 'none' });
    const refresh = (address: string) =>
      postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: 'not-a-refresh-token' }, spa, {
        'x-forwarded-for': address,
      });
    for (let index = 0; index < 3; index++)
      t.is((await refresh('203.0.113.7')).body.error, 'invalid_grant', 'authenticated (a public client needs nothing more), so counted');
    const refused = await refresh('203.0.113.7');
    t.is(refused.status, 429);
    t.is((await refresh('203.0.113.8')).body.error, 'invalid_grant', 'another address still has its quota for this client');
  },
  { env: { ...CLIENT_LIMITS, TRUST_PROXY: 'true' } },
);

testEachBackend(
  'per-address ceiling: every endpoint but the health probes; the body fits the endpoint; one audit event per window',
  async (t, server) => {
    for (const expected of [4, 3, 2, 1, 0]) {
      const allowed = await fetch(`${server.url}/jwks`);
      t.is(allowed.status, 200);
      t.is(remaining(allowed.headers, 'ip'), expected);
    }
    const refusedBefore = await refusedCount(server, 'ip');
    const refused = await fetch(`${server.url}/jwks`);
    t.is(refused.status, 429);
    assertRefusal(t, refused.headers, 'ip', 5);
    const body = (await refused.json()) as Record<string, unknown>;
    t.is(body.error, 'temporarily_unavailable');
    t.regex(String(body.error_description), /^rate limit exceeded; retry in \d+ seconds$/);

    // not a provider JSON endpoint: our JSON error, or our error page for a browser
    const json = await fetch(`${server.url}/static/portcullis.css`);
    t.is(json.status, 429);
    t.like(await json.json(), { error: 'too_many_requests', request_id: json.headers.get('x-request-id') });
    const page = await fetch(`${server.url}/auth?client_id=x`, { headers: { accept: 'text/html' } });
    t.is(page.status, 429);
    t.regex(page.headers.get('content-type') ?? '', /text\/html/);
    t.regex(await page.text(), /Too many requests from your network\. Try again in \d+ seconds\./);

    for (const probe of ['/healthz', '/readyz']) t.is((await fetch(`${server.url}${probe}`)).status, 200, `${probe} is never limited`);
    t.is((await refusedCount(server, 'ip')) - refusedBefore, 3);
    const events = await rateLimitEvents(server, 'ip');
    t.is(events.length, 1, 'one event for the window, not one per refused request');
    t.like(events[0], { type: 'rate_limit.exceeded', ip: '127.0.0.1' });
    t.like(events[0]!.details, { limit: 'ip', max: 5, windowSeconds: 60, path: '/jwks' });
  },
  { env: IP_LIMITS },
);

testEachBackend(
  'behind a trusted proxy each forwarded address has its own budget',
  async (t, server) => {
    const from = (address: string) => fetch(`${server.url}/.well-known/openid-configuration`, { headers: { 'x-forwarded-for': address } });
    for (let index = 0; index < 5; index++) t.is((await from('198.51.100.1')).status, 200);
    t.is((await from('198.51.100.1')).status, 429);
    t.is((await from('198.51.100.2')).status, 200, 'another client address');
    // IPv6 addresses count by /64: another address in the same /64 is the same budget
    for (let index = 0; index < 5; index++) t.is((await from('2001:db8:1:2::1')).status, 200);
    t.is((await from('2001:db8:1:2:ffff::9')).status, 429);
    t.is((await from('2001:db8:1:3::1')).status, 200);
  },
  { env: { ...IP_LIMITS, TRUST_PROXY: 'true' } },
);

testEachBackend(
  'without TRUST_PROXY, X-Forwarded-For is ignored: a spoofed address gets no fresh budget',
  async (t, server) => {
    for (let index = 0; index < 5; index++) {
      t.is((await fetch(`${server.url}/jwks`, { headers: { 'x-forwarded-for': `198.51.100.${index}` } })).status, 200);
    }
    const spoofed = await fetch(`${server.url}/jwks`, { headers: { 'x-forwarded-for': '198.51.100.200' } });
    t.is(spoofed.status, 429);
  },
  { env: { ...IP_LIMITS, TRUST_PROXY: 'false' } },
);

testEachBackend(
  'login form submissions beyond the form limit get the error page with 429 and Retry-After',
  async (t, server) => {
    const client = await createTestClient(server);
    const agent = new UserAgent();
    const query = new URLSearchParams({
      client_id: client.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      code_challenge: pkcePair().challenge,
      code_challenge_method: 'S256',
    });
    const { response, url } = await agent.follow(`${server.url}/auth?${query}`);
    t.is(response.status, 200);
    await response.text();
    const submit = () =>
      agent.request(`${url}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, accept: 'text/html,application/xhtml+xml' },
        body: new URLSearchParams({ email: 'nobody@example.com', password: 'not the password' }),
      });
    for (let index = 0; index < 3; index++) {
      const failed = await submit();
      t.is(failed.status, 401, 'a wrong password, answered by the login page');
      await failed.text();
    }
    const refused = await submit();
    t.is(refused.status, 429);
    assertRefusal(t, refused.headers, 'form', 3);
    t.regex(refused.headers.get('content-type') ?? '', /text\/html/);
    t.regex(await refused.text(), /Too many attempts from your network\. Try again in \d+ seconds\./);
    // showing the page again is not a submission
    t.is((await agent.request(url)).status, 200);
    t.is((await rateLimitEvents(server, 'form')).length, 1);
  },
  { env: { ...GENEROUS, RATE_LIMIT_FORM_PER_MINUTE: '3' } },
);

testEachBackend(
  'token endpoint: authenticated requests spend their client quota, not the address ceiling; failed ones spend the address ceiling',
  async (t, server) => {
    const service = await createTestClient(server, { grantTypes: ['client_credentials'] });
    for (let index = 0; index < 8; index++) t.is((await tokenRequest(server, service)).status, 200, `authenticated request ${index + 1}`);
    const wrong = { ...service, clientSecret: 'not-the-secret' };
    for (let index = 0; index < 5; index++)
      t.is((await tokenRequest(server, wrong)).status, 401, `failed request ${index + 1} is answered`);
    const refused = await tokenRequest(server, wrong);
    t.is(refused.status, 429, 'the address spent its budget on failures');
    assertRefusal(t, refused.headers, 'ip', 5);
    t.is(refused.body.error, 'temporarily_unavailable');
  },
  { env: IP_LIMITS },
);

testEachBackend(
  'two server processes share one budget through Redis',
  async (t, server) => {
    const sibling = await server.startSibling();
    for (let index = 0; index < 3; index++) t.is((await fetch(`${server.url}/jwks`)).status, 200);
    const shared = await fetch(`${sibling.url}/jwks`);
    t.is(shared.status, 200);
    t.is(remaining(shared.headers, 'ip'), 1, 'the sibling counts on from what the first process spent');
    t.is((await fetch(`${sibling.url}/jwks`)).status, 200);
    t.is((await fetch(`${server.url}/jwks`)).status, 429);
    t.is((await fetch(`${sibling.url}/jwks`)).status, 429);
    t.is((await rateLimitEvents(server, 'ip')).length, 1, 'the first refusal of the window is audited once across processes');
  },
  { only: ['postgres+redis'], env: IP_LIMITS },
);

testEachBackend(
  'two server processes share a client quota: once spent, each process refuses that client after at most one more request',
  async (t, server) => {
    const sibling = await server.startSibling();
    const service = await createTestClient(server, { grantTypes: ['client_credentials'] });
    for (let index = 0; index < 3; index++) t.is((await tokenRequest(server, service)).status, 200);
    t.is((await tokenRequest(server, service)).status, 429);
    // the sibling learns that the quota is gone from its own count: the shared counter says so
    const first = await tokenRequest(sibling, service);
    t.is(remaining(first.headers, 'client') ?? 0, 0);
    t.is((await tokenRequest(sibling, service)).status, 429);
  },
  { only: ['postgres+redis'], env: CLIENT_LIMITS },
);

testEachBackend(
  'Redis down: the per-address ceiling falls back to a per-process budget (never a 5xx, never a hang), and back to Redis when it returns',
  async (t, server) => {
    const redis = server.stores.redis!;
    const timed = async (path: string) => {
      const started = performance.now();
      const response = await fetch(`${server.url}${path}`);
      await response.arrayBuffer();
      t.true(performance.now() - started < 2_000, `${path} answered in ${Math.round(performance.now() - started)} ms`);
      return response;
    };
    for (let index = 0; index < 3; index++) t.is((await timed('/jwks')).status, 200);

    redis.disconnect();
    const during: (number | undefined)[] = [];
    for (let index = 0; index < 5; index++) {
      const response = await timed('/jwks');
      t.is(response.status, 200);
      during.push(remaining(response.headers, 'ip'));
    }
    t.deepEqual(during, [4, 3, 2, 1, 0], 'a fresh per-process budget with the same limit');
    for (let index = 0; index < 3; index++) {
      const refused = await timed('/jwks');
      t.is(refused.status, 429, 'still limited while Redis is down');
      assertRefusal(t, refused.headers, 'ip', 5);
    }

    await redis.connect();
    const back = await timed('/jwks');
    t.is(back.status, 200);
    t.is(remaining(back.headers, 'ip'), 1, 'the shared counter again: 3 spent before the outage, this is the 4th');
    t.is((await timed('/jwks')).status, 200);
    t.is((await timed('/jwks')).status, 429);
  },
  { only: ['postgres+redis'], env: IP_LIMITS },
);

testEachBackend(
  "clients create --rate-limit sets the client's own quota, shown by clients show, and the running server applies it",
  async (t, server) => {
    const env = { DATABASE_URL: server.config.databaseUrl!, SECRET_KEY: server.config.secretKey! };
    const created = await runCli(env, [
      'clients',
      'create',
      '--name',
      'Batch',
      '--grant-type',
      'client_credentials',
      '--rate-limit',
      '2',
      '--json',
    ]);
    t.is(created.code, 0, created.stderr);
    const client = JSON.parse(created.stdout) as { clientId: string; clientSecret: string; rateLimitPerMinute: number | null };
    t.is(client.rateLimitPerMinute, 2);
    const shown = await runCli(env, ['clients', 'show', client.clientId]);
    t.regex(shown.stdout, /rate limit\s+2 requests per minute/);

    const bad = await runCli(env, ['clients', 'create', '--name', 'Bad', '--grant-type', 'client_credentials', '--rate-limit', '0']);
    t.is(bad.code, 1);
    t.regex(bad.stderr, /--rate-limit/);
    const plain = await runCli(env, ['clients', 'create', '--name', 'Plain', '--grant-type', 'client_credentials', '--json']);
    t.is((JSON.parse(plain.stdout) as { rateLimitPerMinute: unknown }).rateLimitPerMinute, null);

    const batch = { clientId: client.clientId, clientSecret: client.clientSecret };
    t.is((await tokenRequest(server, batch)).status, 200);
    t.is((await tokenRequest(server, batch)).status, 200);
    const refused = await tokenRequest(server, batch);
    t.is(refused.status, 429);
    assertRefusal(t, refused.headers, 'client', 2);
  },
  { only: ['postgres+redis'], env: CLIENT_LIMITS },
);
