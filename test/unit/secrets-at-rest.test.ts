import test from 'ava';
import { generateClientSecret, hashClientSecret, verifyAnyClientSecret } from '../../src/security/client-secrets.ts';
import { deriveKeys } from '../../src/security/derived-keys.ts';
import { decrypt, encrypt } from '../../src/security/encryption.ts';

const keys = deriveKeys('a'.repeat(40));

test('derived keys differ per purpose and per root secret', (t) => {
  t.notDeepEqual(keys.encryptionKey, keys.clientSecretKey);
  t.notDeepEqual(deriveKeys('b'.repeat(40)).encryptionKey, keys.encryptionKey);
  t.is(keys.encryptionKey.length, 32);
});

test('AES-256-GCM round trip; tampering, another key or another row are refused', (t) => {
  const sealed = encrypt(keys.encryptionKey, '{"d":"private"}', 'kid-1');
  t.notRegex(sealed, /private/);
  t.is(decrypt(keys.encryptionKey, sealed, 'kid-1'), '{"d":"private"}');
  t.throws(() => decrypt(keys.encryptionKey, sealed, 'kid-2'));
  t.throws(() => decrypt(deriveKeys('b'.repeat(40)).encryptionKey, sealed, 'kid-1'));
  const parts = sealed.split('.');
  parts[2] = Buffer.from('{"d":"attacker"}').toString('base64url');
  t.throws(() => decrypt(keys.encryptionKey, parts.join('.'), 'kid-1'));
});

test('client secrets: 256 bits, stored as a keyed hash that verifies only the right secret', (t) => {
  const secret = generateClientSecret();
  t.is(Buffer.from(secret, 'base64url').length, 32);
  t.not(generateClientSecret(), secret);
  const stored = hashClientSecret(keys.clientSecretKey, secret);
  t.false(stored.includes(secret));
  t.true(verifyAnyClientSecret(keys.clientSecretKey, secret, [stored]));
  t.false(verifyAnyClientSecret(keys.clientSecretKey, `${secret}x`, [stored]));
  t.false(verifyAnyClientSecret(deriveKeys('b'.repeat(40)).clientSecretKey, secret, [stored]), 'useless without the server key');
});
