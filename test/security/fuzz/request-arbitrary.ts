// Generated requests for a list of endpoints: a documented method (or another), the endpoint's path
// with real or hostile parameters (and routing aliases), query and body built from the endpoint's
// own parameter names with plausible and hostile values, every content type and charset, and the
// headers that matter to an authorization server.
import fc from 'fast-check';
import type { Endpoint, Parameter } from './endpoint.ts';
import type { BodyEncoding, FuzzBody, FuzzRequest } from './fuzz-request.ts';
import { MULTIPART_TYPE, percentEncode } from './fuzz-request.ts';
import { ref } from './fuzz-values.ts';
import { deeplyNestedJson, hostileKey, hostileString, HOSTILE_STRINGS, stringField, wrongTypeJson } from './hostile-values.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS'];

/** A header value as a client can send it: UTF-8 bytes read as Latin-1, no CR, LF or NUL (Node refuses to send those). */
export const headerSafe = (value: string) =>
  Buffer.from(value, 'utf8')
    .toString('latin1')
    .replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');

const base64 = (text: string) => Buffer.from(text, 'utf8').toString('base64');

const hostileHeaderValue = hostileString(fc.constant('x')).map(headerSafe);

const AUTHORIZATION = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.constantFrom(
      `Bearer ${ref('adminToken')}`,
      `Bearer ${ref('readToken')}`,
      `Bearer ${ref('accessToken')}`,
      `Basic ${ref('clientBasic')}`,
    ),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      `Bearer ${ref('idToken')}`,
      `Bearer ${ref('refreshToken')}`,
      `DPoP ${ref('adminToken')}`,
      `bearer ${ref('adminToken')}`,
      `Bearer ${ref('adminToken')}x`,
      'Bearer',
      'Bearer ',
      'Bearer a.b.c',
      'Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.',
      `Basic ${base64('a:b:c')}`,
      'Basic %%%',
      `Basic ${base64(':')}`,
      `Basic ${base64('\u0000:x')}`,
      `Basic ${base64('%ZZ:%00')}`,
      `Basic ${base64('\uD800:x')}`,
      'Negotiate abc',
      `Bearer ${'x'.repeat(9000)}`,
    ),
  },
  { weight: 1, arbitrary: hostileHeaderValue.map((value) => `Bearer ${value}`) },
);

/** `arbitrary` or nothing, in the ratio present : absent. */
const option = <T>(arbitrary: fc.Arbitrary<T>, present = 1, absent = 1): fc.Arbitrary<T | undefined> =>
  // cross-shrinking lets a failure shrink an optional part away altogether
  fc.oneof({ withCrossShrink: true }, { weight: absent, arbitrary: fc.constant(undefined) }, { weight: present, arbitrary });

