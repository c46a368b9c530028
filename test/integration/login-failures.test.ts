// The failed-login counters at the storage level: a success clears the count in a transaction that
// does not wait for the disk flush, and that relaxation never outlives its own transaction; a device
// cookie's budget is spent exactly, however many attempts race for it.
import { randomUUID } from 'node:crypto';
import test from 'ava';
import { createTestDatabase, type BackendName } from '../helpers/stores.ts';
import { clearLoginFailures, findLoginFailures, reserveLoginAttempt } from '../../src/storage/login-failures.ts';
import { insertAccount } from '../../src/storage/accounts.ts';

const POLICY = { threshold: 5, delaySeconds: 30, maxDelaySeconds: 3_600, resetSeconds: 86_400 };
const SUBJECT = { subjectKey: 'hmac-of-an-email', email: 'someone@example.com' };

for (const backend of ['pglite', 'postgres'] as BackendName[]) {
  test(`[${backend}] a success clears the count without a synchronous commit, for its own transaction only`, async (t) => {
    const { db, dispose } = await createTestDatabase(backend);
    t.teardown(dispose);
    await reserveLoginAttempt(db, SUBJECT, new Date(), POLICY);
    await reserveLoginAttempt(db, SUBJECT, new Date(), POLICY);
    t.is((await findLoginFailures(db, SUBJECT.subjectKey))?.failures, 2);

    const settingAfterClear = await db.transaction(async (tx) => {
      await clearLoginFailures(tx, SUBJECT.subjectKey);
      return (await tx.query<{ synchronous_commit: string }>('SHOW synchronous_commit')).rows[0]!.synchronous_commit;
    });
    t.is(settingAfterClear, 'off');
    t.deepEqual(await findLoginFailures(db, SUBJECT.subjectKey), { failures: 0, lockedUntil: undefined });

    // every later transaction, on any connection of the pool, commits synchronously again
    const later = await Promise.all(Array.from({ length: 5 }, () => db.query<{ synchronous_commit: string }>('SHOW synchronous_commit')));
    t.deepEqual(
      later.map(({ rows }) => rows[0]!.synchronous_commit),
      Array(5).fill('on'),
    );
  });

  test(`[${backend}] a device cookie's budget is spent exactly by parallel attempts; then, or for another account, the identifier counts`, async (t) => {
    const { db, dispose } = await createTestDatabase(backend);
    t.teardown(dispose);
    const account = await insertAccount(db, { email: SUBJECT.email, name: null, passwordHash: 'not a real hash' });
    const device = { subjectKey: 'hmac-of-a-device-nonce', accountId: account.id, budget: 5, spentForSeconds: 86_400, credentialEpoch: 0 };
    const lenient = { ...POLICY, threshold: 100 };
    const attempts = await Promise.all(
      Array.from({ length: 12 }, () => reserveLoginAttempt(db, { ...SUBJECT, device }, new Date(), lenient)),
    );
    const known = attempts.filter((attempt) => attempt.admitted && attempt.knownDevice);
    t.is(known.length, 5, 'the budget, no more');
    t.is((await findLoginFailures(db, SUBJECT.subjectKey))?.failures, 7, "the rest were the identifier's");
    t.truthy((await findLoginFailures(db, device.subjectKey))?.lockedUntil, 'a spent budget is kept (no prune gives it back)');

    const otherAccount = await reserveLoginAttempt(
      db,
      { ...SUBJECT, device: { ...device, subjectKey: 'another-nonce', accountId: randomUUID() } },
      new Date(),
      lenient,
    );
    t.like(otherAccount, { admitted: true, knownDevice: false });
    t.is(await findLoginFailures(db, 'another-nonce'), undefined, 'a cookie of another account is not even counted');
    const beforeReset = await reserveLoginAttempt(
      db,
      { ...SUBJECT, device: { ...device, subjectKey: 'older-epoch', credentialEpoch: 1 } },
      new Date(),
      lenient,
    );
    t.like(beforeReset, { admitted: true, knownDevice: false });
    t.is(await findLoginFailures(db, 'older-epoch'), undefined, 'a cookie of another credential epoch is not even counted');

    await clearLoginFailures(db, device.subjectKey);
    t.like(await reserveLoginAttempt(db, { ...SUBJECT, device }, new Date(), lenient), { admitted: true, knownDevice: true, failures: 1 });
  });
}
