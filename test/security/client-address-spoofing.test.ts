// Attack 7: behind a proxy that appends to X-Forwarded-For, the leftmost entry is whatever the client
// wrote. With TRUST_PROXY=N the client address is the entry the outermost of the N trusted proxies
// added (counted from the right); rate limits, the login-failure counters and the audit trail all
// use that one address.
import { randomBytes } from 'node:crypto';
import { testEachBackend } from '../helpers/backend-test.ts';
import { GENEROUS_RATE_LIMITS, type TestServer } from '../helpers/server.ts';
import { openLoginForm, type LoginAttempt } from '../helpers/login-form.ts';

/** What a proxy that appends sends on: the client's own header, then the address the proxy saw. */
const forwarded = (written: string, seenByProxy: string) => ({ 'x-forwarded-for': `${written}, ${seenByProxy}` });
const spoofed = (i: number) => `10.${(i >> 8) & 255}.${i & 255}.${1 + (i % 250)}`;

async function auditedAddresses(server: TestServer, type: string) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ ip: string | null }>('SELECT ip FROM audit_events WHERE type = $1 ORDER BY seq', [type]);
  return rows.map((row) => row.ip);
}

testEachBackend(
  'sixty failed logins, each with a different forged leftmost X-Forwarded-For entry, are limited by the real address',
  async (t, server) => {
    const form = await openLoginForm(server);
    const attacker = '203.0.113.66';
    const answers: LoginAttempt[] = [];
    for (let i = 0; i < 60; i++) {
      answers.push(
        await form.submit(`victim-${randomBytes(3).toString('hex')}@example.com`, 'Summer2026!', forwarded(spoofed(i), attacker)),
      );
    }
    const throttled = answers.findIndex((answer) => answer.status === 429);
    t.is(throttled, 30, 'LOGIN_IP_FAILURES_PER_HOUR (30) failures from the real address, then 429');
    t.true(answers.slice(throttled).every((answer) => answer.status === 429));

    // the audit trail names the address the proxy saw, never the forged one
    const addresses = await auditedAddresses(server, 'login.failed');
    t.true(addresses.length >= 30);
    t.true(
      addresses.every((ip) => ip === attacker),
      addresses.slice(0, 3).join(', '),
    );
  },
  { env: { TRUST_PROXY: 'true' } },
);

testEachBackend(
  'the per-address ceiling counts the address the trusted proxy added, whatever the client prepends',
  async (t, server) => {
    const jwks = (headers: Record<string, string>) => fetch(`${server.url}/jwks`, { headers });
    for (let i = 0; i < 5; i++) t.is((await jwks(forwarded(spoofed(i), '198.51.100.1'))).status, 200);
    t.is((await jwks(forwarded(spoofed(99), '198.51.100.1'))).status, 429, 'a fresh forged entry buys no fresh budget');
    t.is((await jwks(forwarded(spoofed(100), '198.51.100.2'))).status, 200, 'another real address has its own');
  },
  { env: { ...GENEROUS_RATE_LIMITS, RATE_LIMIT_IP_PER_MINUTE: '5', TRUST_PROXY: 'true' } },
);

testEachBackend(
  'TRUST_PROXY=2: the client address is the entry the outer of two trusted proxies added',
  async (t, server) => {
    const jwks = (header: string) => fetch(`${server.url}/jwks`, { headers: { 'x-forwarded-for': header } });
    // client-written entry, then what the edge proxy saw (the client), then what the inner proxy saw (the edge)
    for (let i = 0; i < 5; i++) t.is((await jwks(`${spoofed(i)}, 198.51.100.7, 10.0.0.2`)).status, 200);
    t.is((await jwks(`${spoofed(50)}, 198.51.100.7, 10.0.0.2`)).status, 429);
    t.is((await jwks(`198.51.100.7, 198.51.100.8, 10.0.0.2`)).status, 200, 'a different client behind the same edge proxy');
  },
  { env: { ...GENEROUS_RATE_LIMITS, RATE_LIMIT_IP_PER_MINUTE: '5', TRUST_PROXY: '2' } },
);
