// The same Database, with every query timed and every failure counted for the metrics.
import type { Database, Queryable } from './database.ts';

export type StoreObserver = (store: string, seconds: number, failed: boolean) => void;

export function instrumentDatabase(db: Database, observe: StoreObserver): Database {
  const timed = <T>(work: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    return work().then(
      (result) => {
        observe(db.kind, (performance.now() - started) / 1000, false);
        return result;
      },
      (error: unknown) => {
        observe(db.kind, (performance.now() - started) / 1000, true);
        throw error;
      },
    );
  };
  const wrap = (target: Queryable): Queryable => ({
    query: (sql, params) => timed(() => target.query(sql, params)),
    execScript: (sql) => timed(() => target.execScript(sql)),
  });
  return {
    ...wrap(db),
    kind: db.kind,
    // a transaction is timed as one operation (its statements are not counted twice)
    transaction: (work) => timed(() => db.transaction(work)),
    listen: (channel, handler) => db.listen(channel, handler),
    close: () => db.close(),
  };
}
