// One contract for every oidc-provider adapter backend: the same cases run against SqlAdapter on
// PGlite, SqlAdapter on PostgreSQL and RedisAdapter on Redis, each test on its own fresh store.
// Then the factory: routing between SQL and Redis, grant revocation across both, pruning.
import { setTimeout as delay } from 'node:timers/promises';
import test, { type ExecutionContext } from 'ava';
import { Redis } from 'ioredis';
import Provider, { errors } from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import {
  createAdapterFactory,
  pruneExpiredModels,
  revokeGrantEverywhere,
  SHORT_LIVED_MODELS,
  type AdapterStores,
} from '../../src/oidc/adapters/adapter-factory.ts';
import { storageId } from '../../src/oidc/adapters/hashed-id-adapter.ts';
import { RedisAdapter, revokeRedisGrant } from '../../src/oidc/adapters/redis-adapter.ts';
import { SqlAdapter } from '../../src/oidc/adapters/sql-adapter.ts';
import { deleteGrantRecords } from '../../src/storage/oidc-models.ts';
import type { Database } from '../../src/storage/database.ts';
import { openPostgres } from '../../src/storage/postgres.ts';
import { createTestDatabase, createTestRedis, TEST_REDIS_URL } from '../helpers/stores.ts';

type Backend = 'pglite' | 'postgres' | 'redis';
type AdapterFor = (model: string) => Adapter;

interface Harness {
  adapter: AdapterFor;
  /** Adapters over a second, independent connection: what another process would use. */
  secondConnection(): Promise<AdapterFor>;
  /** Makes a stored record expire now, without sleeping for its TTL. */
  expire(model: string, id: string): Promise<void>;
  /** Milliseconds the stored record has left to live. */
  remainingTtl(model: string, id: string): Promise<number>;
  /** Grant ids the adapters asked to revoke after losing a consume. */
  revoked: string[];
}

/** A fresh, migrated, isolated database, disposed when the test ends. */
async function createDatabase(t: ExecutionContext, backend: 'pglite' | 'postgres'): Promise<{ db: Database; url?: string }> {
  const store = await createTestDatabase(backend);
  t.teardown(() => store.dispose());
  return store.url ? { db: store.db, url: store.url } : { db: store.db };
}

/** Opens a fresh isolated store of `backend`, disposed when the test ends. */
async function open(t: ExecutionContext, backend: Backend): Promise<Harness> {
  const revoked: string[] = [];
  if (backend === 'redis') {
    const store = await createTestRedis();
    t.teardown(() => store.dispose());
    const adaptersOver =
      (redis: Redis): AdapterFor =>
      (model) =>
        new RedisAdapter(redis, model, {
          prefix: store.prefix,
          revokeGrant: async (grantId) => {
            revoked.push(grantId);
            await revokeRedisGrant(redis, store.prefix, grantId);
          },
        });
    const key = (model: string, id: string) => `${store.prefix}${model}:${id}`;
    return {
      adapter: adaptersOver(store.redis),
      async secondConnection() {
        const second = new Redis(TEST_REDIS_URL);
        t.teardown(() => second.disconnect());
        return adaptersOver(second);
      },
      async expire(model, id) {
        await store.redis.pexpire(key(model, id), 1);
        await delay(5);
      },
      remainingTtl: (model, id) => store.redis.pttl(key(model, id)),
      revoked,
    };
  }

  const store = await createDatabase(t, backend);
  const adaptersOver =
    (db: Database): AdapterFor =>
    (model) =>
      new SqlAdapter(db, model, {
        revokeGrant: async (grantId) => {
          revoked.push(grantId);
          await deleteGrantRecords(db, grantId);
        },
      });
  return {
    adapter: adaptersOver(store.db),
    async secondConnection() {
      // PGlite is one in-process connection: a second adapter instance over it is the closest analogue.
      if (!store.url) return adaptersOver(store.db);
      const second = openPostgres({ connectionString: store.url });
      t.teardown(() => second.close());
      return adaptersOver(second);
    },
    async expire(model, id) {
      await store.db.query(`UPDATE oidc_models SET expires_at = now() - interval '1 second' WHERE kind = $1 AND id = $2`, [model, id]);
    },
    async remainingTtl(model, id) {
      const { rows } = await store.db.query<{ ms: number }>(
        `SELECT (extract(epoch FROM expires_at - now()) * 1000)::float8 AS ms FROM oidc_models WHERE kind = $1 AND id = $2`,
        [model, id],
      );
      return rows[0]?.ms ?? -2;
    },
    revoked,
  };
}

const epoch = () => Math.floor(Date.now() / 1000);
const NOW = epoch();

