// PostgreSQL through a `pg` pool, with a dedicated connection for LISTEN that reconnects by itself.
import pg from 'pg';
import { NOTIFY_SQL, preparedName, type Database, type NotificationHandler, type Queryable, type QueryResult } from './database.ts';

export interface PostgresOptions {
  connectionString: string;
  max?: number;
  /** How long to wait for a connection before failing (fail fast rather than queue forever). */
  connectionTimeoutMillis?: number;
  /** Called when the listening connection drops, so caches can be flushed. */
  onListenerLost?: () => void;
}

export function openPostgres(options: PostgresOptions): Database {
  const pool = new pg.Pool({
    connectionString: options.connectionString,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    idleTimeoutMillis: 30_000,
  });
  // An idle client losing its server must not crash the process; the pool replaces it.
  pool.on('error', () => {});

  const handlers = new Map<string, Set<NotificationHandler>>();
  let listener: pg.Client | undefined;
  let connecting: Promise<void> | undefined;
  let closed = false;
  let retryTimer: NodeJS.Timeout | undefined;

  async function connectListener(): Promise<void> {
    const client = new pg.Client({
      connectionString: options.connectionString,
      connectionTimeoutMillis: options.connectionTimeoutMillis ?? 5_000,
    });
    client.on('notification', (message) => {
      for (const handler of handlers.get(message.channel) ?? []) handler(message.payload ?? '');
    });
    client.on('error', () => dropListener(client));
    client.on('end', () => dropListener(client));
    await client.connect();
    for (const channel of handlers.keys()) await client.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
    listener = client;
  }

  function dropListener(client: pg.Client): void {
    if (listener !== client) return;
    listener = undefined;
    options.onListenerLost?.();
    scheduleReconnect();
  }

  function scheduleReconnect(): void {
    if (closed || retryTimer) return;
    retryTimer = setTimeout(() => {
      retryTimer = undefined;
      ensureListener().catch(scheduleReconnect);
    }, 1_000);
    retryTimer.unref();
  }

  function ensureListener(): Promise<void> {
    if (listener) return Promise.resolve();
    connecting ??= connectListener().finally(() => {
      connecting = undefined;
    });
    return connecting;
  }

  // PostgreSQL delivers a NOTIFY to the listening connection some time after the commit; the
  // process that made the change tells its own listeners itself, at once, so its next request never
  // sees what it just changed as it was (the later delivery invalidates again, which is harmless).
  const deliverHere = (params: readonly unknown[]) => {
    const [channel, payload] = params as [string, string];
    for (const handler of handlers.get(channel) ?? []) handler(payload);
  };

  const toResult = <Row>(result: pg.QueryResult): QueryResult<Row> => ({
    rows: result.rows as Row[],
    rowCount: result.rowCount ?? 0,
  });

  return {
    kind: 'postgres',
    async query<Row>(sql: string, params: readonly unknown[] = []) {
      const name = preparedName(sql);
      const result = toResult<Row>(
        await pool.query(
          name === undefined ? { text: sql, values: params as unknown[] } : { name, text: sql, values: params as unknown[] },
        ),
      );
      if (sql === NOTIFY_SQL) deliverHere(params);
      return result;
    },
    async execScript(sql: string) {
      await pool.query(sql);
    },
    async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
      const client = await pool.connect();
      // A checked-out client has no listener of the pool's: its connection dying (a restart, a
      // failover, a killed backend) is an 'error' event that would otherwise crash the process. The
      // transaction fails through its pending query instead, and a lost client is not pooled again.
      let lost: Error | undefined;
      const onLost = (error: Error) => {
        lost = error;
      };
      client.on('error', onLost);
      try {
        await client.query('BEGIN');
        const notified: (readonly unknown[])[] = [];
        const tx: Queryable = {
          query: async <Row>(sql: string, params: readonly unknown[] = []) => {
            if (sql === NOTIFY_SQL) notified.push(params);
            return toResult<Row>(await client.query(sql, params as unknown[]));
          },
          execScript: async (sql: string) => {
            await client.query(sql);
          },
        };
        const result = await work(tx);
        await client.query('COMMIT');
        for (const params of notified) deliverHere(params);
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => {});
        throw error;
      } finally {
        // a lost client keeps its listener: it is destroyed, and may still report the socket's end
        if (lost) client.release(lost);
        else {
          client.removeListener('error', onLost);
          client.release();
        }
      }
    },
    async listen(channel, handler) {
      let set = handlers.get(channel);
      const isNewChannel = !set;
      if (!set) handlers.set(channel, (set = new Set()));
      set.add(handler);
      if (listener && isNewChannel) await listener.query(`LISTEN ${pg.escapeIdentifier(channel)}`);
      else await ensureListener();
      return async () => {
        set.delete(handler);
      };
    },
    async close() {
      closed = true;
      if (retryTimer) clearTimeout(retryTimer);
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => {});
      await pool.end();
    },
  };
}
