// Attack 12: scope tampering. A client asks for more than it may have — an API scope without naming
// the API, `offline_access` without the refresh grant, a scope of another API, a scope it was never
// given — and hopes the server quietly hands out something (or quietly drops the part it refuses,
// leaving the client to believe it holds what it asked for). Every known scope a client may not have
// is refused with `invalid_scope`, in every flow; scope values nobody defined are ignored (OpenID
// Connect Core 3.1.2.1), never refused and never granted.
import { decodeJwt } from 'jose';
import { testEachBackend } from '../helpers/backend-test.ts';
import { createResource, createTestClient, createUser, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { authorize, pkcePair } from '../helpers/user-agent.ts';

const API = 'https://api.example.com';
const OTHER_API = 'https://other.example.com';

testEachBackend('/auth: an API scope asked for without resource= is refused, not silently dropped', async (t, server) => {
  await createResource(server.db, API, ['read', 'write']);
  const user = await createUser(server.db);
  const client = await createTestClient(server, { resources: { [API]: ['read'] } });
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid read' });
  t.is(flow.code, undefined, 'no code for a request whose API scope would vanish');
  t.is(flow.error, 'invalid_scope');
  t.regex(flow.callback?.searchParams.get('error_description') ?? '', /resource/);
});

testEachBackend('/auth: offline_access from a client without the refresh grant is refused, not silently dropped', async (t, server) => {
  const user = await createUser(server.db);
  const client = await createTestClient(server, { grantTypes: ['authorization_code'] });
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid offline_access' });
  t.is(flow.code, undefined);
  t.is(flow.error, 'invalid_scope');
  t.regex(flow.callback?.searchParams.get('error_description') ?? '', /offline_access/);

  // the same client without offline_access signs in as usual
  const plain = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid' });
  t.truthy(plain.code, plain.pages.at(-1));
});

testEachBackend(
  '/auth: a scope of another API, or one the client was not given, is refused; unknown scope values are ignored',
  async (t, server) => {
    await createResource(server.db, API, ['read', 'write']);
    await createResource(server.db, OTHER_API, ['delete']);
    const user = await createUser(server.db);
    const client = await createTestClient(server, { resources: { [API]: ['read'] } });
    const asFor = (scope: string) => authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope, resource: API });

    t.is((await asFor('openid read write')).error, 'invalid_scope', 'a scope of the API the client was not given');
    t.is((await asFor('openid read delete')).error, 'invalid_scope', 'a scope of another API');
    t.is((await asFor('openid read admin:users')).error, 'invalid_scope', 'a scope of the admin API');

    const unknown = await asFor('openid read no-such-scope');
    t.truthy(unknown.code, `an unknown scope value is ignored: ${unknown.error ?? unknown.pages.at(-1)}`);
    const tokens = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: unknown.code!, redirect_uri: REDIRECT_URI, code_verifier: unknown.verifier, resource: API },
      client,
    );
    t.is(tokens.status, 200, JSON.stringify(tokens.body));
    t.is(decodeJwt(tokens.body.access_token as string).scope, 'read', 'and never granted');
  },
);

testEachBackend('pushed authorization requests: the same refusals at /request', async (t, server) => {
  await createResource(server.db, API, ['read']);
  const client = await createTestClient(server, { grantTypes: ['authorization_code'], resources: { [API]: ['read'] } });
  const push = (fields: Record<string, string>) =>
    postForm(
      `${server.url}/request`,
      {
        client_id: client.clientId,
        response_type: 'code',
        redirect_uri: REDIRECT_URI,
        code_challenge: pkcePair().challenge,
        code_challenge_method: 'S256',
        ...fields,
      },
      client,
    );
  for (const [fields, what] of [
    [{ scope: 'openid read' }, 'an API scope without resource='],
    [{ scope: 'openid offline_access', prompt: 'consent' }, 'offline_access without the refresh grant'],
  ] as const) {
    const answer = await push(fields);
    t.is(answer.status, 400, `${what}: ${JSON.stringify(answer.body)}`);
    t.is(answer.body.error, 'invalid_scope', `${what}: ${JSON.stringify(answer.body)}`);
    t.is(answer.body.request_uri, undefined, what);
  }
  t.is(
    (await push({ scope: 'openid read no-such-scope', resource: API })).status,
    201,
    'a well-formed request (an unknown value ignored) is pushed',
  );
});

