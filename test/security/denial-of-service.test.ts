// Denial of service by size: bodies, URLs, headers and parameter lists at and past their limits. Each
// is refused with a clear 4xx (413 for a body past its limit, 431 for a request head past Node's
// 16 KiB) before the server spends more on it, nothing is half-done, and the server still answers.
import type { ExecutionContext } from 'ava';
import { testEachBackend } from '../helpers/backend-test.ts';
import { basicAuth, createTestClient, postForm } from '../helpers/fixtures.ts';
import type { TestServer } from '../helpers/server.ts';
import { SignIn } from '../helpers/sign-in-flow.ts';
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import { runAsOperator } from '../helpers/operator.ts';
import type { BootstrapResult } from '../../src/admin/administrators/bootstrap-admin.ts';
import { send } from './fuzz/send-request.ts';

const FORM = 'application/x-www-form-urlencoded';

async function stillAnswers(t: ExecutionContext, server: TestServer) {
  const health = await fetch(`${server.url}/healthz`);
  t.is(health.status, 200, 'the server still answers /healthz');
}

async function adminToken(server: TestServer): Promise<string> {
  const { client } = (await runAsOperator(server, 'admin.bootstrap', {})) as BootstrapResult;
  const answer = await postForm(
    `${server.url}/token`,
    { grant_type: 'client_credentials', resource: ADMIN_AUDIENCE, scope: 'admin:read admin:write' },
    { clientId: client.clientId, clientSecret: client.clientSecret },
  );
  return String(answer.body.access_token);
}

const json = async (response: Response) => ({
  status: response.status,
  type: response.headers.get('content-type') ?? '',
  body: (await response.json()) as Record<string, unknown>,
});

testEachBackend('a token request with a body past the limit is refused with 413 and a JSON error', async (t, server) => {
  const client = await createTestClient(server, { grantTypes: ['client_credentials'] });
  for (const size of [60 * 1024, 300 * 1024]) {
    const answer = await json(
      await fetch(`${server.url}/token`, {
        method: 'POST',
        headers: { 'content-type': FORM, authorization: basicAuth(client) },
        body: `grant_type=client_credentials&padding=${'a'.repeat(size)}`,
      }),
    );
    t.is(answer.status, 413, `a ${size}-byte body`);
    t.is(typeof answer.body.error, 'string');
  }
  await stillAnswers(t, server);
});

testEachBackend('a sign-in form past 16 KiB is refused with 413 before it is read', async (t, server) => {
  const client = await createTestClient(server, { firstParty: true });
  const flow = await SignIn.start(server.url, client.clientId);
  const response = await flow.agent.request(flow.action('/login'), {
    method: 'POST',
    headers: { 'content-type': FORM, origin: server.url, accept: 'text/html' },
    body: `email=a%40example.com&password=${'a'.repeat(20 * 1024)}`,
  });
  t.is(response.status, 413);
  t.regex(response.headers.get('content-type') ?? '', /^text\/html/);
  await stillAnswers(t, server);
});

testEachBackend('an admin API body past 64 KiB, sent or only declared, is refused with 413', async (t, server) => {
  const token = await adminToken(server);
  const sent = await json(
    await fetch(`${server.url}/admin/v1/clients`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'a'.repeat(70 * 1024) }),
    }),
  );
  t.is(sent.status, 413);
  t.is(sent.body.error, 'payload_too_large');
  // a Content-Length of a gigabyte with two bytes behind it: refused on the header, not waited for
  const declared = await send(server.url, {
    method: 'POST',
    path: '/admin/v1/clients',
    body: Buffer.from('{}'),
    headers: [
      ['Host', new URL(server.url).host],
      ['Authorization', `Bearer ${token}`],
      ['Content-Type', 'application/json'],
      ['Content-Length', '1000000000'],
    ],
  });
  t.is(declared.status, 413);
  const list = await json(await fetch(`${server.url}/admin/v1/clients`, { headers: { authorization: `Bearer ${token}` } }));
  t.false(
    (list.body.items as { name: string }[]).some((item) => item.name.startsWith('aaaa')),
    'nothing was created',
  );
  await stillAnswers(t, server);
});