/** Headers: Host, Authorization, Origin, Fetch Metadata, X-Forwarded-For, Cookie, Accept, the endpoint's own, one oversized. */
function headersFor(endpoint: Endpoint): fc.Arbitrary<[string, string][]> {
  const own = (endpoint.headers ?? []).map((parameter) =>
    option(
      stringField(parameter.plausible).map((value): [string, string] => [parameter.name, headerSafe(value)]),
      4,
    ),
  );
  return fc
    .tuple(
      fc.oneof(
        { weight: 12, arbitrary: fc.constant(ref('host')) },
        { weight: 1, arbitrary: fc.constantFrom('evil.example', '', 'a'.repeat(300), '127.0.0.1:1', '[::1]', 'evil.example@127.0.0.1') },
      ),
      // the admin API mostly with a token that gets past authentication, so its operations are reached
      endpoint.kind === 'admin'
        ? option(
            fc.oneof(
              { weight: 8, arbitrary: fc.constant(`Bearer ${ref('adminToken')}`) },
              { weight: 2, arbitrary: fc.constant(`Bearer ${ref('readToken')}`) },
              { weight: 3, arbitrary: AUTHORIZATION },
            ),
            8,
          )
        : option(AUTHORIZATION),
      option(fc.oneof(fc.constantFrom(ref('issuer'), 'null', 'https://evil.example', 'http://127.0.0.1'), hostileHeaderValue)),
      option(fc.oneof(fc.constantFrom('same-origin', 'same-site', 'cross-site', 'none'), hostileHeaderValue)),
      option(
        fc.oneof(fc.constantFrom('203.0.113.7', '203.0.113.7, 198.51.100.1', '::1', '999.999.999.999', 'unknown', ''), hostileHeaderValue),
      ),
      option(
        fc.oneof(
          { weight: 4, arbitrary: fc.constant(ref('browserCookie')) },
          { weight: 1, arbitrary: fc.constantFrom('portcullis.interaction=x; portcullis.interaction.sig=y', '__proto__=1', '=;;=') },
        ),
        endpoint.kind === 'page' ? 6 : 1,
        2,
      ),
      option(fc.constantFrom('text/html', 'application/json', '*/*', 'text/html;q=0, application/json', 'image/png')),
      option(fc.constantFrom('a.b.c', 'eyJhbGciOiJub25lIn0.e30.', ''), 1, 3),
      option(
        fc.tuple(fc.constantFrom('X-Anything', 'If-None-Match', 'Range', 'Content-Encoding', 'Transfer-Encoding-X'), hostileHeaderValue),
        1,
        4,
      ),
      ...own,
    )
    .map(([host, authorization, origin, site, forwarded, cookie, accept, dpop, extra, ...ownHeaders]) => {
      const headers: [string, string][] = [['Host', host]];
      if (authorization !== undefined) headers.push(['Authorization', authorization]);
      if (origin !== undefined) headers.push(['Origin', origin]);
      if (site !== undefined) headers.push(['Sec-Fetch-Site', site]);
      if (forwarded !== undefined) headers.push(['X-Forwarded-For', forwarded]);
      if (cookie !== undefined) headers.push(['Cookie', cookie]);
      if (accept !== undefined) headers.push(['Accept', accept]);
      if (dpop !== undefined) headers.push(['DPoP', dpop]);
      if (extra !== undefined) headers.push(extra);
      for (const header of ownHeaders) if (header) headers.push(header);
      return headers;
    });
}

/** One parameter with a plausible or hostile value; sometimes a hostile name instead. */
function entry(parameters: readonly Parameter[]): fc.Arbitrary<[string, string]> {
  const named =
    parameters.length > 0
      ? fc
          .constantFrom(...parameters)
          .chain((parameter) => stringField(parameter.plausible).map((value): [string, string] => [parameter.name, value]))
      : undefined;
  const stray = fc.tuple(fc.oneof(hostileKey, fc.constantFrom(...HOSTILE_STRINGS)), hostileString(fc.constant('x')));
  return named ? fc.oneof({ weight: 5, arbitrary: named }, { weight: 1, arbitrary: stray }) : stray;
}

/** A set of the endpoint's parameters (so the deep paths that need several are reached), then duplicates and strays. */
function entries(parameters: readonly Parameter[]): fc.Arbitrary<[string, string][]> {
  const chosen = fc
    .subarray([...parameters])
    .chain((subset) =>
      fc.tuple(...subset.map((parameter) => stringField(parameter.plausible).map((value): [string, string] => [parameter.name, value]))),
    );
  return fc
    .tuple(chosen, option(fc.array(entry(parameters), { minLength: 1, maxLength: 2 }), 1, 3))
    .map(([set, extra]) => [...set, ...(extra ?? [])]);
}

function jsonEntries(parameters: readonly Parameter[]): fc.Arbitrary<[string, unknown][]> {
  const value = (parameter: Parameter) =>
    fc
      .oneof(
        { weight: 5, arbitrary: parameter.json ?? parameter.plausible },
        { weight: 1, arbitrary: wrongTypeJson },
        { weight: 2, arbitrary: hostileString(parameter.plausible) },
      )
      .map((json): [string, unknown] => [parameter.name, json]);
  const chosen = fc.subarray([...parameters]).chain((subset) => fc.tuple(...subset.map(value)));
  const stray = fc.tuple(hostileKey, wrongTypeJson);
  const extras = fc.array(parameters.length > 0 ? fc.oneof(fc.constantFrom(...parameters).chain(value), stray) : stray, {
    minLength: 1,
    maxLength: 2,
  });
  return fc.tuple(chosen, option(extras, 1, 3)).map(([set, extra]) => [...set, ...(extra ?? [])]);
}