/** A realistic payload, with an empty array and nesting (JSON must round-trip exactly). */
const token = (jti: string, extra: AdapterPayload = {}): AdapterPayload => ({
  iat: NOW,
  exp: NOW + 60,
  jti,
  kind: 'AuthorizationCode',
  clientId: 'client-1',
  accountId: 'account-1',
  amr: [],
  claims: { id_token: { email: null } },
  scope: 'openid email',
  ...extra,
});

/** Waits for all; asserts exactly one won and every loser is an invalid_grant. */
async function assertOneWinner(t: ExecutionContext, attempts: Promise<void>[]): Promise<void> {
  const outcomes = await Promise.allSettled(attempts);
  const losers = outcomes.filter((outcome) => outcome.status === 'rejected');
  t.is(outcomes.length - losers.length, 1, 'exactly one consume succeeds');
  for (const loser of losers) {
    t.true(loser.reason instanceof errors.InvalidGrant, String(loser.reason));
    t.is((loser.reason as { error?: string }).error, 'invalid_grant');
  }
}

/**
 * PGlite runs its WASM on this thread: while it starts, pg connections and timers of concurrent
 * tests starve (pg's 3 s connect timeout fires on a loaded box). Serial tests run first in ava, so
 * the PGlite cases go serially before the concurrent PostgreSQL and Redis ones.
 */
const testOn = (backend: Backend) => (backend === 'pglite' ? test.serial : test);

