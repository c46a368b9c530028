import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { authorize } from '../helpers/user-agent.ts';

testEachBackend(
  'RP-initiated logout ends the session and notifies the back-channel logout URI',
  async (t, server) => {
    const received: string[] = [];
    const receiver = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        received.push(new URLSearchParams(body).get('logout_token') ?? '');
        res.end();
      });
    });
    await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
    t.teardown(() => receiver.close());
    const backchannel = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/backchannel`;

    const user = await createUser(server.db);
    const client = await createTestClient(server, { firstParty: true, backchannelLogoutUri: backchannel });
    const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });
    const tokens = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
      client,
    );
    const idToken = tokens.body.id_token as string;

    const query = new URLSearchParams({
      id_token_hint: idToken,
      post_logout_redirect_uri: 'http://127.0.0.1:8080/logged-out',
      state: 'bye',
    });
    const confirm = await flow.agent.follow(`${server.url}/session/end?${query}`);
    const page = await confirm.response.text();
    t.regex(page, /Sign out/);
    const xsrf = /name="xsrf" value="([^"]+)"/.exec(page)?.[1];
    t.truthy(xsrf);
    const done = await flow.agent.follow(
      `${server.url}/session/end/confirm`,
      {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ xsrf: xsrf!, logout: 'yes' }),
      },
      'http://127.0.0.1:8080/logged-out',
    );
    t.is(done.url, 'http://127.0.0.1:8080/logged-out?state=bye');

    t.is(received.length, 1, 'one back-channel logout token delivered');
    const jwks = createLocalJWKSet((await (await fetch(`${server.url}/jwks`)).json()) as { keys: [] });
    const { payload } = await jwtVerify(received[0]!, jwks, { issuer: server.url, audience: client.clientId, typ: 'logout+jwt' });
    t.is(payload.sub, user.id);
    t.truthy((payload.events as Record<string, unknown>)['http://schemas.openid.net/event/backchannel-logout']);

    const silent = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid',
      agent: flow.agent,
      extra: { prompt: 'none' },
    });
    t.is(silent.error, 'login_required', 'the session is gone');
  },
  { env: { ALLOW_PRIVATE_OUTBOUND: 'true' } },
);
