import test from 'ava';
import { hashPassword, needsRehash, verifyPassword } from '../../src/accounts/passwords.ts';
import { checkPassword } from '../../src/accounts/password-policy.ts';

test('argon2id hash verifies the password and nothing else', async (t) => {
  const stored = await hashPassword('correct horse battery staple');
  t.regex(stored, /^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  t.true(await verifyPassword(stored, 'correct horse battery staple'));
  t.false(await verifyPassword(stored, 'correct horse battery stapler'));
  t.false(await verifyPassword('not a hash', 'anything'));
});

test('Unicode passwords are normalised (NFKC) and never truncated', async (t) => {
  const stored = await hashPassword('ｐａｓｓｗｏｒｄ with café');
  t.true(await verifyPassword(stored, 'password with cafe\u0301'));
  const long = 'x'.repeat(200);
  const longHash = await hashPassword(long);
  t.false(await verifyPassword(longHash, 'x'.repeat(199)), 'the 200th character counts');
});

test('weaker parameters are flagged for rehash', async (t) => {
  t.false(needsRehash(await hashPassword('p'.repeat(20))));
  t.true(needsRehash(await hashPassword('p'.repeat(20), { memoryCost: 4096, timeCost: 1, parallelism: 1 })));
  t.true(needsRehash('$2b$10$bcrypthashbcrypthashbcrypthashbcrypthashbcrypthash12'));
});

test('password policy: a minimum length, a generous maximum, no composition rules', (t) => {
  const policy = {
    settings: { minLength: 15, minLengthWithMfa: 8, minScore: 3 },
    hasSecondFactor: false,
    context: { serviceNames: ['portcullis'] },
  };
  t.is(checkPassword('short', policy)?.code, 'password_too_short');
  t.is(checkPassword('all lowercase words ok', policy), undefined);
  t.is(checkPassword('ça déménage près du lac gelé, où les hérons rêvent encore de l’été passé', policy), undefined);
  t.is(checkPassword('x'.repeat(5000), policy)?.code, 'password_too_long');
});