for (const backend of ['pglite', 'postgres', 'redis'] as const) {
  testOn(backend)(`[${backend}] upsert then find returns the payload unchanged`, async (t) => {
    const { adapter } = await open(t, backend);
    const codes = adapter('AuthorizationCode');
    t.is(await codes.find('missing'), undefined);
    await codes.upsert('c1', token('c1'), 60);
    t.deepEqual(await codes.find('c1'), token('c1'));
    t.is(await adapter('AccessToken').find('c1'), undefined, 'models are separate namespaces');

    await codes.upsert('c1', token('c1', { scope: 'openid' }), 60);
    t.is((await codes.find('c1'))?.scope, 'openid', 'upsert replaces');
  });

  testOn(backend)(`[${backend}] find does not return an expired record`, async (t) => {
    const { adapter, expire } = await open(t, backend);
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', token('c1'), 1);
    await codes.upsert('c2', token('c2'), 0);
    await expire('AuthorizationCode', 'c1');
    t.is(await codes.find('c1'), undefined);
    t.is(await codes.find('c2'), undefined, 'expiresIn 0 stores an already expired record');
  });

  testOn(backend)(`[${backend}] upsert after expiry makes the record live again`, async (t) => {
    const { adapter, expire } = await open(t, backend);
    const codes = adapter('DeviceCode');
    await codes.upsert('d1', token('d1'), 60);
    await expire('DeviceCode', 'd1');
    t.is(await codes.find('d1'), undefined);
    await codes.upsert('d1', token('d1', { scope: 'openid' }), 60);
    t.is((await codes.find('d1'))?.scope, 'openid');
  });

  testOn(backend)(`[${backend}] findByUid and findByUserCode`, async (t) => {
    const { adapter, expire } = await open(t, backend);
    const sessions = adapter('Session');
    await sessions.upsert('s1', { uid: 'u1', accountId: 'a1' }, 60);
    await sessions.upsert('s2', { uid: 'u2', accountId: 'a2' }, 60);
    t.is((await sessions.findByUid('u1'))?.accountId, 'a1');
    t.is(await sessions.findByUid('nope'), undefined);

    // A changed uid must not stay reachable through the old one.
    await sessions.upsert('s1', { uid: 'u3', accountId: 'a1' }, 60);
    t.is(await sessions.findByUid('u1'), undefined);
    t.is((await sessions.findByUid('u3'))?.accountId, 'a1');

    const devices = adapter('DeviceCode');
    await devices.upsert('d1', token('d1', { userCode: 'ABCD-EFGH' }), 60);
    t.is((await devices.findByUserCode('ABCD-EFGH'))?.jti, 'd1');
    t.is(await devices.findByUserCode('ZZZZ-ZZZZ'), undefined);
    t.is(await adapter('Session').findByUserCode('ABCD-EFGH'), undefined, 'lookups are per model');

    await expire('Session', 's2');
    t.is(await sessions.findByUid('u2'), undefined, 'expired records are not found by uid');
  });

  testOn(backend)(`[${backend}] destroy removes the record and its lookups`, async (t) => {
    const { adapter } = await open(t, backend);
    const devices = adapter('DeviceCode');
    await devices.upsert('d1', token('d1', { userCode: 'ABCD', grantId: 'g1' }), 60);
    await devices.upsert('d2', token('d2', { userCode: 'EFGH', grantId: 'g1' }), 60);
    await devices.destroy('d1');
    await devices.destroy('never-existed');
    t.is(await devices.find('d1'), undefined);
    t.is(await devices.findByUserCode('ABCD'), undefined);
    t.truthy(await devices.find('d2'));
  });

  testOn(backend)(`[${backend}] revokeByGrantId removes that model's records of the grant only`, async (t) => {
    const { adapter } = await open(t, backend);
    const accessTokens = adapter('AccessToken');
    const refreshTokens = adapter('RefreshToken');
    await accessTokens.upsert('at1', token('at1', { grantId: 'g1' }), 60);
    await accessTokens.upsert('at2', token('at2', { grantId: 'g1' }), 600);
    await accessTokens.upsert('at3', token('at3', { grantId: 'g2' }), 60);
    await refreshTokens.upsert('rt1', token('rt1', { grantId: 'g1' }), 60);

    await accessTokens.revokeByGrantId('g1');
    t.is(await accessTokens.find('at1'), undefined);
    t.is(await accessTokens.find('at2'), undefined);
    t.truthy(await accessTokens.find('at3'), 'other grant kept');
    t.truthy(await refreshTokens.find('rt1'), 'oidc-provider revokes model by model');
    await refreshTokens.revokeByGrantId('g1');
    t.is(await refreshTokens.find('rt1'), undefined);
  });

  testOn(backend)(`[${backend}] consume sets consumed and keeps the expiry`, async (t) => {
    const { adapter, remainingTtl } = await open(t, backend);
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', token('c1', { grantId: 'g1' }), 3600);
    const before = epoch();
    await codes.consume('c1');
    const stored = await codes.find('c1');
    t.true(typeof stored?.consumed === 'number' && stored.consumed >= before && stored.consumed <= epoch() + 1);
    t.like(stored, { jti: 'c1', amr: [], grantId: 'g1' });
    const ttl = await remainingTtl('AuthorizationCode', 'c1');
    t.true(ttl > 3_000_000 && ttl <= 3_600_000, `ttl ${ttl}`); // generous: a loaded CI box is slow

    // A record saved by oidc-provider with `consumed` already set is consumed too.
    await codes.upsert('c2', token('c2', { consumed: before }), 60);
    await t.throwsAsync(codes.consume('c2'), { instanceOf: errors.InvalidGrant });
  });

  testOn(backend)(`[${backend}] consume of a missing record is invalid_grant`, async (t) => {
    const { adapter, revoked } = await open(t, backend);
    const error = await t.throwsAsync(adapter('AuthorizationCode').consume('missing'), { instanceOf: errors.InvalidGrant });
    t.is((error as { error?: string } | undefined)?.error, 'invalid_grant');
    t.deepEqual(revoked, []);
  });

  testOn(backend)(`[${backend}] consume is atomic: 20 parallel calls, one winner, grant revoked`, async (t) => {
    const { adapter, revoked } = await open(t, backend);
    const codes = adapter('AuthorizationCode');
    await codes.upsert('c1', token('c1', { grantId: 'g1' }), 60);
    await adapter('AccessToken').upsert('at1', token('at1', { grantId: 'g1' }), 60);
    await adapter('AccessToken').upsert('at2', token('at2', { grantId: 'g2' }), 60);

    await assertOneWinner(
      t,
      Array.from({ length: 20 }, () => codes.consume('c1')),
    );
    t.true(revoked.length >= 1 && revoked.every((grantId) => grantId === 'g1'), `revoked ${revoked.join()}`);
    t.is(await codes.find('c1'), undefined, 'the replayed code went with its grant');
    t.is(await adapter('AccessToken').find('at1'), undefined, 'tokens of the grant are revoked');
    t.truthy(await adapter('AccessToken').find('at2'), 'other grants untouched');
  });

  testOn(backend)(`[${backend}] consume is atomic across two connections`, async (t) => {
    const { adapter, secondConnection } = await open(t, backend);
    const other = await secondConnection();
    const mine = adapter('RefreshToken');
    const theirs = other('RefreshToken');
    await mine.upsert('rt1', token('rt1', { grantId: 'g1' }), 60);
    t.truthy(await theirs.find('rt1'), 'both connections see the same store');

    const attempts: Promise<void>[] = [];
    for (let i = 0; i < 10; i += 1) attempts.push(mine.consume('rt1'), theirs.consume('rt1'));
    await assertOneWinner(t, attempts);
  });
}

