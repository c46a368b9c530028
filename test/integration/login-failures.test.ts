// The failed-login counters at the storage level: a success clears the count in a transaction that
// does not wait for the disk flush, and that relaxation never outlives its own transaction.
import test from 'ava';
import { createTestDatabase, type BackendName } from '../helpers/stores.ts';
import { clearLoginFailures, findLoginFailures, reserveLoginAttempt } from '../../src/storage/login-failures.ts';

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
    t.deepEqual(later.map(({ rows }) => rows[0]!.synchronous_commit), Array(5).fill('on'));
  });
}
