// Where the account pages' re-authentication may send the browser once it is proven: the account
// page, or an email-change link's page, and nowhere else (an open redirect would hand a phishing
// site a sign-in page of ours that forwards to it).
import test from 'ava';
import { returnPath } from '../../src/account-page/return-to.ts';

const TOKEN = 'A'.repeat(21) + '-_' + 'b'.repeat(20);

test('the account page and a well-formed link page are accepted', (t) => {
  t.is(returnPath('/account'), '/account');
  t.is(returnPath(`/account/confirm-email?token=${TOKEN}`), `/account/confirm-email?token=${TOKEN}`);
});

test('anything else is ignored: other sites, other paths, extra parameters, malformed tokens', (t) => {
  for (const value of [
    undefined,
    '',
    'https://evil.example/',
    '//evil.example/account',
    '/\\evil.example',
    '/account/',
    '/account/security/../../x',
    '/accounts',
    '/account?x=1',
    `/account/confirm-email?token=${TOKEN}&next=https://evil.example`,
    `/account/confirm-email?token=${TOKEN.slice(1)}`,
    '/account/confirm-email?token=' + 'a'.repeat(42) + '%',
    `https://evil.example/account/confirm-email?token=${TOKEN}`,
    ['/account'],
  ]) {
    t.is(returnPath(value), undefined, JSON.stringify(value));
  }
});
