// oidc-provider's endpoints as its discovery document publishes them, each with the parameters it
// reads (RFC 6749, 7009, 7636, 7662, 8707, 9126, OpenID Connect Core and RP-Initiated Logout).
import fc from 'fast-check';
import type { Endpoint, Parameter } from './endpoint.ts';
import { ref } from './fuzz-values.ts';

const REDIRECT = 'http://127.0.0.1:8080/callback';
const JWT_NONE = 'eyJhbGciOiJub25lIiwidHlwIjoiSldUIn0.eyJpc3MiOiJ4Iiwic3ViIjoieCIsImF1ZCI6IngiLCJleHAiOjk5OTk5OTk5OTl9.';

// eslint-disable-next-line @typescript-eslint/no-misused-spread -- an ASCII alphabet: one character per code point
const word = fc.string({ unit: fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz0123456789-._~'), minLength: 1, maxLength: 64 });
const values = (...options: string[]) => fc.oneof(fc.constantFrom(...options), word);

/** Every OAuth parameter the fuzzer sends, with the values that get it past the first checks. */
const PARAMETERS: Record<string, fc.Arbitrary<string>> = {
  client_id: fc.constantFrom(ref('clientId'), ref('publicClientId'), ref('victimClientId'), 'unknown-client'),
  client_secret: fc.constantFrom(ref('clientSecret'), 'wrong-secret'),
  client_assertion: fc.constantFrom(JWT_NONE, 'a.b.c', ref('idToken'), ref('accessToken')),
  client_assertion_type: fc.constantFrom('urn:ietf:params:oauth:client-assertion-type:jwt-bearer', 'jwt'),
  grant_type: fc.constantFrom(
    'authorization_code',
    'refresh_token',
    'client_credentials',
    'password',
    'implicit',
    'urn:ietf:params:oauth:grant-type:device_code',
    'urn:ietf:params:oauth:grant-type:jwt-bearer',
    'urn:ietf:params:oauth:grant-type:token-exchange',
  ),
  code: fc.constantFrom(ref('code'), ref('refreshToken'), 'not-a-code'),
  redirect_uri: fc.constantFrom(
    REDIRECT,
    `${REDIRECT}/`,
    'http://127.0.0.1:8080/CALLBACK',
    'http://127.0.0.1:8080/callback?x=1',
    'https://evil.example/callback',
    'http://user@127.0.0.1:8080/callback',
  ),
  code_verifier: values('a'.repeat(43), 'short'),
  refresh_token: fc.constantFrom(ref('refreshToken'), ref('accessToken'), 'not-a-token'),
  scope: fc.constantFrom(
    'openid',
    'openid offline_access',
    'openid profile email',
    'read',
    'read write',
    'admin:read',
    'admin:read admin:write admin:users',
    'unknown',
  ),
  resource: fc.constantFrom(
    ref('api'),
    'urn:portcullis:admin',
    ref('victimResource'),
    'https://unknown.example',
    'not a uri',
    'https://api.example.com#frag',
  ),
  token: fc.constantFrom(ref('accessToken'), ref('refreshToken'), ref('adminToken'), ref('idToken'), ref('code'), 'not-a-token'),
  token_type_hint: fc.constantFrom('access_token', 'refresh_token', 'id_token', 'authorization_code', 'unknown'),
  response_type: fc.constantFrom('code', 'token', 'id_token', 'code id_token', 'none', ''),
  response_mode: fc.constantFrom('query', 'fragment', 'form_post', 'jwt', 'query.jwt'),
  state: word,
  nonce: word,
  code_challenge: values('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM'),
  code_challenge_method: fc.constantFrom('S256', 'plain', 's256'),
  prompt: fc.constantFrom('login', 'consent', 'none', 'select_account', 'create', 'login consent'),
  max_age: fc.constantFrom('0', '60', '-1', '1e9', 'x'),
  acr_values: fc.constantFrom('urn:portcullis:acr:mfa', 'urn:portcullis:acr:pwd', 'urn:portcullis:acr:mfa urn:portcullis:acr:pwd'),
  login_hint: fc.constantFrom(ref('userEmail'), 'someone@example.com'),
  claims: fc.constantFrom(
    '{"userinfo":{"email":null}}',
    '{"id_token":{"acr":{"essential":true,"values":["urn:portcullis:acr:mfa"]}}}',
    '{',
    '[]',
    'null',
  ),
  request: fc.constantFrom(JWT_NONE, 'a.b.c'),
  request_uri: fc.constantFrom('urn:ietf:params:oauth:request_uri:abc', 'https://evil.example/request'),
  ui_locales: fc.constantFrom('en', 'de-DE fr', 'xx'),
  id_token_hint: fc.constantFrom(ref('idToken'), JWT_NONE, ref('accessToken')),
  dpop_jkt: word,
  post_logout_redirect_uri: fc.constantFrom('http://127.0.0.1:8080/logged-out', 'https://evil.example/'),
  logout_hint: fc.constantFrom(ref('userEmail'), 'x'),
  access_token: fc.constantFrom(ref('accessToken'), ref('adminToken'), 'not-a-token'),
  xsrf: word,
  logout: fc.constantFrom('yes', ''),
};

const parameters = (...names: string[]): Parameter[] => names.map((name) => ({ name, plausible: PARAMETERS[name]! }));

const CLIENT_AUTH = ['client_id', 'client_secret', 'client_assertion', 'client_assertion_type'];
const AUTHORIZATION = [
  'client_id',
  'response_type',
  'redirect_uri',
  'scope',
  'state',
  'nonce',
  'code_challenge',
  'code_challenge_method',
  'prompt',
  'max_age',
  'acr_values',
  'login_hint',
  'claims',
  'resource',
  'request',
  'request_uri',
  'response_mode',
  'ui_locales',
  'id_token_hint',
  'dpop_jkt',
];
const END_SESSION = ['id_token_hint', 'post_logout_redirect_uri', 'state', 'client_id', 'logout_hint', 'ui_locales'];

interface Described {
  kind: Endpoint['kind'];
  methods: string[];
  body: Endpoint['body'];
  query: string[];
  fields: string[];
}

/** The discovery keys the fuzzer knows, with the methods and parameters of each endpoint. */
const BY_DISCOVERY_KEY: Record<string, Described> = {
  authorization_endpoint: { kind: 'page', methods: ['GET', 'POST'], body: 'form', query: AUTHORIZATION, fields: AUTHORIZATION },
  token_endpoint: {
    kind: 'oauth',
    methods: ['POST'],
    body: 'form',
    query: [],
    fields: ['grant_type', 'code', 'redirect_uri', 'code_verifier', 'refresh_token', 'scope', 'resource', ...CLIENT_AUTH],
  },
  introspection_endpoint: {
    kind: 'oauth',
    methods: ['POST'],
    body: 'form',
    query: [],
    fields: ['token', 'token_type_hint', ...CLIENT_AUTH],
  },
  revocation_endpoint: { kind: 'oauth', methods: ['POST'], body: 'form', query: [], fields: ['token', 'token_type_hint', ...CLIENT_AUTH] },
  userinfo_endpoint: { kind: 'oauth', methods: ['GET', 'POST'], body: 'form', query: ['access_token'], fields: ['access_token'] },
  pushed_authorization_request_endpoint: {
    kind: 'oauth',
    methods: ['POST'],
    body: 'form',
    query: [],
    fields: [...AUTHORIZATION, ...CLIENT_AUTH],
  },
  registration_endpoint: {
    kind: 'oauth',
    methods: ['POST'],
    body: 'json',
    query: [],
    fields: ['redirect_uris', 'client_name', 'grant_types', 'token_endpoint_auth_method', 'jwks_uri'],
  },
  end_session_endpoint: { kind: 'page', methods: ['GET', 'POST'], body: 'form', query: END_SESSION, fields: END_SESSION },
  jwks_uri: { kind: 'metadata', methods: ['GET'], body: 'none', query: [], fields: [] },
};

/** The provider's endpoints for a discovery document (the document itself included). */
export function providerEndpoints(discovery: Record<string, unknown>): Endpoint[] {
  const endpoints: Endpoint[] = [
    {
      name: 'GET /.well-known/openid-configuration',
      kind: 'metadata',
      methods: ['GET'],
      path: '/.well-known/openid-configuration',
      pathParameters: {},
      body: 'none',
      query: [],
      fields: [],
    },
  ];
  for (const [key, described] of Object.entries(BY_DISCOVERY_KEY)) {
    const url = discovery[key];
    if (typeof url !== 'string') continue;
    const path = new URL(url).pathname;
    endpoints.push({
      name: `${described.methods.join('|')} ${path}`,
      kind: described.kind,
      methods: described.methods,
      path,
      pathParameters: {},
      body: described.body,
      query: parameters(...described.query),
      fields: described.body === 'json' ? described.fields.map((name) => ({ name, plausible: word })) : parameters(...described.fields),
    });
    if (key === 'end_session_endpoint') {
      // the logout confirmation form and the signed-out page (oidc-provider's own routes under it)
      endpoints.push({
        name: `POST ${path}/confirm`,
        kind: 'page',
        methods: ['POST'],
        path: `${path}/confirm`,
        pathParameters: {},
        body: 'form',
        query: [],
        fields: parameters('xsrf', 'logout'),
      });
      endpoints.push({
        name: `GET ${path}/success`,
        kind: 'page',
        methods: ['GET'],
        path: `${path}/success`,
        pathParameters: {},
        body: 'none',
        query: parameters('state'),
        fields: [],
      });
    }
  }
  return endpoints;
}
