// Signed cookies keep Keygrip's format: a cookie a browser got before the signer changed still
// verifies, one signed now verifies under Keygrip, and rotated keys keep their order.
import test from 'ava';
import Keygrip from 'keygrip';
import { createCookieSigner } from '../../src/http/cookie-signer.ts';

const KEYS = ['the newest cookie key', 'the previous cookie key'];
const DATA = 'portcullis.interaction=Xb2kqN7uVw3p9aQmT1sLz';

test('a signature made by Keygrip verifies, and one made here verifies under Keygrip', (t) => {
  const signer = createCookieSigner(KEYS);
  const keygrip = new Keygrip(KEYS);
  t.is(signer.sign(DATA), keygrip.sign(DATA));
  t.true(signer.verify(DATA, keygrip.sign(DATA)));
  t.true(keygrip.verify(DATA, signer.sign(DATA)));
});

test('a cookie signed with an older key is found at that key, so it gets re-signed with the newest', (t) => {
  const signer = createCookieSigner(KEYS);
  const older = new Keygrip([KEYS[1]!]).sign(DATA);
  t.is(signer.index(DATA, older), 1);
  t.is(signer.index(DATA, signer.sign(DATA)), 0);
});

test('a changed value, a changed signature, a key no longer kept or a malformed signature is refused', (t) => {
  const signer = createCookieSigner(KEYS);
  const signature = signer.sign(DATA);
  t.is(signer.index(`${DATA}x`, signature), -1);
  const flipped = `${signature.slice(0, -1)}${signature.endsWith('A') ? 'B' : 'A'}`;
  t.is(signer.index(DATA, flipped), -1);
  t.is(signer.index(DATA, new Keygrip(['a retired key']).sign(DATA)), -1);
  for (const malformed of ['', signature.slice(1), `${signature}=`, `${signature.slice(0, -1)}é`, undefined as unknown as string]) {
    t.false(signer.verify(DATA, malformed), JSON.stringify(malformed));
  }
});

test('there is no signer without a key', (t) => {
  t.throws(() => createCookieSigner([]), { message: /at least one key/ });
});
