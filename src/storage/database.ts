// One small SQL interface over both deployments: PostgreSQL (`pg`) and embedded PGlite.
// Every statement is parameterised ($1, $2 …); nothing here builds SQL from values.

export interface QueryResult<Row> {
  rows: Row[];
  rowCount: number;
}

export interface Queryable {
  query<Row = Record<string, unknown>>(sql: string, params?: readonly unknown[]): Promise<QueryResult<Row>>;
  /** Runs a multi-statement script without parameters (migrations only). */
  execScript(sql: string): Promise<void>;
}

const preparedNames = new Map<string, string>();

/**
 * Marks a hot statement (run on every login) to be prepared once per PostgreSQL connection under
 * `name`, so the server parses and plans it once instead of on every call; returns `sql` unchanged.
 * PGlite ignores the mark. Only for constant SQL text: each name is one statement.
 */
export function preparedStatement(name: string, sql: string): string {
  const existing = preparedNames.get(sql);
  if (existing !== undefined && existing !== name) throw new Error(`statement already prepared as ${existing}`);
  preparedNames.set(sql, name);
  return sql;
}

/** The name `sql` is prepared under, if it was marked by preparedStatement. */
export const preparedName = (sql: string): string | undefined => preparedNames.get(sql);

export type NotificationHandler = (payload: string) => void;

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction; rolls back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, handler: NotificationHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/**
 * Runs `work` in a transaction: a Database opens its own; a transaction's Queryable (which has no
 * `transaction`) is already one, so the statements join the caller's (an admin change and its audit
 * event commit together).
 */
export function inTransaction<T>(db: Queryable | Database, work: (tx: Queryable) => Promise<T>): Promise<T> {
  return 'transaction' in db ? db.transaction(work) : work(db);
}

/** Whether the database answers (the readiness check). */
export async function pingDatabase(db: Queryable): Promise<void> {
  await db.query('SELECT 1');
}

/** Channel on which every durable change that a cache may hold is announced. */
export const CHANGES_CHANNEL = 'portcullis_changes';

/** The one statement that notifies: a driver that sees it also tells its own process's listeners. */
export const NOTIFY_SQL = 'SELECT pg_notify($1, $2)';

/** Announces a change (inside the writing transaction, so listeners see committed data only). */
export async function notifyChange(db: Queryable, topic: string, id: string): Promise<void> {
  await db.query(NOTIFY_SQL, [CHANGES_CHANNEL, JSON.stringify({ topic, id })]);
}
