// The audit hash chain and the checks on an event's way in: pure functions, no I/O.
import test from 'ava';
import { createHmac, createSecretKey, randomBytes } from 'node:crypto';
import {
  anchorMac,
  canonicalEvent,
  canonicalJson,
  chainEvents,
  chainHash,
  GENESIS_HASH,
  type AuditEventFields,
} from '../../src/security/audit/audit-chain.ts';
import {
  AuditInputError,
  isCredentialKey,
  MAX_STRING,
  normalizeAuditEvent,
  sanitizeDetails,
} from '../../src/security/audit/audit-input.ts';
import { deriveKeys } from '../../src/security/derived-keys.ts';

const key = createSecretKey(randomBytes(32));
const at = new Date('2025-03-01T10:20:30.456Z');

const event = (overrides: Partial<AuditEventFields> = {}): AuditEventFields => ({
  id: '4b0f1c1e-0000-4000-8000-000000000001',
  occurredAt: at,
  type: 'login.succeeded',
  outcome: 'success',
  actorType: 'user',
  actorId: 'u1',
  targetType: null,
  targetId: null,
  clientId: 'app',
  ip: '203.0.113.7',
  userAgent: 'UA',
  requestId: 'req-1',
  details: { mfa: ['totp'], amr: 'pwd' },
  ...overrides,
});

test('canonical JSON sorts keys at every depth and is independent of insertion order', (t) => {
  t.is(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }), '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  t.is(canonicalJson({ '10': 1, '9': 2, a: 3 }), '{"10":1,"9":2,"a":3}');
  t.is(canonicalJson({ a: 1, b: { c: 2 } }), canonicalJson({ b: { c: 2 }, a: 1 }));
  t.is(canonicalJson({ a: undefined, b: 'x' }), '{"b":"x"}');
  t.throws(() => canonicalJson({ a: Number.NaN }), { instanceOf: TypeError });
});

test('the canonical event has a fixed field order, the seq and an ISO time with milliseconds', (t) => {
  const text = canonicalEvent(7, event());
  const parsed = JSON.parse(text) as unknown[];
  t.is(parsed[1], '7');
  t.is(parsed[3], '2025-03-01T10:20:30.456Z');
  t.is(parsed[4], 'login.succeeded');
  t.is(parsed.at(-1), '{"amr":"pwd","mfa":["totp"]}');
  // details keys in another order: the same canonical form
  t.is(
    canonicalEvent(7, event({ details: { mfa: ['totp'], amr: 'pwd' } })),
    canonicalEvent(7, event({ details: { amr: 'pwd', mfa: ['totp'] } })),
  );
  t.throws(() => canonicalEvent(0, event()), { instanceOf: RangeError });
});

test('hash = HMAC-SHA-256(key, prev_hash || canonical)', (t) => {
  const expected = createHmac('sha256', key)
    .update(GENESIS_HASH + canonicalEvent(1, event()))
    .digest('hex');
  t.is(chainHash(key, GENESIS_HASH, 1, event()), expected);
  t.regex(expected, /^[0-9a-f]{64}$/);
  t.is(GENESIS_HASH, '0'.repeat(64));
});

test('every field, the seq, the previous hash and the key change the hash', (t) => {
  const base = chainHash(key, GENESIS_HASH, 1, event());
  const variants: Partial<AuditEventFields>[] = [
    { id: '4b0f1c1e-0000-4000-8000-000000000002' },
    { occurredAt: new Date(at.getTime() + 1) },
    { type: 'login.failed' },
    { outcome: 'failure' },
    { actorType: 'admin' },
    { actorId: 'u2' },
    { targetType: 'user' },
    { targetId: 'u1' },
    { clientId: 'other' },
    { ip: '203.0.113.8' },
    { userAgent: 'UA2' },
    { requestId: 'req-2' },
    { details: { mfa: ['webauthn'], amr: 'pwd' } },
    { details: null },
    { clientId: null },
  ];
  for (const variant of variants) t.not(chainHash(key, GENESIS_HASH, 1, event(variant)), base, JSON.stringify(variant));
  t.not(chainHash(key, GENESIS_HASH, 2, event()), base);
  t.not(chainHash(key, 'f'.repeat(64), 1, event()), base);
  t.not(chainHash(createSecretKey(randomBytes(32)), GENESIS_HASH, 1, event()), base);
  // a field's value cannot slide into its neighbour
  t.not(
    chainHash(key, GENESIS_HASH, 1, event({ actorId: 'ab', targetId: null })),
    chainHash(key, GENESIS_HASH, 1, event({ actorId: 'a', targetId: 'b' })),
  );
});

test('chainEvents links each event to the one before, continuing after a given head', (t) => {
  const events = [event(), event({ type: 'token.issued' }), event({ type: 'logout' })];
  const chained = chainEvents(key, 0, GENESIS_HASH, events);
  t.deepEqual(
    chained.map((each) => each.seq),
    [1, 2, 3],
  );
  t.is(chained[0]!.prevHash, GENESIS_HASH);
  t.is(chained[1]!.prevHash, chained[0]!.hash);
  t.is(chained[2]!.prevHash, chained[1]!.hash);
  t.is(chained[2]!.hash, chainHash(key, chained[1]!.hash, 3, events[2]!));
  const continued = chainEvents(key, 3, chained[2]!.hash, [event({ type: 'consent.granted' })]);
  t.is(continued[0]!.seq, 4);
  t.is(continued[0]!.prevHash, chained[2]!.hash);
});

