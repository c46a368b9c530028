import test from 'ava';
import { parseConfig } from '../../src/config.ts';

const ok = (env: Record<string, string>) => {
  const result = parseConfig(env);
  if (!result.ok) throw new Error(result.problems.join('\n'));
  return result.config;
};

test('defaults run the embedded server on localhost', (t) => {
  const config = ok({});
  t.is(config.issuer, 'http://localhost:3000');
  t.is(config.port, 3000);
  t.is(config.databaseUrl, undefined);
  t.is(config.dataDir, './data');
  t.is(config.trustProxyHops, 0, 'no proxy trusted: the TCP peer is the client');
  t.false(config.production);
  t.true(config.banner);
});

test('TRUST_PROXY counts trusted proxy hops: true is one, false none', (t) => {
  t.is(ok({ TRUST_PROXY: 'true' }).trustProxyHops, 1);
  t.is(ok({ TRUST_PROXY: 'false' }).trustProxyHops, 0);
  t.is(ok({ TRUST_PROXY: '0' }).trustProxyHops, 0);
  t.is(ok({ TRUST_PROXY: '2' }).trustProxyHops, 2);
  for (const bad of ['11', 'yes', '-1', '1.5']) t.false(parseConfig({ TRUST_PROXY: bad }).ok, bad);
});

test('the default issuer follows PORT; a trailing slash is dropped', (t) => {
  t.is(ok({ PORT: '4100' }).issuer, 'http://localhost:4100');
  t.is(ok({ ISSUER: 'https://id.example.com/' }).issuer, 'https://id.example.com');
});

test('every bad value is reported on its own line, naming the variable', (t) => {
  const result = parseConfig({ ISSUER: 'ftp://x', PORT: 'eighty', LOG_LEVEL: 'loud', TRUST_PROXY: 'maybe', REDIS_URL: 'http://x' });
  t.false(result.ok);
  if (result.ok) return;
  const named = result.problems.map((line) => line.split(':')[0]).sort();
  t.deepEqual(named, ['ISSUER', 'LOG_LEVEL', 'PORT', 'REDIS_URL', 'TRUST_PROXY']);
});

test('production requires an https issuer, SECRET_KEY and DATABASE_URL', (t) => {
  const result = parseConfig({ NODE_ENV: 'production', ISSUER: 'http://id.example.com' });
  t.false(result.ok);
  if (result.ok) return;
  t.true(result.problems.some((line) => line.startsWith('ISSUER: must use https')));
  t.true(result.problems.some((line) => line.startsWith('SECRET_KEY: is required')));
  t.true(result.problems.some((line) => line.startsWith('DATABASE_URL: is required')));
  const good = ok({
    NODE_ENV: 'production',
    ISSUER: 'https://id.example.com',
    SECRET_KEY: 'k'.repeat(32),
    DATABASE_URL: 'postgres://db/portcullis',
  });
  t.true(good.production);
  t.true(
    ok({ NODE_ENV: 'production', ISSUER: 'http://localhost:3000', SECRET_KEY: 'k'.repeat(32), DATABASE_URL: 'postgres://db/p' }).production,
    'localhost is excepted',
  );
});

test('a short SECRET_KEY is refused without echoing it', (t) => {
  const result = parseConfig({ SECRET_KEY: 'hunter2' });
  t.false(result.ok);
  if (result.ok) return;
  t.is(result.problems.length, 1);
  t.notRegex(result.problems[0]!, /hunter2/);
});

test('ID_TOKEN_CLAIMS: scopes by default, minimal on request, anything else refused naming it', (t) => {
  t.is(ok({}).idTokenClaims, 'scopes');
  t.is(ok({ ID_TOKEN_CLAIMS: 'minimal' }).idTokenClaims, 'minimal');
  const bad = parseConfig({ ID_TOKEN_CLAIMS: 'all' });
  t.false(bad.ok);
  if (!bad.ok) t.regex(bad.problems.join('\n'), /^ID_TOKEN_CLAIMS: .*\(got "all"\)/);
});

test('REGISTRATION is off unless set to invite or open; the sign-up rate limit has a default', (t) => {
  t.is(ok({}).registration, 'off');
  t.is(ok({ REGISTRATION: 'invite' }).registration, 'invite');
  t.is(ok({ REGISTRATION: 'open' }).registration, 'open');
  const refused = parseConfig({ REGISTRATION: 'everyone' });
  t.false(refused.ok);
  if (!refused.ok) t.regex(refused.problems.join('\n'), /^REGISTRATION: must be off, invite or open/m);
  t.is(ok({}).rateLimits.signUpPerHour, 10);
  t.is(ok({ RATE_LIMIT_SIGNUP_PER_HOUR: '3' }).rateLimits.signUpPerHour, 3);
  t.false(parseConfig({ RATE_LIMIT_SIGNUP_PER_HOUR: '0' }).ok);
});
