// Attack 17: oidc-provider routes `/TOKEN`, `/token/` and `/Token/Introspection/` to its token and
// introspection endpoints. A client at its quota must not go on through those spellings: quotas
// follow the provider's routing, so every alias spends and meets the same per-client quota.
import { testEachBackend } from '../helpers/backend-test.ts';
import { createTestClient, postForm } from '../helpers/fixtures.ts';
import { GENEROUS_RATE_LIMITS } from '../helpers/server.ts';

const QUOTA = { ...GENEROUS_RATE_LIMITS, RATE_LIMIT_CLIENT_PER_MINUTE: '3' };
const ALIASES = ['/token/', '/TOKEN', '/Token', '/TOKEN/'];

testEachBackend(
  'a client past its quota is refused at every spelling of the token endpoint',
  async (t, server) => {
    const client = await createTestClient(server, { grantTypes: ['client_credentials'] });
    for (let i = 0; i < 3; i++) t.is((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, client)).status, 200);
    t.is((await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, client)).status, 429);
    for (const alias of ALIASES) {
      const answer = await postForm(`${server.url}${alias}`, { grant_type: 'client_credentials' }, client);
      t.is(answer.status, 429, `${alias} is the same endpoint, with the same quota`);
      t.is(answer.body.error, 'temporarily_unavailable', `${alias}: an OAuth error object`);
      t.is(answer.body.access_token, undefined);
    }
  },
  { env: QUOTA },
);

testEachBackend(
  'requests through the aliases spend the quota like the canonical paths',
  async (t, server) => {
    const client = await createTestClient(server, { grantTypes: ['client_credentials'] });
    const first = await postForm(`${server.url}/TOKEN`, { grant_type: 'client_credentials' }, client);
    t.is(first.status, 200, 'the provider answers the alias');
    const token = first.body.access_token as string;
    t.is((await postForm(`${server.url}/token/`, { grant_type: 'client_credentials' }, client)).status, 200);
    t.is((await postForm(`${server.url}/Token/Introspection/`, { token }, client)).status, 200);
    const past = await postForm(`${server.url}/token`, { grant_type: 'client_credentials' }, client);
    t.is(past.status, 429, 'three requests through aliases used up the quota of three');
    t.is((await postForm(`${server.url}/token/introspection/`, { token }, client)).status, 429);
    t.is((await postForm(`${server.url}/TOKEN/REVOCATION`, { token }, client)).status, 429);
  },
  { env: QUOTA },
);