test('the anchor MAC binds seq, hash and time, under the key', (t) => {
  const anchor = { seq: 10, hash: 'a'.repeat(64), prunedAt: at };
  const mac = anchorMac(key, anchor);
  t.is(anchorMac(key, { ...anchor }), mac);
  t.not(anchorMac(key, { ...anchor, seq: 11 }), mac);
  t.not(anchorMac(key, { ...anchor, hash: 'b'.repeat(64) }), mac);
  t.not(anchorMac(key, { ...anchor, prunedAt: new Date(at.getTime() + 1) }), mac);
  t.not(anchorMac(createSecretKey(randomBytes(32)), anchor), mac);
  t.not(mac, chainHash(key, anchor.hash, 10, event()));
});

test('the audit key is derived from SECRET_KEY and differs from its siblings', (t) => {
  const a = deriveKeys('x'.repeat(40));
  const b = deriveKeys('y'.repeat(40));
  t.not(chainHash(a.auditKey, GENESIS_HASH, 1, event()), chainHash(b.auditKey, GENESIS_HASH, 1, event()));
  t.not(chainHash(a.auditKey, GENESIS_HASH, 1, event()), chainHash(a.clientSecretKey, GENESIS_HASH, 1, event()));
});

// ---------------------------------------------------------------- input checks

test('credential-like details keys are refused at any depth, in any spelling', (t) => {
  for (const name of [
    'password',
    'Password',
    'newPassword',
    'secret',
    'client_secret',
    'clientSecret',
    'token',
    'access_token',
    'accessToken',
    'refresh_token',
    'id_token',
    'IdToken',
    'code',
    'CODE',
    'code_verifier',
    'codeVerifier',
    'otp',
    'totp',
    'assertion',
    'client_assertion',
    'userCode',
    'recovery_code',
    'authorization',
    'cookie',
  ]) {
    t.true(isCredentialKey(name), name);
    t.throws(() => sanitizeDetails({ [name]: 'x' }), { instanceOf: AuditInputError }, name);
    t.throws(
      () => sanitizeDetails({ outer: { list: [{ [name]: 'x' }] } }),
      { instanceOf: AuditInputError, message: /outer\.list\[0\]\./ },
      name,
    );
  }
  for (const name of [
    'reasonCode',
    'reason_code',
    'errorCode',
    'tokenType',
    'grantType',
    'scopes',
    'mfaMethod',
    'clientId',
    'amr',
    'credentialChanged',
  ]) {
    t.false(isCredentialKey(name), name);
  }
  t.deepEqual(sanitizeDetails({ reasonCode: 'bad_password', grantType: 'refresh_token', tokenType: 'refresh_token' }), {
    reasonCode: 'bad_password',
    grantType: 'refresh_token',
    tokenType: 'refresh_token',
  });
});

test('details strings are capped, NUL removed, broken surrogates replaced; dates become ISO strings', (t) => {
  const details = sanitizeDetails({
    long: 'x'.repeat(5000),
    nul: 'a\u0000b',
    broken: 'a\ud800b',
    when: at,
    list: Array.from({ length: 500 }, (_, i) => i),
    skip: undefined,
  })!;
  t.is((details.long as string).length, MAX_STRING);
  t.is(details.nul, 'ab');
  t.is(details.broken, 'a\ufffdb');
  t.is(details.when, at.toISOString());
  t.is((details.list as number[]).length, 100);
  t.false('skip' in details);
});

test('details must be plain JSON data', (t) => {
  t.throws(() => sanitizeDetails({ n: Number.POSITIVE_INFINITY }), { instanceOf: AuditInputError });
  t.throws(() => sanitizeDetails({ f: () => 1 }), { instanceOf: AuditInputError });
  t.throws(() => sanitizeDetails({ big: 1n }), { instanceOf: AuditInputError });
  t.throws(() => sanitizeDetails({ error: new Error('x') }), { instanceOf: AuditInputError });
  t.throws(() => sanitizeDetails({ map: new Map() }), { instanceOf: AuditInputError });
  t.throws(() => sanitizeDetails(['a']), { instanceOf: AuditInputError });
  t.throws(() => sanitizeDetails({ a: { b: { c: { d: { e: { f: { g: { h: 1 } } } } } } } }), {
    instanceOf: AuditInputError,
    message: /deeper/,
  });
  t.is(sanitizeDetails(undefined), null);
});

test('an event is checked: type, outcome, actor and target kinds; outside strings are made storable', (t) => {
  const id = '4b0f1c1e-0000-4000-8000-000000000001';
  const ok = normalizeAuditEvent(
    {
      type: 'login.failed',
      outcome: 'failure',
      actor: { type: 'user', id: 'u1' },
      ip: '::1',
      userAgent: `UA\u0000${'y'.repeat(600)}`,
      details: { reasonCode: 'bad_password' },
    },
    id,
    at,
  );
  t.like(ok, {
    id,
    type: 'login.failed',
    outcome: 'failure',
    actorType: 'user',
    actorId: 'u1',
    targetType: null,
    clientId: null,
    ip: '::1',
  });
  t.is(ok.userAgent!.length, MAX_STRING);
  t.false(ok.userAgent!.includes('\u0000'));
  const bad = [
    { type: 'Login Failed', outcome: 'failure' },
    { type: 'login.', outcome: 'failure' },
    { type: 'login.failed', outcome: 'maybe' },
    { type: 'login.failed', outcome: 'failure', actor: { type: 'robot', id: 'r' } },
    { type: 'login.failed', outcome: 'failure', actor: { type: 'user', id: '' } },
    { type: 'login.failed', outcome: 'failure', target: { type: 'planet', id: 'p' } },
    { type: 'login.failed', outcome: 'failure', clientId: 42 },
    { type: 'login.failed', outcome: 'failure', details: { password: 'hunter2' } },
  ];
  for (const input of bad)
    t.throws(() => normalizeAuditEvent(input as never, id, at), { instanceOf: AuditInputError }, JSON.stringify(input));
});
