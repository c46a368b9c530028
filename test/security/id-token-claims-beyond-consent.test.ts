// Attack: get profile or email claims into an ID token (ID_TOKEN_CLAIMS=scopes, the default) beyond
// what this request was granted: a refresh asking for fewer scopes, and a third-party client asking
// silently (prompt=none) for a scope the user never consented to.
import { decodeJwt } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { authorize } from '../helpers/user-agent.ts';

const PERSONAL = ['email', 'email_verified', 'name'];
const personal = (token: unknown) => PERSONAL.filter((name) => name in decodeJwt(String(token)));

testEachBackend(
  'a narrower refresh or a silent request for an unconsented scope puts no extra claims in an ID token',
  async (t, server) => {
    const user = await createUser(server.db);
    const client = await createTestClient(server); // third party: consent
    const flow = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid email offline_access',
    });
    const tokens = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
      client,
    );
    t.deepEqual(personal(tokens.body.id_token), ['email', 'email_verified']);

    const narrower = await postForm(
      `${server.url}/token`,
      { grant_type: 'refresh_token', refresh_token: String(tokens.body.refresh_token), scope: 'openid' },
      client,
    );
    t.is(narrower.status, 200, JSON.stringify(narrower.body));
    t.deepEqual(personal(narrower.body.id_token), [], 'a refresh for openid alone: no email');
    const wider = await postForm(
      `${server.url}/token`,
      { grant_type: 'refresh_token', refresh_token: String(tokens.body.refresh_token), scope: 'openid email profile' },
      client,
    );
    t.is(wider.body.error, 'invalid_scope', 'a refresh cannot add profile');

    const silent = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid profile',
      agent: flow.agent,
      extra: { prompt: 'none' },
    });
    t.is(silent.code, undefined);
    t.is(silent.error, 'consent_required');
  },
);
