// Embedded PostgreSQL (PGlite, Postgres compiled to WASM) in DATA_DIR: same SQL, same migrations.
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.ts';
import { DEFAULT_TEMPLATE_ROOT, seedFromTemplate, type SeedResult } from './pglite-template.ts';

export interface EmbeddedDatabase extends Database {
  readonly pglite: PGlite;
  /** How its data directory came to be (on disk only): already there, copied from the template, or initdb. */
  readonly seeded?: SeedResult;
}

/**
 * Opens (creating if needed) the embedded database. `dataPath` undefined means in memory. A new
 * data directory starts as a copy of the template (src/storage/pglite-template.ts) when there is a
 * usable one under `templateRoot`, else PGlite runs initdb; either way migrations are the caller's.
 */
export async function openPglite(dataPath: string | undefined, templateRoot = DEFAULT_TEMPLATE_ROOT): Promise<EmbeddedDatabase> {
  if (!dataPath) return wrapPglite(await PGlite.create({}));
  const seeded = seedFromTemplate(dataPath, templateRoot);
  return { ...wrapPglite(await PGlite.create({ dataDir: dataPath })), seeded };
}

export function wrapPglite(pglite: PGlite): EmbeddedDatabase {
  const toResult = <Row>(result: { rows: unknown[]; affectedRows?: number }): QueryResult<Row> => ({
    rows: result.rows as Row[],
    // PGlite reports affectedRows 0 for a SELECT: then the rows returned are the count
    // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- 0 falls back too (above)
    rowCount: result.affectedRows || result.rows.length,
  });
  return {
    kind: 'pglite',
    pglite,
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      return toResult<Row>(await pglite.query(sql, params as unknown[]));
    },
    async execScript(sql: string) {
      await pglite.exec(sql);
    },
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      return pglite.transaction(async (tx) =>
        work({
          query: async <Row>(sql: string, params: readonly unknown[] = []) => toResult<Row>(await tx.query(sql, params as unknown[])),
          execScript: async (sql: string) => {
            await tx.exec(sql);
          },
        }),
      );
    },
    async listen(channel, handler) {
      const unsubscribe = await pglite.listen(channel, handler);
      return async () => unsubscribe();
    },
    async close() {
      if (!pglite.closed) await pglite.close();
    },
  };
}
