// oidc-provider storage adapter over Redis, for short-lived models.
//
// Layout (all under `prefix`):
//   <Model>:<id>            hash { payload: JSON, consumed?: epoch seconds, grantId? }, TTL = expiresIn
//   grant:<grantId>         set of record keys of that grant (any model), TTL >= its members'
//   uid:<Model>:<uid>       id of the record with that uid, same TTL as the record
//   userCode:<Model>:<code> id of the record with that user code, same TTL as the record
//
// `consumed` lives in its own hash field rather than inside the JSON so that consume is a native
// HSETNX (atomic compare-and-set that keeps the TTL) and Lua never re-encodes the payload (cjson
// would turn empty arrays into objects). `find` merges it back into the payload.
//
// Index entries are verified on read (the record must still carry that uid / user code), so an
// index left behind by a changed or deleted record can never resolve to the wrong record.
//
// The revoke scripts delete record keys read from the grant set, i.e. keys not declared in KEYS:
// fine on a single Redis (or Sentinel), not on Redis Cluster.
import type { Redis } from 'ioredis';
import { errors } from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { RevokeGrant } from './sql-adapter.ts';

export interface RedisAdapterOptions {
  /** Key prefix, e.g. 'portcullis:oidc:'. */
  prefix: string;
  /** Revokes a whole grant in every store; called when a consume loses the race (replay). */
  revokeGrant: RevokeGrant;
}

type IndexRole = 'grant' | 'uid' | 'userCode';

// KEYS[1] record; KEYS[2..n] index keys whose roles are ARGV[6..]
// ARGV: payload JSON, TTL ms ('' = never expires), id, consumed ('' = no), grantId ('' = none)
const UPSERT = `
redis.call('DEL', KEYS[1])
local ttl = tonumber(ARGV[2])
if ttl ~= nil and ttl <= 0 then return 0 end
redis.call('HSET', KEYS[1], 'payload', ARGV[1])
if ARGV[4] ~= '' then redis.call('HSET', KEYS[1], 'consumed', ARGV[4]) end
if ARGV[5] ~= '' then redis.call('HSET', KEYS[1], 'grantId', ARGV[5]) end
if ttl then redis.call('PEXPIRE', KEYS[1], ttl) end
for i = 2, #KEYS do
  if ARGV[i + 4] == 'grant' then
    local current = redis.call('PTTL', KEYS[i]) -- -2 missing, -1 persistent
    redis.call('SADD', KEYS[i], KEYS[1])
    if not ttl then redis.call('PERSIST', KEYS[i])
    elseif current ~= -1 and current < ttl then redis.call('PEXPIRE', KEYS[i], ttl) end
  elseif ttl then
    redis.call('SET', KEYS[i], ARGV[3], 'PX', ttl)
  else
    redis.call('SET', KEYS[i], ARGV[3])
  end
end
return 1`;

// KEYS[1] record; ARGV[1] epoch seconds. {1} won, {0} no such record, {2, grantId} already consumed.
const CONSUME = `
if redis.call('EXISTS', KEYS[1]) == 0 then return {0} end
if redis.call('HSETNX', KEYS[1], 'consumed', ARGV[1]) == 1 then return {1} end
return {2, redis.call('HGET', KEYS[1], 'grantId') or ''}`;

// KEYS[1] record; KEYS[2..n] index keys whose roles are ARGV[2..]; ARGV[1] id.
const DESTROY = `
redis.call('DEL', KEYS[1])
for i = 2, #KEYS do
  if ARGV[i] == 'grant' then redis.call('SREM', KEYS[i], KEYS[1])
  elseif redis.call('GET', KEYS[i]) == ARGV[1] then redis.call('DEL', KEYS[i]) end
end
return 1`;

// KEYS[1] grant set, KEYS[2] Grant record; ARGV[1] grantId, ARGV[2] record key prefix of one model
// ('' = all models). A member is deleted only if it still belongs to this grant (re-upserted records
// may have moved on); members that expired or moved are just dropped from the set.
const REVOKE = `
local removed = 0
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if ARGV[2] == '' or string.sub(member, 1, #ARGV[2]) == ARGV[2] then
    if redis.call('HGET', member, 'grantId') == ARGV[1] then removed = removed + redis.call('DEL', member) end
    redis.call('SREM', KEYS[1], member)
  end
end
if ARGV[2] == '' then removed = removed + redis.call('DEL', KEYS[1], KEYS[2]) end
return removed`;

interface OidcCommands {
  portcullisOidcUpsert(numberOfKeys: number, ...args: string[]): Promise<number>;
  portcullisOidcConsume(key: string, now: string): Promise<[number, string?]>;
  portcullisOidcDestroy(numberOfKeys: number, ...args: string[]): Promise<number>;
  portcullisOidcRevoke(grantKey: string, grantRecordKey: string, grantId: string, modelPrefix: string): Promise<number>;
}

const defined = new WeakSet<Redis>();

