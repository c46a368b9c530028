// Who a request is counted as: its address (IPv6 by /64) and the client it claims.
import test from 'ava';
import { addressKey } from '../../src/security/rate-limit/client-address.ts';
import { basicClientId, formClientId } from '../../src/security/rate-limit/claimed-client.ts';
import { auditedPath, classifyEndpoints } from '../../src/security/rate-limit/endpoints.ts';
import { providerRouteMatcher } from '../../src/http/provider-routes.ts';
import Provider from 'oidc-provider';

test('IPv4 addresses count one by one; IPv4-mapped IPv6 is its IPv4 address', (t) => {
  t.is(addressKey('203.0.113.9'), '203.0.113.9');
  t.is(addressKey('::ffff:203.0.113.9'), '203.0.113.9');
  t.is(addressKey('::FFFF:127.0.0.1'), '127.0.0.1');
});

test('IPv6 addresses count by their /64, however they are written', (t) => {
  const key = '2001:db8:1:2::/64';
  for (const ip of [
    '2001:db8:1:2::1',
    '2001:0db8:0001:0002:ffff:ffff:ffff:ffff',
    '2001:DB8:1:2:0:0:0:9',
    '2001:db8:1:2::192.0.2.1',
    '2001:db8:1:2::1%eth0',
  ]) {
    t.is(addressKey(ip), key, ip);
  }
  t.not(addressKey('2001:db8:1:3::1'), key);
  t.is(addressKey('::1'), '0:0:0:0::/64');
  t.is(addressKey('2001:db8::'), '2001:db8:0:0::/64');
});

test('whatever is not an IP address is its own key (never throws)', (t) => {
  t.is(addressKey(''), '');
  t.is(addressKey('unknown'), 'unknown');
});

const basic = (id: string, secret: string) =>
  `Basic ${Buffer.from(`${encodeURIComponent(id)}:${encodeURIComponent(secret)}`).toString('base64')}`;

test('the client id of a Basic header is read; the secret is not returned', (t) => {
  t.is(basicClientId(basic('service-1', 's3cret')), 'service-1');
  t.is(basicClientId(basic('a client:with/odd+chars', 'x')), 'a client:with/odd+chars');
  t.is(basicClientId(`basic ${Buffer.from('plain+id:x').toString('base64')}`), 'plain id', 'form encoding: + is a space');
  t.is(basicClientId('Bearer abc'), undefined);
  t.is(basicClientId('Basic !!!'), undefined);
  t.is(basicClientId(`Basic ${Buffer.from('no-colon').toString('base64')}`), undefined);
  t.is(basicClientId(`Basic ${Buffer.from(':secret-only').toString('base64')}`), undefined);
  t.is(basicClientId(`Basic ${Buffer.from('%E0%A4%A:x').toString('base64')}`), undefined, 'bad percent-encoding');
  t.is(basicClientId(undefined), undefined);
});

test('the client of a form: client_id, else the (unverified) subject of its client assertion', (t) => {
  t.is(formClientId(new URLSearchParams({ client_id: 'abc', client_secret: 'x' })), 'abc');
  const assertion = ['e30', Buffer.from(JSON.stringify({ sub: 'signed-client', iss: 'signed-client' })).toString('base64url'), 'sig'].join(
    '.',
  );
  t.is(formClientId(new URLSearchParams({ client_assertion: assertion })), 'signed-client');
  t.is(formClientId(new URLSearchParams({ client_assertion: 'not.a-jwt.!' })), undefined);
  t.is(formClientId(new URLSearchParams({ client_assertion: `e30.${Buffer.from('{"sub":42}').toString('base64url')}.x` })), undefined);
  t.is(formClientId(new URLSearchParams({ grant_type: 'client_credentials' })), undefined);
});

test('provider JSON endpoints get OAuth errors, under every spelling the provider routes; interaction uids stay out of audit events', (t) => {
  const provider = new Provider('http://localhost:3000', {
    features: { introspection: { enabled: true }, revocation: { enabled: true }, devInteractions: { enabled: false } },
  });
  const endpoints = classifyEndpoints(providerRouteMatcher(provider));
  for (const path of [
    '/token',
    '/TOKEN',
    '/token/',
    '/Token/Introspection/',
    '/token/revocation',
    '/request',
    '/jwks',
    '/me',
    '/.well-known/openid-configuration',
  ])
    t.true(endpoints.oauthJson(path), path);
  for (const path of [
    '/auth',
    '/interaction/abc/login',
    '/session/end',
    '/static/portcullis.css',
    '/metrics',
    '/tokens',
    '/token//',
    '/tok%65n',
    '/toKen\u0131',
  ])
    t.false(endpoints.oauthJson(path), path);
  t.true(endpoints.clientQuota('POST', '/TOKEN/INTROSPECTION/'));
  t.false(endpoints.clientQuota('GET', '/token'));
  t.is(auditedPath('/interaction/Xyz123/login'), '/interaction/:uid/login');
  t.is(auditedPath('/token'), '/token');
});
