import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, createUser, postForm } from '../helpers/fixtures.ts';
import { authorize } from '../helpers/user-agent.ts';

const TOKEN = 'metrics-token-0123456789-0123456789';

/** The value of one sample line `name{labels} value` in Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const matches = Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`));
    if (matches) return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return 0;
}

testEachBackend(
  '/metrics needs the token, and its counters move with the traffic',
  async (t, server) => {
    const anonymous = await fetch(`${server.url}/metrics`);
    t.is(anonymous.status, 401);
    const wrong = await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer nope' } });
    t.is(wrong.status, 401);
    const scrape = async () => {
      const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
      t.is(response.status, 200);
      t.regex(response.headers.get('content-type') ?? '', /text\/plain/);
      return response.text();
    };

    await createResource(server.db, 'https://api.example.com', ['read']);
    const service = await createTestClient(server, {
      grantTypes: ['client_credentials'],
      resources: { 'https://api.example.com': ['read'] },
    });
    const user = await createUser(server.db);
    const app = await createTestClient(server);
    const before = await scrape();
    for (let index = 0; index < 3; index++)
      t.is((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, service)).status, 200);
    await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, { clientId: service.clientId, clientSecret: 'wrong' });
    const failed = await authorize({
      issuer: server.url,
      clientId: app.clientId,
      email: user.email,
      password: 'wrong password for sure',
      scope: 'openid',
    });
    const loginForms = failed.pages.filter((page) => page.includes('id="password"')).length; // each one was submitted
    const after = await scrape();

    const delta = (name: string, labels: Record<string, string>) => sample(after, name, labels) - sample(before, name, labels);
    t.is(delta('portcullis_tokens_issued_total', { grant_type: 'client_credentials' }), 3);
    t.is(delta('portcullis_http_requests_total', { route: 'token', status: '200' }), 3);
    t.is(delta('portcullis_http_requests_total', { route: 'token', status: '401' }), 1);
    t.true(loginForms > 0);
    t.is(delta('portcullis_logins_total', { outcome: 'failure' }), loginForms);
    t.is(delta('portcullis_logins_total', { outcome: 'success' }), 0);
    t.true(delta('portcullis_store_operation_duration_seconds_count', {}) > 0, 'store latency observed');
    t.regex(after, /portcullis_nodejs_eventloop_lag_seconds /);
    t.regex(after, /portcullis_process_cpu_seconds_total /);
    t.notRegex(after, new RegExp(service.clientSecret!), 'no secret in metrics');
  },
  { env: { METRICS_TOKEN: TOKEN } },
);

testEachBackend(
  'without METRICS_TOKEN or METRICS_PORT, /metrics is not served',
  async (t, server) => {
    t.is((await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })).status, 404);
  },
  { only: ['pglite'] },
);
