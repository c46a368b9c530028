// The test-database helper hands out migrated databases (embedded ones are copies of one migrated
// instance per process): each must be fully migrated and share nothing with the others, or tests would
// see each other's rows.
import test from 'ava';
import type { Database } from '../../src/storage/database.ts';
import { loadMigrations, migrate } from '../../src/storage/migrate.ts';
import { createTestDatabase, type BackendName, type TestDatabase } from '../helpers/stores.ts';

// Only the rows this test writes: the migrations seed rows of their own.
const resourceNames = async (db: Database) =>
  (await db.query<{ name: string }>("SELECT name FROM resource_servers WHERE name LIKE 'isolation-%' ORDER BY name")).rows.map(
    (row) => row.name,
  );

const addResource = (db: Database, name: string) =>
  db.query('INSERT INTO resource_servers (identifier, name) VALUES ($1, $2)', [`https://${name}.example.com`, name]);

for (const backend of ['pglite', 'postgres'] as const satisfies readonly BackendName[]) {
  test(`[${backend}] every test database is migrated and isolated from the others`, async (t) => {
    const open = async (): Promise<TestDatabase> => {
      const database = await createTestDatabase(backend);
      t.teardown(() => database.dispose());
      return database;
    };
    const [first, second] = await Promise.all([open(), open()]);

    const expected = (await loadMigrations()).map((migration) => migration.version);
    for (const { db } of [first, second]) {
      const applied = await db.query<{ version: string }>('SELECT version FROM schema_migrations ORDER BY version');
      t.deepEqual(
        applied.rows.map((row) => row.version),
        expected,
      );
      t.deepEqual(await migrate(db), [], 'nothing is left to apply');
    }

    await addResource(first.db, 'isolation-first');
    await addResource(second.db, 'isolation-second');
    t.deepEqual(await resourceNames(first.db), ['isolation-first']);
    t.deepEqual(await resourceNames(second.db), ['isolation-second']);

    // A database handed out after those writes starts empty: the template was not touched either.
    const third = await open();
    t.deepEqual(await resourceNames(third.db), []);
  });
}