testEachBackend('deeply nested JSON gets a 400, not a stack overflow', async (t, server) => {
  const token = await adminToken(server);
  for (const body of ['['.repeat(30_000) + ']'.repeat(30_000), `{"name":${'{"a":'.repeat(10_000)}1${'}'.repeat(10_001)}`]) {
    const answer = await json(
      await fetch(`${server.url}/admin/v1/clients`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body,
      }),
    );
    t.is(answer.status, 400);
    t.is(answer.body.error, 'invalid_input');
  }
  const token_ = await json(
    await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '['.repeat(30_000) + ']'.repeat(30_000),
    }),
  );
  t.is(token_.status, 400);
  t.is(token_.body.error, 'invalid_request');
  await stillAnswers(t, server);
});

testEachBackend('a URL or a header past 16 KiB is refused with 431', async (t, server) => {
  const host = new URL(server.url).host;
  const longUrl = await send(server.url, {
    method: 'GET',
    path: `/auth?state=${'a'.repeat(20 * 1024)}`,
    headers: [['Host', host]],
    body: undefined,
  });
  t.is(longUrl.status, 431);
  const longHeader = await send(server.url, {
    method: 'GET',
    path: '/.well-known/openid-configuration',
    headers: [
      ['Host', host],
      ['Cookie', `a=${'b'.repeat(20 * 1024)}`],
    ],
    body: undefined,
  });
  t.is(longHeader.status, 431);
  await stillAnswers(t, server);
});

testEachBackend('thousands of parameters get a clear answer, and a repeated one is refused', async (t, server) => {
  const client = await createTestClient(server, { grantTypes: ['client_credentials'], firstParty: true });
  const many = Array.from({ length: 5000 }, (_, index) => `p${index}=1`).join('&');
  // unknown parameters are ignored, as RFC 6749 requires: the request is answered, quickly and whole
  const token = await fetch(`${server.url}/token`, {
    method: 'POST',
    headers: { 'content-type': FORM, authorization: basicAuth(client) },
    body: `grant_type=client_credentials&${many}`,
  });
  t.true(token.status < 500);
  const repeated = await json(
    await fetch(`${server.url}/token`, {
      method: 'POST',
      headers: { 'content-type': FORM, authorization: basicAuth(client) },
      body: Array.from({ length: 1000 }, () => 'grant_type=client_credentials').join('&'),
    }),
  );
  t.is(repeated.status, 400);
  t.is(repeated.body.error, 'invalid_request');

  const admin = await adminToken(server);
  const query = await json(
    await fetch(`${server.url}/admin/v1/clients?${Array.from({ length: 1000 }, (_, index) => `q${index}=1`).join('&')}`, {
      headers: { authorization: `Bearer ${admin}` },
    }),
  );
  t.is(query.status, 400);
  t.is(query.body.error, 'invalid_input');

  const flow = await SignIn.start(server.url, (await createTestClient(server, { firstParty: true })).clientId);
  const login = flow.action('/login');
  const manyFields = await flow.agent.request(login, {
    method: 'POST',
    headers: { 'content-type': FORM, origin: server.url, accept: 'text/html' },
    body: `email=a%40example.com&password=x&${Array.from({ length: 1500 }, (_, index) => `f${index}=1`).join('&')}`,
  });
  t.true(manyFields.status >= 400 && manyFields.status < 500);
  const twice = await flow.agent.request(login, {
    method: 'POST',
    headers: { 'content-type': FORM, origin: server.url, accept: 'text/html' },
    body: 'email=a%40example.com&email=b%40example.com&password=x',
  });
  t.is(twice.status, 400);
  t.regex(twice.headers.get('content-type') ?? '', /^text\/html/);
  await stillAnswers(t, server);
});
