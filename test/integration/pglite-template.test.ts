// The real PGlite template (src/storage/pglite-template.ts), built here into a directory of this
// test's own: a new DATA_DIR started from it and migrated is the same database as one that ran
// initdb and the migrations (schema, settings, what schema_migrations records); the template holds
// nothing of a deployment (no table, so no key, no migration, no date); and two data directories
// started from it get keys of their own.
import test from 'ava';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Queryable } from '../../src/storage/database.ts';
import { migrate } from '../../src/storage/migrate.ts';
import { openPglite, type EmbeddedDatabase } from '../../src/storage/pglite.ts';
import { buildPgliteTemplate } from '../../src/storage/pglite-template.ts';
import { deriveKeys } from '../../src/security/derived-keys.ts';
import { ensureSigningKeys } from '../../src/security/signing-keys.ts';

const base = mkdtempSync(join(tmpdir(), 'portcullis-template-it-'));
const templateRoot = join(base, 'cache');
test.before(async () => {
  await buildPgliteTemplate(templateRoot);
});
test.after.always(() => rmSync(base, { recursive: true, force: true }));

let next = 0;
async function open(t: { teardown(fn: () => Promise<void>): void }, root: string): Promise<EmbeddedDatabase> {
  const dataDir = join(base, `data-${next++}`);
  mkdirSync(dataDir, { mode: 0o700 }); // as ensureDataDir leaves DATA_DIR before the database is opened
  const db = await openPglite(join(dataDir, 'pgdata'), root);
  t.teardown(() => db.close());
  return db;
}

/** Everything a migration defines or PostgreSQL is configured with, in a comparable form. */
async function schemaOf(db: Queryable): Promise<Record<string, unknown[]>> {
  const rows = async (sql: string) => (await db.query(sql)).rows;
  return {
    columns: await rows(`SELECT table_name, column_name, data_type, column_default, is_nullable, ordinal_position
      FROM information_schema.columns WHERE table_schema = 'public' ORDER BY 1, 2`),
    constraints: await rows(`SELECT conrelid::regclass::text AS tbl, conname, pg_get_constraintdef(oid) AS def
      FROM pg_constraint WHERE connamespace = 'public'::regnamespace ORDER BY 1, 2`),
    indexes: await rows(`SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = 'public' ORDER BY 1`),
    functions: await rows(`SELECT proname, pg_get_functiondef(oid) AS def FROM pg_proc
      WHERE pronamespace = 'public'::regnamespace ORDER BY 1`),
    triggers: await rows(`SELECT tgrelid::regclass::text AS tbl, tgname, pg_get_triggerdef(oid) AS def
      FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1, 2`),
    migrations: await rows('SELECT version, name, checksum FROM schema_migrations ORDER BY version'),
    databases: await rows('SELECT datname, encoding, datcollate, datctype, datlocprovider FROM pg_database ORDER BY 1'),
    settings: await rows(`SELECT name, setting FROM pg_settings ORDER BY 1`),
    extensions: await rows('SELECT extname, extversion FROM pg_extension ORDER BY 1'),
    roles: await rows('SELECT rolname, rolsuper, rolcanlogin FROM pg_roles ORDER BY 1'),
  };
}

test('a new DATA_DIR from the template, migrated, is the database that initdb and the migrations make', async (t) => {
  const fromTemplate = await open(t, templateRoot);
  t.is(fromTemplate.seeded?.from, 'template');
  // no template there: PGlite's initdb, as before the template existed
  const fromInitdb = await open(t, join(base, 'no-template'));
  t.is(fromInitdb.seeded?.from, 'initdb');

  t.deepEqual(await migrate(fromTemplate), await migrate(fromInitdb), 'every migration runs after the template, as after initdb');
  t.deepEqual(await schemaOf(fromTemplate), await schemaOf(fromInitdb));
});

test('the template holds nothing of a deployment: no table, so no key and no migration; dates are the first start’s', async (t) => {
  const db = await open(t, templateRoot);
  t.is(db.seeded?.from, 'template');
  const { rows } = await db.query<{ count: number }>(
    "SELECT count(*)::int AS count FROM pg_class WHERE relnamespace = 'public'::regnamespace",
  );
  t.is(rows[0]!.count, 0, 'not even schema_migrations: every migration runs at the first start');
  await migrate(db);
  // The admin API's registry entry went live, and is due for review, from the day of the first start.
  const admin = await db.query<{ live: boolean; applied: boolean }>(
    `SELECT live_date = current_date AS live,
            (SELECT bool_and(applied_at > now() - interval '1 hour') FROM schema_migrations) AS applied
       FROM resource_servers WHERE identifier = 'urn:portcullis:admin'`,
  );
  t.deepEqual(admin.rows[0], { live: true, applied: true });
});

test('two data directories started from the template get signing keys of their own', async (t) => {
  const publicKeys: string[] = [];
  for (const secret of ['first-secret-0123456789abcdefghij', 'second-secret-0123456789abcdefgh']) {
    const db = await open(t, templateRoot);
    t.is(db.seeded?.from, 'template');
    await migrate(db);
    t.true(await ensureSigningKeys(db, deriveKeys(secret).encryptionKey), 'none were there: they are created');
    const { rows } = await db.query<{ kid: string; public_jwk: unknown }>('SELECT kid, public_jwk FROM signing_keys');
    t.true(rows.length > 0);
    publicKeys.push(...rows.map((row) => JSON.stringify(row)));
  }
  t.is(new Set(publicKeys).size, publicKeys.length, 'no key is in both');
});
