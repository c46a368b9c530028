// Clients and resource servers are read on every token request, so they are cached in process.
// Every write announces itself with NOTIFY (src/storage/database.ts); each process drops the
// entry it holds, so a change made by the CLI or by another process is honoured at once. A
// short TTL bounds staleness if a notification is ever lost, and `clear` runs when the listening
// connection drops.
import { CHANGES_CHANNEL, type Database } from '../storage/database.ts';
import { findClient, type StoredClient } from '../storage/clients.ts';
import { findResourceServer, listApiScopeNames, type ResourceServerRecord } from '../storage/resource-servers.ts';

const TTL_MS = 60_000;

interface Entry<T> {
  value: T | undefined;
  loadedAt: number;
}

class TtlCache<T> {
  readonly #entries = new Map<string, Entry<T> | Promise<T | undefined>>();
  readonly #load: (key: string) => Promise<T | undefined>;

  constructor(load: (key: string) => Promise<T | undefined>) {
    this.#load = load;
  }

  async get(key: string): Promise<T | undefined> {
    const entry = this.#entries.get(key);
    if (entry instanceof Promise) return entry;
    if (entry && Date.now() - entry.loadedAt < TTL_MS) return entry.value;
    const loading = this.#load(key).then(
      (value) => {
        if (this.#entries.get(key) === loading) this.#entries.set(key, { value, loadedAt: Date.now() });
        return value;
      },
      (error: unknown) => {
        if (this.#entries.get(key) === loading) this.#entries.delete(key);
        throw error;
      },
    );
    this.#entries.set(key, loading);
    return loading;
  }

  delete(key: string): void {
    this.#entries.delete(key);
  }

  clear(): void {
    this.#entries.clear();
  }
}

export interface RegistryCache {
  client: (clientId: string) => Promise<StoredClient | undefined>;
  resourceServer: (identifier: string) => Promise<ResourceServerRecord | undefined>;
  /** Every scope name some resource server defines (a scope outside it is unknown, and ignored). */
  apiScopeNames: () => Promise<ReadonlySet<string>>;
  /** Drops what the change could have made stale; `onChange` listeners run after. */
  invalidate: (topic: string, id: string) => void;
  onChange: (listener: (topic: string, id: string) => void) => void;
  clear: () => void;
}

export function createRegistryCache(db: Database): RegistryCache {
  const clients = new TtlCache((id) => findClient(db, id));
  const resources = new TtlCache((id) => findResourceServer(db, id));
  const scopeNames = new TtlCache<ReadonlySet<string>>(async () => new Set(await listApiScopeNames(db)));
  const listeners: ((topic: string, id: string) => void)[] = [];
  return {
    client: (id) => clients.get(id),
    resourceServer: (id) => resources.get(id),
    apiScopeNames: async () => (await scopeNames.get('*')) ?? new Set<string>(),
    invalidate(topic, id) {
      if (topic === 'client') clients.delete(id);
      if (topic === 'resource') {
        resources.delete(id);
        scopeNames.clear();
        clients.clear(); // client permissions on a deleted resource are gone too
      }
      for (const listener of listeners) listener(topic, id);
    },
    onChange(listener) {
      listeners.push(listener);
    },
    clear() {
      clients.clear();
      resources.clear();
      scopeNames.clear();
    },
  };
}

/** Subscribes the cache to change notifications; resolves to an unsubscribe function. */
export function subscribeRegistryCache(db: Database, cache: RegistryCache): Promise<() => Promise<void>> {
  return db.listen(CHANGES_CHANNEL, (payload) => {
    try {
      const { topic, id } = JSON.parse(payload) as { topic: string; id: string };
      cache.invalidate(topic, id);
    } catch {
      cache.clear();
    }
  });
}