const TEXT_BODIES = fc.oneof(
  fc.constantFrom(50, 1_000, 20_000).chain((depth) => fc.constantFrom('array', 'object').map((kind) => deeplyNestedJson(depth, kind))),
  fc.constantFrom(
    '',
    '{',
    '{"a":}',
    '[',
    'null',
    '"x"',
    '{"a":1}{"b":2}',
    '\uFEFF{}',
    '{"a":"\\ud800"}',
    '{"__proto__":{"isAdmin":true}}',
    'a=1&a=2',
    '%',
    '=&=&',
  ),
  hostileString(fc.constant('{}')),
);

const encoding = (utf16: boolean): fc.Arbitrary<BodyEncoding> =>
  utf16
    ? fc.constantFrom<BodyEncoding>('utf16le', 'utf16le', 'utf8')
    : fc.oneof(
        { weight: 10, arbitrary: fc.constant<BodyEncoding>('utf8') },
        { weight: 1, arbitrary: fc.constantFrom<BodyEncoding>('utf16le', 'latin1') },
      );

const CONTENT_TYPES = {
  form: [
    'application/x-www-form-urlencoded',
    'application/x-www-form-urlencoded; charset=utf-16',
    'application/x-www-form-urlencoded; charset=iso-8859-1',
    'application/x-www-form-urlencoded;charset=UTF-8',
  ],
  json: [
    'application/json',
    'application/json; charset=utf-16',
    'application/json; charset=utf-8',
    'application/merge-patch+json',
    'application/jwt',
  ],
  other: ['text/plain', 'text/plain; charset=utf-16', MULTIPART_TYPE, 'application/xml', 'application/octet-stream', '*/*', ''],
};

/** A body and its Content-Type (undefined: the header is not sent). */
function bodyFor(endpoint: Endpoint): fc.Arbitrary<{ body: FuzzBody; type: string | undefined }> {
  const typed = (family: keyof typeof CONTENT_TYPES) =>
    fc.oneof(
      { weight: 8, arbitrary: fc.constant(CONTENT_TYPES[family][0]!) },
      { weight: 3, arbitrary: fc.constantFrom(...CONTENT_TYPES[family]) },
      { weight: 2, arbitrary: fc.constantFrom<string | undefined>(...CONTENT_TYPES.other, undefined) },
    );
  const withEncoding = <B extends FuzzBody>(type: string | undefined, make: (encoding: BodyEncoding) => fc.Arbitrary<B>) =>
    encoding(/utf-16/i.test(type ?? ''))
      .chain(make)
      .map((body) => ({ body: body, type }));
  const form = typed('form').chain((type) =>
    withEncoding(type, (enc) =>
      fc
        .tuple(entries(endpoint.fields), fc.boolean())
        .map(([list, raw]) => ({ format: 'form' as const, entries: list, raw, encoding: enc })),
    ),
  );
  const multipart = withEncoding(MULTIPART_TYPE, (enc) =>
    entries(endpoint.fields).map((list) => ({ format: 'multipart' as const, entries: list, encoding: enc })),
  );
  const json = typed('json').chain((type) =>
    withEncoding(type, (enc) =>
      jsonEntries(endpoint.fields).map((list) => ({ format: 'json-object' as const, entries: list, encoding: enc })),
    ),
  );
  const jsonValue = typed('json').chain((type) =>
    withEncoding(type, (enc) => wrongTypeJson.map((value) => ({ format: 'json-value' as const, value, encoding: enc }))),
  );
  const text = fc
    .oneof(typed('json'), typed('form'))
    .chain((type) => withEncoding(type, (enc) => TEXT_BODIES.map((value) => ({ format: 'text' as const, text: value, encoding: enc }))));
  if (endpoint.body === 'json')
    return fc.oneof(
      { weight: 10, arbitrary: json },
      { weight: 1, arbitrary: jsonValue },
      { weight: 2, arbitrary: text },
      { weight: 1, arbitrary: form },
    );
  return fc.oneof(
    { weight: 10, arbitrary: form },
    { weight: 1, arbitrary: multipart },
    { weight: 1, arbitrary: json },
    { weight: 2, arbitrary: text },
  );
}

