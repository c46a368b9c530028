// The one canonical form of an email (src/storage/canonical-email.ts): the spellings an attacker
// types for one address meet in one form, distinct addresses stay distinct, and the form of a form
// is itself (the account lookup, the unique index and the lock counter may each apply it again).
import test from 'ava';
import fc from 'fast-check';
import { canonicalEmail } from '../../src/storage/canonical-email.ts';

test('the spellings of one address have one form', (t) => {
  const spellings = [
    'alice.fin@example.com',
    '  Alice.Fin@Example.COM ',
    'al\u0130ce.fin@example.com', // İ
    'AL\u0130CE.FIN@EXAMPLE.COM',
    'al\u0131ce.fin@example.com', // ı
    'ali\u0307ce.fin@example.com', // i + a combining dot above
    'alice.\uFB01n@example.com', // ﬁ
    '\uFF41lice.fin@example.com', // fullwidth a
    'alice.fin\uFF20example.com', // fullwidth @
  ];
  t.deepEqual([...new Set(spellings.map(canonicalEmail))], ['alice.fin@example.com']);
  t.is(canonicalEmail('\u017Fam@example.com'), 'sam@example.com', 'the long s is an s');
  t.is(canonicalEmail('STRA\u1E9EE@example.com'), canonicalEmail('strasse@example.com'), 'capital sharp s folds like ß');
  t.is(canonicalEmail('\u212Aelvin@example.com'), 'kelvin@example.com', 'the Kelvin sign is a K');
});

test('different addresses keep different forms', (t) => {
  t.not(canonicalEmail('alice@example.com'), canonicalEmail('alicia@example.com'));
  t.not(canonicalEmail('jos\u00e9@example.com'), canonicalEmail('jose@example.com'), 'an accent is not dropped');
  t.is(canonicalEmail('jos\u00e9@example.com'), canonicalEmail('jose\u0301@example.com'), 'composed or not, é is é');
});

test('the canonical form is a fixed point', (t) => {
  fc.assert(
    fc.property(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (graphemes, anything) => {
      for (const text of [graphemes, anything, `${graphemes}@${anything}`]) {
        const form = canonicalEmail(text);
        if (canonicalEmail(form) !== form) return false;
      }
      return true;
    }),
    { numRuns: 20_000, seed: 1611 },
  );
  t.pass();
});
