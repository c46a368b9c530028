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

export type NotificationHandler = (payload: string) => void;

export interface Database extends Queryable {
  readonly kind: 'postgres' | 'pglite';
  /** Runs `work` in one transaction; rolls back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Subscribes to NOTIFY on `channel`; resolves to an unsubscribe function. */
  listen(channel: string, handler: NotificationHandler): Promise<() => Promise<void>>;
  close(): Promise<void>;
}

/** Channel on which every durable change that a cache may hold is announced. */
export const CHANGES_CHANNEL = 'portcullis_changes';

/** Announces a change (inside the writing transaction, so listeners see committed data only). */
export async function notifyChange(db: Queryable, topic: string, id: string): Promise<void> {
  await db.query('SELECT pg_notify($1, $2)', [CHANGES_CHANNEL, JSON.stringify({ topic, id })]);
}
