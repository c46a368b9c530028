// Chooses the store of each oidc-provider model: short-lived models go to Redis when it is
// configured, everything else is durable in SQL; clients come from Portcullis' own registry.
import type { Redis } from 'ioredis';
import type { Adapter, AdapterFactory, AdapterPayload } from 'oidc-provider';
import type { Database } from '../../storage/database.ts';
import { guardStore } from '../store-unavailable.ts';
import { BEARER_MODELS, HashedIdAdapter } from './hashed-id-adapter.ts';
import { RedisAdapter, revokeRedisGrant } from './redis-adapter.ts';
import { deleteGrantRecords, pruneExpiredOidcModels } from '../../storage/oidc-models.ts';
import { SqlAdapter } from './sql-adapter.ts';

/** SQL alone, or SQL with Redis and the key prefix of the oidc-provider records there. */
export type AdapterStores = { db: Database; redis?: undefined } | { db: Database; redis: Redis; redisPrefix: string };

export interface AdapterFactoryOptions {
  /** Client metadata (RFC 7591 names) of an active client, or undefined. */
  findClient: (id: string) => Promise<Record<string, unknown> | undefined>;
}

/** Models that are short-lived and go to Redis when it is configured; everything else is durable in SQL. */
export const SHORT_LIVED_MODELS: ReadonlySet<string> = new Set([
  'Interaction',
  'AuthorizationCode',
  'PushedAuthorizationRequest',
  'ReplayDetection',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

/** Clients are managed by Portcullis (admin API, database), never written by oidc-provider. */
class ClientAdapter implements Adapter {
  readonly #findClient: AdapterFactoryOptions['findClient'];

  constructor(findClient: AdapterFactoryOptions['findClient']) {
    this.#findClient = findClient;
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    return await this.#findClient(id);
  }

  upsert(): Promise<void> {
    return readOnly('upsert');
  }
  findByUid(): Promise<undefined> {
    return readOnly('findByUid');
  }
  findByUserCode(): Promise<undefined> {
    return readOnly('findByUserCode');
  }
  consume(): Promise<void> {
    return readOnly('consume');
  }
  destroy(): Promise<void> {
    return readOnly('destroy');
  }
  revokeByGrantId(): Promise<void> {
    return readOnly('revokeByGrantId');
  }
}

const readOnly = (method: string): Promise<never> =>
  Promise.reject(new Error(`Client.${method} is not supported: clients are managed by Portcullis, not by oidc-provider`));

/**
 * The value for oidc-provider's `adapter` option. It must be a plain (arrow) function: oidc-provider
 * calls `new Adapter(name)` on anything with a prototype, `Adapter(name)` otherwise, and rejects
 * async functions outright (see lib/helpers/initialize_adapter.js and lib/models/base_model.js).
 */
export function createAdapterFactory(stores: AdapterStores, options: AdapterFactoryOptions): AdapterFactory {
  const revokeGrant = (grantId: string) => revokeGrantEverywhere(stores, grantId);
  const storeFor = (name: string): Adapter =>
    stores.redis && SHORT_LIVED_MODELS.has(name)
      ? new RedisAdapter(stores.redis, name, { prefix: stores.redisPrefix, revokeGrant })
      : new SqlAdapter(stores.db, name, { revokeGrant });
  return (name: string): Adapter => {
    if (name === 'Client') return guarded(new ClientAdapter(options.findClient));
    const adapter = storeFor(name);
    return guarded(BEARER_MODELS.has(name) ? new HashedIdAdapter(adapter) : adapter);
  };
}

/** The same adapter, with store outages reported as 503 temporarily_unavailable. */
function guarded(adapter: Adapter): Adapter {
  const call = <T>(work: () => Promise<T>) => guardStore(work);
  return {
    upsert: (id, payload, expiresIn) => call(async () => adapter.upsert(id, payload, expiresIn)),
    find: (id) => call(async () => adapter.find(id)),
    findByUid: (uid) => call(async () => adapter.findByUid(uid)),
    findByUserCode: (userCode) => call(async () => adapter.findByUserCode(userCode)),
    consume: (id) => call(async () => adapter.consume(id)),
    destroy: (id) => call(async () => adapter.destroy(id)),
    revokeByGrantId: (grantId) => call(async () => adapter.revokeByGrantId(grantId)),
  };
}

/** Deletes every model carrying that grantId (and the Grant itself) in SQL and in Redis. */
export async function revokeGrantEverywhere(stores: AdapterStores, grantId: string): Promise<void> {
  await Promise.all([
    deleteGrantRecords(stores.db, grantId),
    stores.redis ? revokeRedisGrant(stores.redis, stores.redisPrefix, grantId) : undefined,
  ]);
}

/** Deletes expired SQL rows (Redis expires its own keys); returns how many. */
export function pruneExpiredModels(db: Database): Promise<number> {
  return pruneExpiredOidcModels(db);
}
