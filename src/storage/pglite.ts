// Embedded PostgreSQL (PGlite, Postgres compiled to WASM) in DATA_DIR: same SQL, same migrations.
import { PGlite } from '@electric-sql/pglite';
import type { Database, Queryable, QueryResult } from './database.ts';

export interface EmbeddedDatabase extends Database {
  readonly pglite: PGlite;
}

/** Opens (creating if needed) the embedded database. `dataPath` undefined means in memory. */
export async function openPglite(dataPath: string | undefined): Promise<EmbeddedDatabase> {
  const pglite = await PGlite.create(dataPath ? { dataDir: dataPath } : {});
  return wrapPglite(pglite);
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
