// Attack: a pkce-optional client (no PKCE, its codes protected by the nonce, RFC 9700 §2.1.1) sends
// a nonce made of whitespace only. It satisfies "a nonce is present" to the letter, but binds the
// code to no session: it is what a relying party sends when its nonce variable rendered blank, and
// the same for every sign-in, so an injected code passes the client's nonce comparison. Refused at
// /auth (the error goes back to the client) and at the PAR endpoint, like a missing nonce.
import { REDIRECT_URI, createUser, postForm, type TestClient } from '../helpers/fixtures.ts';
import { testEachBackend } from '../helpers/backend-test.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { authorize } from '../helpers/user-agent.ts';

const BLANK_NONCES = [' ', '   ', '\t', '\n', '\u00a0'];

testEachBackend('a pkce-optional client sending a nonce of whitespace only gets no code', async (t, server) => {
  const user = await createUser(server.db);
  const created = (await runAsOperator(server, 'clients.create', {
    name: 'Legacy app',
    redirectUris: [REDIRECT_URI],
    pkce: 'optional',
  })) as { clientId: string; clientSecret: string };
  const client: TestClient = { clientId: created.clientId, clientSecret: created.clientSecret };

  for (const nonce of BLANK_NONCES) {
    const label = JSON.stringify(nonce);
    const flow = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid',
      pkce: false,
      extra: { nonce },
    });
    t.is(flow.code, undefined, `${label} at /auth`);
    t.is(flow.error, 'invalid_request', `${label} at /auth: ${flow.callback}`);
    t.regex(flow.callback?.searchParams.get('error_description') ?? '', /nonce/, label);

    const pushed = await postForm(
      `${server.url}/request`,
      { client_id: client.clientId, response_type: 'code', redirect_uri: REDIRECT_URI, scope: 'openid', nonce },
      client,
    );
    t.is(pushed.status, 400, `${label} at PAR: ${JSON.stringify(pushed.body)}`);
    t.is(pushed.body.error, 'invalid_request');
    t.is(pushed.body.request_uri, undefined);
  }

  // a real nonce still signs in
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid',
    pkce: false,
    extra: { nonce: 'n-0S6_WzA2Mj' },
  });
  t.truthy(flow.code, `${flow.callback} ${flow.pages.at(-1)}`);
});
