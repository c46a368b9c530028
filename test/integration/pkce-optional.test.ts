// A confidential client registered with `pkce: 'optional'` (for a library that cannot send PKCE, such
// as passport-openidconnect) signs in with the code flow and a nonce only: the code is redeemed with
// its secret and the ID token carries the nonce back. Every other client still needs PKCE.
// Abuse of the setting: test/security/pkce-optional-abuse.test.ts.
import { decodeJwt } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { runAsOperator } from '../helpers/operator.ts';
import { authorize, UserAgent } from '../helpers/user-agent.ts';

const LEGACY = { name: 'Legacy app', grantTypes: ['authorization_code'], redirectUris: [REDIRECT_URI], pkce: 'optional' };

testEachBackend('a pkce-optional confidential client signs in without PKCE; its nonce comes back in the ID token', async (t, server) => {
  const user = await createUser(server.db);
  const client = (await runAsOperator(server, 'clients.create', LEGACY)) as { clientId: string; clientSecret: string; pkce: string };
  t.is(client.pkce, 'optional');
  const nonce = 'n-0S6_WzA2Mj';
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid',
    pkce: false,
    extra: { nonce },
  });
  t.truthy(flow.code, `${flow.callback} ${flow.pages.at(-1)}`);

  const token = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI },
    client,
  );
  t.is(token.status, 200, JSON.stringify(token.body));
  const idToken = decodeJwt(token.body.id_token as string);
  t.is(idToken.nonce, nonce);
  t.is(idToken.sub, user.id);
  t.is(idToken.aud, client.clientId);
});

testEachBackend('a client with the default (pkce required) is still refused without PKCE, nonce or not', async (t, server) => {
  const strict = (await runAsOperator(server, 'clients.create', { ...LEGACY, pkce: undefined, name: 'Strict app' })) as {
    clientId: string;
    pkce: string;
  };
  t.is(strict.pkce, 'required');
  const { url } = await new UserAgent().follow(
    `${server.url}/auth?${new URLSearchParams({
      client_id: strict.clientId,
      response_type: 'code',
      redirect_uri: REDIRECT_URI,
      scope: 'openid',
      nonce: 'n-123',
      state: 'st',
    })}`,
  );
  const callback = new URL(url);
  t.is(callback.searchParams.get('error'), 'invalid_request');
  t.regex(callback.searchParams.get('error_description') ?? '', /PKCE/);
  t.is(callback.searchParams.get('code'), null);
});
