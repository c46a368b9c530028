// The passkey store on both databases: each account sees and changes only its own credentials, and
// the signature counter only moves forward, also when two sign-ins race.
import { randomBytes } from 'node:crypto';
import test from 'ava';
import { insertAccount } from '../../src/storage/accounts.ts';
import {
  deleteCredential,
  findCredential,
  insertCredential,
  listCredentials,
  recordCredentialUse,
  renameCredential,
  type NewCredential,
} from '../../src/storage/webauthn-credentials.ts';
import { createTestDatabase, type BackendName, type TestDatabase } from '../helpers/stores.ts';

const BACKEND_NAMES: BackendName[] = ['pglite', 'postgres'];

// One migrated database per backend for the whole file (starting PGlite is the slow part); the
// tests stay independent because each works on accounts of its own.
const databases = new Map<BackendName, Promise<TestDatabase>>();
const databaseFor = (backend: BackendName) => {
  if (!databases.has(backend)) databases.set(backend, createTestDatabase(backend));
  return databases.get(backend)!;
};
test.after.always(async () => {
  for (const database of databases.values()) await (await database).dispose();
});

async function setUp(backend: BackendName) {
  const { db } = await databaseFor(backend);
  const account = (name: string) =>
    insertAccount(db, { email: `${name}-${randomBytes(6).toString('hex')}@example.com`, name: null, passwordHash: 'not-used' });
  return { db, alice: await account('alice'), bob: await account('bob') };
}

const newCredential = (accountId: string, overrides: Partial<NewCredential> = {}): NewCredential => ({
  id: randomBytes(16).toString('base64url'),
  accountId,
  name: 'Security key',
  publicKey: randomBytes(77).toString('base64url'),
  signCount: 0,
  transports: ['usb', 'nfc'],
  deviceType: 'singleDevice',
  backedUp: false,
  ...overrides,
});