/** A path parameter: plausible (a real object), hostile (percent-encoded), or a segment that plays with routing. */
function pathParameter(plausible: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof(
    { weight: 6, arbitrary: plausible },
    { weight: 3, arbitrary: hostileString(fc.constant('x')).map(percentEncode) },
    { weight: 1, arbitrary: fc.constantFrom('%00', '%', '%ZZ', '%2F', '%2e%2e', '.', 'a%00b', '%ED%A0%80', '%C0%AE', '%FF') },
  );
}

/** The same route written another way: trailing slash, case, doubled slash, a dot segment. */
const ALIASES: ((path: string) => string)[] = [
  (path) => `${path}/`,
  (path) => path.toUpperCase(),
  (path) => path.replace('/', '//'),
  (path) => `${path}/.`,
  (path) => `${path}/x`,
  (path) => path.replace(/\/([^/]+)$/, '/./$1'),
];

function pathFor(endpoint: Endpoint): fc.Arbitrary<string> {
  const names = Object.keys(endpoint.pathParameters);
  const filled = fc
    .tuple(...names.map((name) => pathParameter(endpoint.pathParameters[name]!)))
    .map((values) => names.reduce((path, name, index) => path.replace(`{${name}}`, values[index]!), endpoint.path));
  return fc
    .tuple(filled, option(fc.constantFrom(...ALIASES.keys()), 1, 8))
    .map(([path, alias]) => (alias === undefined ? path : ALIASES[alias]!(path)));
}

export function endpointRequest(endpoint: Endpoint): fc.Arbitrary<FuzzRequest> {
  const method = fc.oneof(
    { weight: 10, arbitrary: fc.constantFrom(...endpoint.methods) },
    { weight: 1, arbitrary: fc.constantFrom(...METHODS) },
  );
  return method.chain((chosen) => {
    const takesBody = endpoint.body !== 'none' && chosen !== 'GET' && chosen !== 'HEAD';
    const queryParameters = chosen === 'GET' || chosen === 'HEAD' ? [...endpoint.query, ...endpoint.fields] : endpoint.query;
    // a body where none is expected (GET, or a route that takes none) now and then
    const body = takesBody ? option(bodyFor(endpoint), 12) : option(bodyFor(endpoint), 1, 8);
    return fc
      .record({
        path: pathFor(endpoint),
        query: fc.record({ entries: entries(queryParameters), raw: fc.boolean() }),
        headers: headersFor(endpoint),
        body,
      })
      .map(({ path, query, headers, body: chosenBody }): FuzzRequest => ({
        endpoint: endpoint.name,
        kind: endpoint.kind,
        method: chosen,
        path,
        query,
        headers: chosenBody?.type === undefined ? headers : [...headers, ['Content-Type', chosenBody.type]],
        ...(chosenBody ? { body: chosenBody.body } : {}),
      }));
  });
}

/** Paths no route documents, and aliases of those that are. */
const UNROUTED: Endpoint = {
  name: 'ANY (unrouted path)',
  kind: 'any',
  methods: METHODS,
  path: '{path}',
  body: 'form',
  query: [],
  fields: [],
  pathParameters: {
    path: fc.oneof(
      fc.constantFrom(
        '/',
        '/TOKEN',
        '/token/',
        '/token/introspection/',
        '/Token/Revocation',
        '/admin',
        '/admin/v1',
        '/admin/v1/',
        '/admin/v1//clients',
        '/interaction',
        '/interaction/',
        '/account',
        '/account/security/',
        '/%00',
        '/favicon.ico',
        '/.well-known/',
        '/jwks.json',
        '/metrics',
        '/static/../package.json',
        '/%2e%2e/%2e%2e/etc/passwd',
        '//evil.example',
      ),
      hostileString(fc.constant('x')).map((value) => `/${percentEncode(value)}`),
    ),
  },
};

/** Requests over every endpoint; the provider's JSON endpoints, where clients authenticate, weigh more. */
export function requestArbitrary(endpoints: readonly Endpoint[]): fc.Arbitrary<FuzzRequest> {
  return fc.oneof(
    ...endpoints.map((endpoint) => ({
      weight: endpoint.kind === 'oauth' ? 4 : endpoint.kind === 'health' ? 1 : 2,
      arbitrary: endpointRequest(endpoint),
    })),
    { weight: 3, arbitrary: endpointRequest(UNROUTED) },
  );
}
