// The values an attacker puts where a server expects an ordinary one: NUL and control bytes, lone
// surrogates, CRLF, SQL and LIKE metacharacters, prototype keys, Unicode confusables, huge strings,
// numbers where strings go, arrays where scalars go, deep nesting. Arbitraries only, no I/O.
import fc from 'fast-check';

/** Strings that have broken servers before: each is a short, readable reproduction. */
export const HOSTILE_STRINGS: readonly string[] = [
  '',
  ' ',
  '\u0000',
  'a\u0000b',
  '\u0001',
  '\u007f',
  '\t',
  '\r\n',
  'x\r\nSet-Cookie: pwned=1',
  '\n\nHTTP/1.1 200 OK',
  '\uD800',
  '\uDFFF',
  'x\uD83D',
  '\uDE00y',
  '\uFFFE',
  '\uFEFFadmin',
  '\u202Eevil',
  '\u200B',
  '\u0301',
  "'",
  '"',
  "' OR '1'='1",
  "'; DROP TABLE accounts; --",
  '1; SELECT pg_sleep(10)',
  '$1',
  '%',
  '_',
  '%_%',
  '\\',
  '\\%',
  '[a-z]*',
  '.*',
  '%00',
  '%ZZ',
  '%E0%A4%A',
  '%2F',
  '..',
  '../..',
  '/',
  '//evil.example',
  '?',
  '#',
  '&',
  '=',
  '+',
  ';',
  '__proto__',
  'constructor',
  'prototype',
  'hasOwnProperty',
  'toString',
  'valueOf',
  'null',
  'undefined',
  'true',
  'false',
  'NaN',
  'Infinity',
  '-1',
  '0',
  '1e309',
  '9007199254740993',
  '0x10',
  '١٢٣',
  'ſtate',
  'K',
  'İ',
  'ı',
  'ﬀ',
  'ａｄｍｉｎ',
  'аdmin',
  'ß',
  'ǅ',
  'Å',
  'Å',
  '🔑',
  '<script>alert(1)</script>',
  '"><img src=x onerror=alert(1)>',
  '{{7*7}}',
  '${7*7}',
  '<%= 7*7 %>',
  'javascript:alert(1)',
  'data:text/html,x',
  'http://127.0.0.1:8080/callback',
  'http://127.0.0.1:8080/callback/',
  'HTTP://127.0.0.1:8080/CALLBACK',
  'https://evil.example/',
  'http://169.254.169.254/latest/meta-data/',
  'urn:portcullis:admin',
  'https://api.example.com',
  'openid',
  'openid offline_access',
  'admin:read admin:write admin:users',
  'S256',
  'plain',
  'none',
  'Bearer',
  'DPoP',
  'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhIn0.',
  'a.b.c',
  '....',
  'eyJ',
  'YWRtaW46YWRtaW4=',
  '2026-13-45',
  '1970-01-01',
  '9999-12-31T23:59:59Z',
];

/** What a database text column cannot hold or UTF-8 cannot encode: the edge guard must refuse them. */
export const UNREPRESENTABLE: readonly string[] = ['\u0000', 'a\u0000b', '\uD800', 'x\uDFFF', '\uDBFF\uDBFF'];

/** Sizes at and past the limits (16 KiB forms, 64 KiB admin bodies, 16 KiB Node headers). */
export const HUGE_SIZES: readonly number[] = [4 * 1024, 16 * 1024 + 1, 56 * 1024 + 1, 64 * 1024 + 1];

export const hugeString: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom(...HUGE_SIZES), fc.constantFrom('a', '\u0000', 'é', '%', '\uD800', '&x='))
  .map(([size, unit]) => unit.repeat(Math.ceil(size / unit.length)));

/** Any string at all, lone surrogates and control characters included. */
const anyString = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 20 }),
  fc.string({ maxLength: 40 }),
);

/** A hostile string: a classic, a random one, a classic around a plausible value, or a huge one. */
export function hostileString(plausible: fc.Arbitrary<string>): fc.Arbitrary<string> {
  const classic = fc.oneof(
    { weight: 3, arbitrary: fc.constantFrom(...HOSTILE_STRINGS) },
    { weight: 1, arbitrary: fc.constantFrom(...UNREPRESENTABLE) },
  );
  return fc.oneof(
    { weight: 16, arbitrary: classic },
    { weight: 8, arbitrary: anyString },
    { weight: 8, arbitrary: fc.tuple(plausible, classic, fc.boolean()).map(([good, bad, before]) => (before ? bad + good : good + bad)) },
    // rare: one huge value is enough to make the whole request oversized
    { weight: 1, arbitrary: hugeString },
  );
}

/** A string field's value: mostly plausible (so deep paths are reached), often hostile. */
export function stringField(plausible: fc.Arbitrary<string>): fc.Arbitrary<string> {
  return fc.oneof({ weight: 3, arbitrary: plausible }, { weight: 2, arbitrary: hostileString(plausible) });
}

/** `depth` nested arrays or objects, as JSON text (JSON.stringify would overflow no sooner than the server). */
export const deeplyNestedJson = (depth: number, kind: 'array' | 'object'): string =>
  kind === 'array' ? `${'['.repeat(depth)}1${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

/** A JSON value where the server expected something else (type confusion). */
export const wrongTypeJson: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom(null, true, false, 0, -1, 1.5, 1e308, -0, [], {}, [null], { __proto__: null }, ['a', 'a']),
  fc.integer(),
  fc.double(),
  fc.array(fc.string({ maxLength: 5 }), { maxLength: 3 }),
  fc.dictionary(fc.constantFrom('__proto__', 'constructor', 'prototype', 'toString', 'a', ''), fc.jsonValue({ maxDepth: 2 }), {
    maxKeys: 3,
  }),
  fc.jsonValue({ maxDepth: 3 }),
);

/** Keys an attacker adds to a JSON object: prototype pollution, casing tricks, unknown fields. */
export const hostileKey: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'isAdmin',
    'is_admin',
    'admin',
    'scope',
    'scopes',
    'id',
    'clientSecret',
    'secretHash',
    'password_hash',
    '',
    ' ',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
);