for (const backend of BACKEND_NAMES) {
  test(`[${backend}] insert, list, find: every field round-trips`, async (t) => {
    const { db, alice, bob } = await setUp(backend);
    const key = newCredential(alice.id, { signCount: 5 });
    const phone = newCredential(alice.id, { name: 'Phone', transports: [], deviceType: 'multiDevice', backedUp: true, signCount: 0 });
    const before = Date.now();
    const stored = await insertCredential(db, key);
    t.like(stored, { ...key, lastUsedAt: null });
    t.true(Math.abs(Date.parse(stored!.createdAt) - before) < 60_000, 'createdAt is now');
    await insertCredential(db, phone);
    await insertCredential(db, newCredential(bob.id));

    const list = await listCredentials(db, alice.id);
    t.deepEqual(
      list.map((credential) => credential.id),
      [key.id, phone.id],
      'oldest first, only alice’s',
    );
    t.like(list[1], { ...phone, lastUsedAt: null });
    t.deepEqual(list[0]!.transports, ['usb', 'nfc']);
    t.is(typeof list[0]!.signCount, 'number');
    t.deepEqual(await findCredential(db, key.id), list[0]);
    t.is(await findCredential(db, 'unknown-id'), undefined);
    t.is((await listCredentials(db, bob.id)).length, 1);
    t.deepEqual(await listCredentials(db, 'not-a-uuid'), []);
    t.deepEqual(await listCredentials(db, '00000000-0000-4000-8000-000000000000'), []);
  });

  test(`[${backend}] a credential id already stored is not taken over by another account`, async (t) => {
    const { db, alice, bob } = await setUp(backend);
    const key = newCredential(alice.id);
    t.truthy(await insertCredential(db, key));
    t.is(await insertCredential(db, { ...key, accountId: bob.id, name: 'Mine now' }), undefined);
    t.is(await insertCredential(db, { ...key, name: 'Again' }), undefined);
    t.like(await findCredential(db, key.id), { accountId: alice.id, name: 'Security key' });
  });

  test(`[${backend}] rename and delete are scoped by account`, async (t) => {
    const { db, alice, bob } = await setUp(backend);
    const alices = newCredential(alice.id);
    const bobs = newCredential(bob.id);
    await insertCredential(db, alices);
    await insertCredential(db, bobs);

    t.false(await renameCredential(db, bob.id, alices.id, 'Hijacked'), 'bob cannot rename alice’s');
    t.false(await renameCredential(db, 'not-a-uuid', alices.id, 'Hijacked'));
    t.true(await renameCredential(db, alice.id, alices.id, 'Work key'));
    t.is((await findCredential(db, alices.id))?.name, 'Work key');
    t.is((await findCredential(db, bobs.id))?.name, 'Security key');

    t.false(await deleteCredential(db, bob.id, alices.id), 'bob cannot delete alice’s');
    t.false(await deleteCredential(db, 'not-a-uuid', alices.id));
    t.truthy(await findCredential(db, alices.id));
    t.true(await deleteCredential(db, alice.id, alices.id));
    t.false(await deleteCredential(db, alice.id, alices.id), 'already gone');
    t.is(await findCredential(db, alices.id), undefined);
    t.deepEqual(await listCredentials(db, alice.id), []);
    t.is((await listCredentials(db, bob.id)).length, 1, 'bob’s is untouched');
    t.false(await renameCredential(db, alice.id, alices.id, 'Gone'));
  });

  test(`[${backend}] the counter only moves forward; both zero is accepted`, async (t) => {
    const { db, alice } = await setUp(backend);
    const counting = newCredential(alice.id, { signCount: 10 });
    await insertCredential(db, counting);

    t.true(await recordCredentialUse(db, counting.id, 11));
    const used = await findCredential(db, counting.id);
    t.is(used?.signCount, 11);
    t.truthy(used?.lastUsedAt, 'last use recorded');
    t.false(await recordCredentialUse(db, counting.id, 11), 'the same counter again: a replay or a clone');
    t.false(await recordCredentialUse(db, counting.id, 3), 'lower');
    t.false(await recordCredentialUse(db, counting.id, 0), 'back to zero once it counted');
    t.is((await findCredential(db, counting.id))?.signCount, 11, 'refusals change nothing');
    t.true(await recordCredentialUse(db, counting.id, 0xffff_ffff), 'up to the 32-bit maximum');
    t.is((await findCredential(db, counting.id))?.signCount, 0xffff_ffff);

    // Synced passkeys typically report 0 every time: nothing to compare, accepted.
    const zero = newCredential(alice.id, { deviceType: 'multiDevice', backedUp: true });
    await insertCredential(db, zero);
    t.true(await recordCredentialUse(db, zero.id, 0));
    t.true(await recordCredentialUse(db, zero.id, 0));
    t.true(await recordCredentialUse(db, zero.id, 1), 'starting to count');
    t.false(await recordCredentialUse(db, zero.id, 0));

    t.false(await recordCredentialUse(db, 'unknown-id', 5), 'an unknown credential');
    await t.throwsAsync(recordCredentialUse(db, counting.id, -1), { instanceOf: RangeError });
    await t.throwsAsync(recordCredentialUse(db, counting.id, 1.5), { instanceOf: RangeError });
  });

  test(`[${backend}] two uses racing with the same counter: exactly one is accepted`, async (t) => {
    const { db, alice } = await setUp(backend);
    const key = newCredential(alice.id, { signCount: 1 });
    await insertCredential(db, key);
    const results = await Promise.all(Array.from({ length: 8 }, () => recordCredentialUse(db, key.id, 2)));
    t.is(results.filter(Boolean).length, 1);
    t.is((await findCredential(db, key.id))?.signCount, 2);
  });

  test(`[${backend}] credentials go with their account`, async (t) => {
    const { db, alice } = await setUp(backend);
    const key = newCredential(alice.id);
    await insertCredential(db, key);
    await db.query('DELETE FROM accounts WHERE id = $1', [alice.id]);
    t.is(await findCredential(db, key.id), undefined);
  });
}
