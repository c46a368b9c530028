// An API's access tokens live as long as its --token-ttl says (ACCESS_TOKEN_TTL only when it sets
// none), in every grant that issues them. Seen failing before the fix: every token lived
// ACCESS_TOKEN_TTL, because the provider's fixed lifetime overrode the API's.
import { decodeJwt } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, createUser, postForm } from '../helpers/fixtures.ts';
import { authorize } from '../helpers/user-agent.ts';
import { redeemCode } from '../helpers/relying-party.ts';

const lifetime = (token: unknown) => {
  const { exp, iat } = decodeJwt(token as string);
  return exp! - iat!;
};

testEachBackend("client credentials: the API's own token lifetime, else ACCESS_TOKEN_TTL", async (t, server) => {
  await createResource(server.db, 'https://short.example.com', ['read'], 45);
  await createResource(server.db, 'https://plain.example.com', ['read']);
  const service = await createTestClient(server, {
    grantTypes: ['client_credentials'],
    resources: { 'https://short.example.com': ['read'], 'https://plain.example.com': ['read'] },
  });
  const token = (resource: string) =>
    postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read', resource }, service);
  const short = await token('https://short.example.com');
  t.is(lifetime(short.body.access_token), 45);
  t.is(short.body.expires_in, 45, 'expires_in says the same');
  t.is(lifetime((await token('https://plain.example.com')).body.access_token), server.config.accessTokenTtl);
});

testEachBackend("authorization code and refresh: the API's own token lifetime", async (t, server) => {
  const api = 'https://short.example.com';
  await createResource(server.db, api, ['read'], 120);
  const user = await createUser(server.db);
  const client = await createTestClient(server, { resources: { [api]: ['read'] } });
  const flow = await authorize({
    issuer: server.url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid read offline_access',
    resource: api,
  });
  const tokens = await redeemCode(server, client, flow, { resource: api });
  t.is(tokens.status, 200, JSON.stringify(tokens.body));
  t.is(lifetime(tokens.body.access_token), 120);
  const refreshed = await postForm(
    `${server.url}/token`,
    { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string, resource: api },
    client,
  );
  t.is(refreshed.status, 200, JSON.stringify(refreshed.body));
  t.is(lifetime(refreshed.body.access_token), 120);
});
