import { testEachBackend } from '../helpers/backend-test.ts';
import { basicAuth, createTestClient, postForm } from '../helpers/fixtures.ts';
import { UserAgent, pkcePair } from '../helpers/user-agent.ts';
import { REDIRECT_URI } from '../helpers/fixtures.ts';

testEachBackend('malformed, oversized and duplicated token requests get RFC 6749 errors, never a 5xx', async (t, server) => {
  const client = await createTestClient(server, { grantTypes: ['client_credentials'] });
  const post = (body: string | Uint8Array, contentType = 'application/x-www-form-urlencoded') =>
    fetch(`${server.url}/token`, { method: 'POST', headers: { 'content-type': contentType, authorization: basicAuth(client) }, body });

  const duplicated = await post('grant_type=client_credentials&grant_type=client_credentials');
  t.is(duplicated.status, 400);
  t.is(((await duplicated.json()) as { error: string }).error, 'invalid_request');

  const json = await post('{"grant_type":"client_credentials"}', 'application/json');
  t.is(json.status, 400);
  t.is(((await json.json()) as { error: string }).error, 'invalid_request');

  const huge = await post(`grant_type=client_credentials&x=${'a'.repeat(200_000)}`);
  t.true(huge.status === 400 || huge.status === 413, String(huge.status));

  const missing = await post('');
  t.is(missing.status, 400);

  const garbage = await post(new Uint8Array([0xff, 0xfe, 0x00, 0x80]));
  t.true(garbage.status >= 400 && garbage.status < 500, String(garbage.status));

  const noAuth = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' });
  t.is(noAuth.status, 400);
});

testEachBackend(
  'our own forms refuse duplicated fields, wrong content types, foreign origins and stale interactions',
  async (t, server) => {
    const client = await createTestClient(server);
    const agent = new UserAgent();
    const start = await agent.follow(
      `${server.url}/auth?${new URLSearchParams({ client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', code_challenge: pkcePair().challenge, code_challenge_method: 'S256' })}`,
    );
    const action = new URL(/action="([^"]+\/login)"/.exec(await start.response.text())![1]!, server.url).toString();
    const submit = (body: string, headers: Record<string, string> = {}) =>
      agent.request(action, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, accept: 'text/html', ...headers },
        body,
      });

    t.is((await submit('email=a@example.com&email=b@example.com&password=x')).status, 400);
    t.is((await submit('{"email":"a"}', { 'content-type': 'application/json' })).status, 415);
    t.is((await submit('email=a@example.com&password=x', { origin: 'https://evil.example' })).status, 403);
    t.is((await submit(`email=a@example.com&password=${'x'.repeat(20_000)}`)).status, 413);
    const stranger = await new UserAgent().request(action, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'text/html' },
      body: 'email=a&password=b',
    });
    t.is(stranger.status, 400, 'no interaction cookie, no login');
    t.regex(await stranger.text(), /expired/);
    const unknownRoute = await agent.request(`${server.url}/interaction/nope`, { headers: { accept: 'application/json' } });
    t.is(unknownRoute.status, 400);
    t.is(((await unknownRoute.json()) as { error: string }).error, 'interaction_mismatch');
  },
);