// ---- the factory over both stores -------------------------------------------------------------

async function openStores(t: ExecutionContext, backend: 'pglite' | 'postgres', withRedis: boolean): Promise<AdapterStores> {
  const { db } = await createDatabase(t, backend);
  if (!withRedis) return { db };
  const redis = await createTestRedis();
  t.teardown(() => redis.dispose());
  return { db, redis: redis.redis, redisPrefix: redis.prefix };
}

const noClients = async () => undefined;

test('[postgres+redis] factory keeps short-lived models in Redis and the rest in SQL', async (t) => {
  const stores = await openStores(t, 'postgres', true);
  const adapterFor = createAdapterFactory(stores, { findClient: noClients });
  t.true(SHORT_LIVED_MODELS.has('AuthorizationCode') && !SHORT_LIVED_MODELS.has('RefreshToken'));
  await adapterFor('Interaction').upsert('i1', { uid: 'u1' }, 60);
  await adapterFor('AuthorizationCode').upsert('c1', token('c1'), 60);
  await adapterFor('AccessToken').upsert('at1', token('at1'), 60);
  await adapterFor('Session').upsert('s1', { uid: 'su1' }, 60);
  t.is(await stores.redis?.exists(`${stores.redisPrefix}Interaction:i1`), 1);
  t.is(await stores.redis?.exists(`${stores.redisPrefix}AuthorizationCode:${storageId('c1')}`), 1);
  const { rows } = await stores.db.query<{ kind: string }>('SELECT kind FROM oidc_models ORDER BY kind');
  t.deepEqual(
    rows.map((row) => row.kind),
    ['AccessToken', 'Session'],
  );
});

test.serial('[pglite] factory without Redis keeps every model in SQL', async (t) => {
  const stores = await openStores(t, 'pglite', false);
  const adapterFor = createAdapterFactory(stores, { findClient: noClients });
  await adapterFor('Interaction').upsert('i1', { uid: 'u1' }, 60);
  await adapterFor('PushedAuthorizationRequest').upsert('p1', { clientId: 'c' }, 60);
  await adapterFor('AuthorizationCode').upsert('c1', token('c1'), 60);
  const { rows } = await stores.db.query<{ kind: string }>('SELECT kind FROM oidc_models ORDER BY kind');
  t.deepEqual(
    rows.map((row) => row.kind),
    ['AuthorizationCode', 'Interaction', 'PushedAuthorizationRequest'],
  );
});

for (const backend of ['pglite', 'redis'] as const) {
  test.serial(`[${backend}] bearer credentials are stored under a hash, without their value`, async (t) => {
    const stores = await openStores(t, backend === 'redis' ? 'postgres' : 'pglite', backend === 'redis');
    const adapterFor = createAdapterFactory(stores, { findClient: noClients });
    const model = backend === 'redis' ? 'AuthorizationCode' : 'RefreshToken';
    const adapter = adapterFor(model);
    const value = 'secret-token-value-0123456789';
    await adapter.upsert(value, token(value, { grantId: 'g1' }), 60);
    const found = await adapter.find(value);
    t.is(found?.jti, value, 'oidc-provider sees the token as before');
    t.is(found?.grantId, 'g1');
    const dump = stores.redis
      ? JSON.stringify(await stores.redis.hgetall(`${stores.redisPrefix}${model}:${storageId(value)}`)) +
        (await stores.redis.keys(`${stores.redisPrefix}*`)).join(' ')
      : JSON.stringify((await stores.db.query('SELECT * FROM oidc_models')).rows);
    t.true(dump.includes(storageId(value)));
    t.false(dump.includes(value), 'the stored record does not contain the token');
    await adapter.consume(value);
    t.truthy((await adapter.find(value))?.consumed);
    await adapter.destroy(value);
    t.is(await adapter.find(value), undefined);
  });
}

test('[factory] the Client adapter reads through findClient and refuses writes', async (t) => {
  const adapterFor = createAdapterFactory(
    { db: undefined as unknown as Database },
    {
      findClient: async (id) => (id === 'app' ? { client_id: 'app', redirect_uris: ['https://app.example/cb'] } : undefined),
    },
  );
  const clients = adapterFor('Client');
  t.like(await clients.find('app'), { client_id: 'app' });
  t.is(await clients.find('other'), undefined);
  await t.throwsAsync(clients.upsert('app', {}, 60), { message: /managed by Portcullis/ });
  await t.throwsAsync(clients.destroy('app'), { message: /managed by Portcullis/ });
});

