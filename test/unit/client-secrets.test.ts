// Client authentication during a secret rotation: either active secret, each compared in constant time.
import test from 'ava';
import { deriveKeys } from '../../src/security/derived-keys.ts';
import {
  createClientSecretVerifier,
  generateClientSecret,
  hashClientSecret,
  verifyAnyClientSecret,
} from '../../src/security/client-secrets.ts';
import { toProviderClientMetadata } from '../../src/oidc/client-metadata.ts';
import type { StoredClient } from '../../src/storage/clients.ts';

const { clientSecretKey } = deriveKeys('a'.repeat(40));

test('either active secret is accepted; anything else is not', (t) => {
  const current = generateClientSecret();
  const previous = generateClientSecret();
  const hashes = [hashClientSecret(clientSecretKey, current), hashClientSecret(clientSecretKey, previous)];
  t.true(verifyAnyClientSecret(clientSecretKey, current, hashes));
  t.true(verifyAnyClientSecret(clientSecretKey, previous, hashes));
  t.false(verifyAnyClientSecret(clientSecretKey, generateClientSecret(), hashes));
  t.false(verifyAnyClientSecret(clientSecretKey, previous, hashes.slice(0, 1)), 'the previous one only while it is listed');
  t.false(verifyAnyClientSecret(clientSecretKey, '', []));
});

test('the token path verifier remembers what verified, yet a secret no longer active fails at once', (t) => {
  const verify = createClientSecretVerifier(clientSecretKey);
  const current = generateClientSecret();
  const next = generateClientSecret();
  const [currentHash, nextHash] = [hashClientSecret(clientSecretKey, current), hashClientSecret(clientSecretKey, next)];
  t.true(verify(current, [currentHash]));
  t.true(verify(current, [currentHash]), 'again, from memory');
  t.true(verify(current, [nextHash, currentHash]), 'during a rotation, as the previous secret');
  t.false(verify(current, [nextHash]), 'rotated out: refused although remembered');
  t.false(verify(current, []), 'client deleted or made public');
  t.true(verify(next, [nextHash]));
  t.false(verify(`${current}x`, [currentHash]));
  t.false(createClientSecretVerifier(deriveKeys('b'.repeat(40)).clientSecretKey)(current, [currentHash]), 'useless without the server key');
  // a wrong secret is never taken for a remembered one
  for (let i = 0; i < 100; i++) t.false(verify(generateClientSecret(), [currentHash, nextHash]));
});

test("the provider metadata carries the previous secret's hash and expiry only with a current secret, never the secret", (t) => {
  const client: StoredClient = {
    clientId: 'c1',
    name: 'W',
    metadata: {
      client_name: 'W',
      grant_types: ['client_credentials'],
      redirect_uris: [],
      token_endpoint_auth_method: 'client_secret_basic',
    },
    secretHash: 'hmac-sha256:new',
    previousSecretHash: 'hmac-sha256:old',
    previousSecretExpiresAt: '2030-01-01T00:00:00.000Z',
    firstParty: false,
    resources: {},
    rateLimitPerMinute: null,
    requireMfa: false,
    idTokenTtl: 300,
    refreshTokenTtl: null,
    createdAt: '2025-01-01T00:00:00.000Z',
    updatedAt: '2025-01-01T00:00:00.000Z',
  };
  t.like(toProviderClientMetadata(client), {
    client_secret: 'hmac-sha256:new',
    portcullis_previous_secret_hash: 'hmac-sha256:old',
    portcullis_previous_secret_expires_at: Date.parse('2030-01-01T00:00:00.000Z'),
    portcullis_id_token_ttl: 300,
  });
  t.false('portcullis_refresh_token_ttl' in toProviderClientMetadata(client)!, 'null: the server default');
  t.false('portcullis_previous_secret_hash' in toProviderClientMetadata({ ...client, secretHash: null })!);
});
