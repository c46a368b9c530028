// A process that makes a change sees it in its very next request: its own caches are told when the
// transaction commits, not when PostgreSQL's notification reaches its listening connection later
// (seen as a flaky admin test under load: a scope defined again was still unknown for a moment).
// A change rolled back tells nobody.
import test from 'ava';
import { CHANGES_CHANNEL, notifyChange } from '../../src/storage/database.ts';
import { createTestDatabase } from '../helpers/stores.ts';

for (const backend of ['pglite', 'postgres'] as const) {
  test(`[${backend}] the writing process hears its own committed change before the commit returns, and nothing of a rolled-back one`, async (t) => {
    const database = await createTestDatabase(backend);
    t.teardown(() => database.dispose());
    const { db } = database;
    const heard: string[] = [];
    await db.listen(CHANGES_CHANNEL, (payload) => heard.push(payload));

    await db.transaction((tx) => notifyChange(tx, 'client', 'in-a-transaction'));
    t.is(heard[0], JSON.stringify({ topic: 'client', id: 'in-a-transaction' }), 'told when the transaction returned');

    await notifyChange(db, 'resource', 'on-its-own');
    t.is(heard.at(-1), JSON.stringify({ topic: 'resource', id: 'on-its-own' }));

    await t.throwsAsync(
      db.transaction(async (tx) => {
        await notifyChange(tx, 'client', 'rolled-back');
        throw new Error('the change fails');
      }),
    );
    // (the two changes above may be heard again meanwhile: PostgreSQL's own delivery, harmless)
    t.false(
      heard.some((payload) => payload.includes('rolled-back')),
      'a rolled-back change is not announced',
    );
  });
}