test('[postgres+redis] revokeGrantEverywhere deletes the grant from SQL and Redis', async (t) => {
  const stores = await openStores(t, 'postgres', true);
  const adapterFor = createAdapterFactory(stores, { findClient: noClients });
  await adapterFor('Grant').upsert('g1', { accountId: 'a1', clientId: 'client-1' }, 600);
  await adapterFor('Grant').upsert('g2', { accountId: 'a1', clientId: 'client-1' }, 600);
  for (const grantId of ['g1', 'g2']) {
    await adapterFor('AuthorizationCode').upsert(`c-${grantId}`, token(`c-${grantId}`, { grantId }), 60);
    await adapterFor('Interaction').upsert(`i-${grantId}`, { grantId }, 60);
    await adapterFor('AccessToken').upsert(`at-${grantId}`, token(`at-${grantId}`, { grantId }), 60);
    await adapterFor('RefreshToken').upsert(`rt-${grantId}`, token(`rt-${grantId}`, { grantId }), 600);
  }

  await revokeGrantEverywhere(stores, 'g1');
  for (const [model, id] of [
    ['Grant', ''],
    ['AuthorizationCode', 'c-'],
    ['Interaction', 'i-'],
    ['AccessToken', 'at-'],
    ['RefreshToken', 'rt-'],
  ] as const) {
    t.is(await adapterFor(model).find(`${id}g1`), undefined, `${model} of g1 revoked`);
    t.truthy(await adapterFor(model).find(`${id}g2`), `${model} of g2 kept`);
  }
  t.is(await stores.redis?.exists(`${stores.redisPrefix}grant:g1`), 0, 'the grant index is gone too');
});

test('[postgres+redis] a replayed authorization code (Redis) revokes the grant and its SQL tokens', async (t) => {
  const stores = await openStores(t, 'postgres', true);
  const adapterFor = createAdapterFactory(stores, { findClient: noClients });
  await adapterFor('Grant').upsert('g1', { accountId: 'a1', clientId: 'client-1' }, 600);
  await adapterFor('AuthorizationCode').upsert('c1', token('c1', { grantId: 'g1' }), 60);
  await adapterFor('RefreshToken').upsert('rt1', token('rt1', { grantId: 'g1' }), 600);
  await adapterFor('RefreshToken').upsert('rt2', token('rt2', { grantId: 'g2' }), 600);

  const codes = adapterFor('AuthorizationCode');
  await assertOneWinner(
    t,
    Array.from({ length: 20 }, () => codes.consume('c1')),
  );
  t.is(await adapterFor('Grant').find('g1'), undefined);
  t.is(await adapterFor('RefreshToken').find('rt1'), undefined);
  t.truthy(await adapterFor('RefreshToken').find('rt2'));
});

for (const backend of ['pglite', 'postgres'] as const) {
  testOn(backend)(`[${backend}] pruneExpiredModels deletes expired rows only`, async (t) => {
    const stores = await openStores(t, backend, false);
    const adapterFor = createAdapterFactory(stores, { findClient: noClients });
    await adapterFor('AccessToken').upsert('live', token('live'), 60);
    await adapterFor('AccessToken').upsert('dead', token('dead'), 0);
    await adapterFor('Session').upsert('old', { uid: 'u1' }, -10);
    await adapterFor('Grant').upsert('forever', { accountId: 'a1' });
    t.is(await pruneExpiredModels(stores.db), 2);
    const { rows } = await stores.db.query<{ id: string }>('SELECT id FROM oidc_models ORDER BY id');
    t.deepEqual(
      rows.map((row) => row.id),
      ['forever', storageId('live')],
    );
    t.is(await pruneExpiredModels(stores.db), 0);
  });
}

test.serial('[pglite] oidc-provider accepts the factory as its adapter', async (t) => {
  const stores = await openStores(t, 'pglite', false);
  const adapter = createAdapterFactory(stores, {
    findClient: async (id) =>
      id === 'app' ? { client_id: 'app', client_secret: 'a-secret-long-enough', redirect_uris: ['https://app.example/cb'] } : undefined,
  });
  const provider = new Provider('https://op.example', {
    adapter,
    features: { devInteractions: { enabled: false } },
    ttl: { Grant: 600 },
  });
  const client = await provider.Client.find('app');
  t.deepEqual(client?.redirectUris, ['https://app.example/cb']);

  const grant = new provider.Grant({ accountId: 'account-1', clientId: 'app' });
  grant.addOIDCScope('openid');
  const grantId = await grant.save();
  t.is((await provider.Grant.find(grantId))?.getOIDCScope(), 'openid');
  await revokeGrantEverywhere(stores, grantId);
  t.is(await provider.Grant.find(grantId), undefined);
});