/** The scripts, registered once per connection (ioredis sends EVALSHA, falling back to EVAL). */
function commands(redis: Redis): OidcCommands {
  if (!defined.has(redis)) {
    redis.defineCommand('portcullisOidcUpsert', { lua: UPSERT });
    redis.defineCommand('portcullisOidcConsume', { lua: CONSUME, numberOfKeys: 1 });
    redis.defineCommand('portcullisOidcDestroy', { lua: DESTROY });
    redis.defineCommand('portcullisOidcRevoke', { lua: REVOKE, numberOfKeys: 2 });
    defined.add(redis);
  }
  return redis as unknown as OidcCommands;
}

const grantKey = (prefix: string, grantId: string) => `${prefix}grant:${grantId}`;
const nonEmpty = (value: unknown): value is string => typeof value === 'string' && value !== '';

export class RedisAdapter implements Adapter {
  readonly #redis: Redis;
  readonly #model: string;
  readonly #prefix: string;
  readonly #revokeGrant: RevokeGrant;

  constructor(redis: Redis, model: string, options: RedisAdapterOptions) {
    this.#redis = redis;
    this.#model = model;
    this.#prefix = options.prefix;
    this.#revokeGrant = options.revokeGrant;
  }

  get model(): string {
    return this.#model;
  }

  /** The Redis key of a record (exposed for tests and operations tooling). */
  key(id: string): string {
    return `${this.#prefix}${this.#model}:${id}`;
  }

  #indexes(payload: AdapterPayload): { keys: string[]; roles: IndexRole[] } {
    const keys: string[] = [];
    const roles: IndexRole[] = [];
    const add = (key: string, role: IndexRole) => {
      keys.push(key);
      roles.push(role);
    };
    if (nonEmpty(payload.grantId)) add(grantKey(this.#prefix, payload.grantId), 'grant');
    if (nonEmpty(payload.uid)) add(`${this.#prefix}uid:${this.#model}:${payload.uid}`, 'uid');
    if (nonEmpty(payload.userCode)) add(`${this.#prefix}userCode:${this.#model}:${payload.userCode}`, 'userCode');
    return { keys, roles };
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    // A non-positive expiresIn means "already expired": the record is simply not kept.
    const ttl = typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? String(Math.ceil(expiresIn * 1000)) : '';
    // Saved already consumed (truthy, normally epoch seconds): consume() must then lose.
    const consumed = !payload.consumed
      ? ''
      : String(typeof payload.consumed === 'number' ? payload.consumed : Math.floor(Date.now() / 1000));
    const { keys, roles } = this.#indexes(payload);
    await commands(this.#redis).portcullisOidcUpsert(
      1 + keys.length,
      this.key(id),
      ...keys,
      JSON.stringify(payload),
      ttl,
      id,
      consumed,
      nonEmpty(payload.grantId) ? payload.grantId : '',
      ...roles,
    );
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const [raw, consumed] = await this.#redis.hmget(this.key(id), 'payload', 'consumed');
    if (raw == null) return undefined;
    const payload = JSON.parse(raw) as AdapterPayload;
    if (consumed != null) payload.consumed = Number(consumed);
    return payload;
  }

  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    const id = await this.#redis.get(`${this.#prefix}uid:${this.#model}:${uid}`);
    const payload = id == null ? undefined : await this.find(id);
    return payload?.uid === uid ? payload : undefined;
  }

  async findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    const id = await this.#redis.get(`${this.#prefix}userCode:${this.#model}:${userCode}`);
    const payload = id == null ? undefined : await this.find(id);
    return payload?.userCode === userCode ? payload : undefined;
  }

  /** Compare-and-set in one script; a loser means replay, so the whole grant is revoked. */
  async consume(id: string): Promise<void> {
    const now = String(Math.floor(Date.now() / 1000));
    const [outcome, grantId] = await commands(this.#redis).portcullisOidcConsume(this.key(id), now);
    if (outcome === 1) return;
    if (outcome === 0) throw new errors.InvalidGrant('grant source not found');
    if (grantId) await this.#revokeGrant(grantId);
    throw new errors.InvalidGrant('grant source already consumed');
  }

  async destroy(id: string): Promise<void> {
    const raw = await this.#redis.hget(this.key(id), 'payload');
    const { keys, roles } = raw == null ? { keys: [], roles: [] } : this.#indexes(JSON.parse(raw) as AdapterPayload);
    await commands(this.#redis).portcullisOidcDestroy(1 + keys.length, this.key(id), ...keys, id, ...roles);
  }

  /** Removes this model's records of the grant (oidc-provider calls it once per model). */
  async revokeByGrantId(grantId: string): Promise<void> {
    await commands(this.#redis).portcullisOidcRevoke(
      grantKey(this.#prefix, grantId),
      `${this.#prefix}Grant:${grantId}`,
      grantId,
      `${this.#prefix}${this.#model}:`,
    );
  }
}

/** Deletes every Redis record of a grant, whatever its model, and the grant's index. */
export async function revokeRedisGrant(redis: Redis, prefix: string, grantId: string): Promise<number> {
  return commands(redis).portcullisOidcRevoke(grantKey(prefix, grantId), `${prefix}Grant:${grantId}`, grantId, '');
}