testEachBackend(
  'client credentials: an API scope without resource= (two APIs allowed), offline_access and openid are refused',
  async (t, server) => {
    await createResource(server.db, API, ['read']);
    await createResource(server.db, OTHER_API, ['read']);
    const twoApis = await createTestClient(server, {
      grantTypes: ['client_credentials'],
      resources: { [API]: ['read'], [OTHER_API]: ['read'] },
    });
    const unnamed = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope: 'read' }, twoApis);
    t.is(unnamed.status, 400, JSON.stringify(unnamed.body));
    t.is(unnamed.body.error, 'invalid_scope');
    t.is(unnamed.body.access_token, undefined);

    const service = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API]: ['read'] } });
    for (const scope of ['read offline_access', 'read openid', 'read email']) {
      const answer = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope }, service);
      t.is(answer.status, 400, `${scope}: ${JSON.stringify(answer.body)}`);
      t.is(answer.body.error, 'invalid_scope', scope);
    }
  },
);

testEachBackend('client credentials: a scope of another API is refused; unknown scope values are ignored', async (t, server) => {
  await createResource(server.db, API, ['read', 'write']);
  await createResource(server.db, OTHER_API, ['delete']);
  const service = await createTestClient(server, { grantTypes: ['client_credentials'], resources: { [API]: ['read'] } });
  for (const scope of ['read write', 'read delete', 'read admin:users']) {
    const answer = await postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope, resource: API }, service);
    t.is(answer.body.error, 'invalid_scope', scope);
  }
  const unknown = await postForm(
    `${server.url}/token`,
    { grant_type: 'client_credentials', scope: 'read no-such-scope', resource: API },
    service,
  );
  t.is(unknown.status, 200, JSON.stringify(unknown.body));
  t.is(unknown.body.scope, 'read');
  t.is(decodeJwt(unknown.body.access_token as string).scope, 'read');
});

testEachBackend(
  'refresh: a scope beyond the grant (another scope of the API, a scope of another API, a user scope not granted) is refused',
  async (t, server) => {
    await createResource(server.db, API, ['read', 'write']);
    await createResource(server.db, OTHER_API, ['delete']);
    const user = await createUser(server.db);
    const client = await createTestClient(server, { resources: { [API]: ['read', 'write'] } });
    const flow = await authorize({
      issuer: server.url,
      clientId: client.clientId,
      email: user.email,
      scope: 'openid offline_access read',
      resource: API,
    });
    t.truthy(flow.code, flow.error ?? flow.pages.at(-1));
    const tokens = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier, resource: API },
      client,
    );
    t.is(tokens.status, 200, JSON.stringify(tokens.body));
    const refreshToken = tokens.body.refresh_token as string;
    t.truthy(refreshToken);

    for (const scope of ['read write', 'read delete', 'openid profile', 'read admin:users']) {
      const answer = await postForm(
        `${server.url}/token`,
        { grant_type: 'refresh_token', refresh_token: refreshToken, scope, resource: API },
        client,
      );
      t.is(answer.body.error, 'invalid_scope', scope);
    }
    const narrowed = await postForm(
      `${server.url}/token`,
      { grant_type: 'refresh_token', refresh_token: refreshToken, scope: 'read', resource: API },
      client,
    );
    t.is(narrowed.status, 200, JSON.stringify(narrowed.body));
    t.is(decodeJwt(narrowed.body.access_token as string).scope, 'read');
  },
);

testEachBackend(
  'token, userinfo, introspection and revocation answers may not be cached: no-store and Pragma: no-cache (RFC 6749 §5.1)',
  async (t, server) => {
    await createResource(server.db, API, ['read']);
    const user = await createUser(server.db);
    const client = await createTestClient(server, { resources: { [API]: ['read'] } });
    const flow = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid offline_access' });
    const tokens = await postForm(
      `${server.url}/token`,
      { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
      client,
    );
    t.is(tokens.status, 200, JSON.stringify(tokens.body));
    const userinfo = await fetch(`${server.url}/me`, { headers: { authorization: `Bearer ${tokens.body.access_token as string}` } });
    await userinfo.arrayBuffer();
    const answers: [string, { status: number; headers: Headers }][] = [
      ['token', tokens],
      [
        'token error',
        await postForm(
          `${server.url}/token`,
          { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
          client,
        ),
      ],
      ['userinfo', userinfo],
      ['introspection', await postForm(`${server.url}/token/introspection`, { token: tokens.body.refresh_token as string }, client)],
      ['revocation', await postForm(`${server.url}/token/revocation`, { token: tokens.body.refresh_token as string }, client)],
    ];
    for (const [name, answer] of answers) {
      t.regex(answer.headers.get('cache-control') ?? '', /no-store/, name);
      t.is(answer.headers.get('pragma'), 'no-cache', name);
    }
  },
);
