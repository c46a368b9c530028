// SMTP_URL and SMTP_FROM: which mail server, and who the emails are from.
import { join } from 'node:path';
import test from 'ava';
import { parseConfig, type Config } from '../../src/config.ts';

const configOf = (env: Record<string, string>): Config => {
  const parsed = parseConfig(env);
  if (!parsed.ok) throw new Error(parsed.problems.join('\n'));
  return parsed.config;
};

test('without SMTP_URL emails go to DATA_DIR/outbox, from no-reply at the issuer host', (t) => {
  const config = configOf({ ISSUER: 'https://login.example.com', DATA_DIR: '/var/lib/portcullis' });
  t.is(config.email.smtpUrl, undefined);
  t.is(config.email.outboxDir, join('/var/lib/portcullis', 'outbox'));
  t.deepEqual(config.email.from, { name: 'Portcullis', address: 'no-reply@login.example.com' });
  t.deepEqual(configOf({ ISSUER: 'http://127.0.0.1:3000' }).email.from.address, 'no-reply@localhost', 'an IP is no mail domain');
});

test('SMTP_URL takes smtp:// and smtps://, credentials included, and is never echoed when refused', (t) => {
  t.is(configOf({ SMTP_URL: 'smtps://user:pa55@mail.example.com:465' }).email.smtpUrl, 'smtps://user:pa55@mail.example.com:465');
  t.is(configOf({ SMTP_URL: 'smtp://mail.example.com:587?requireTLS=true' }).email.smtpUrl, 'smtp://mail.example.com:587?requireTLS=true');
  for (const url of ['http://user:pa55@mail.example.com', 'sendmail://x', 'not a url']) {
    const parsed = parseConfig({ SMTP_URL: url });
    t.false(parsed.ok, url);
    t.false(JSON.stringify(parsed).includes('pa55'), 'the credentials are not repeated');
  }
});

test('SMTP_FROM is an address, or a name and an address', (t) => {
  t.deepEqual(configOf({ SMTP_FROM: 'login@example.com' }).email.from, { name: '', address: 'login@example.com' });
  t.deepEqual(configOf({ SMTP_FROM: 'Example Login <login@example.com>' }).email.from, {
    name: 'Example Login',
    address: 'login@example.com',
  });
  t.false(parseConfig({ SMTP_FROM: 'Example Login' }).ok);
});
