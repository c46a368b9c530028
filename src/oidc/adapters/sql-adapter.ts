// oidc-provider storage adapter over the `oidc_models` table (PostgreSQL or PGlite), one instance
// per model name (the `kind` column). The table and its statements are the store's
// (storage/oidc-models.ts); here, what oidc-provider expects of an adapter: the columns taken from
// the payload, and a replayed grant source revoking its whole grant.
import { errors } from 'oidc-provider';
import type { Adapter, AdapterPayload } from 'oidc-provider';
import type { Queryable } from '../../storage/database.ts';
import {
  consumeAndUpsertOidcModel,
  consumeOidcModel,
  deleteOidcModel,
  deleteOidcModelsOfGrant,
  findOidcModel,
  findOidcModelGrant,
  findOidcModelWithRelated,
  upsertOidcModel,
} from '../../storage/oidc-models.ts';
import { keepAccount, keepGrant, takeGrant, tokenRequest } from './request-prefetch.ts';
import { deferConsume, refreshRequest, takeDeferredConsume } from './rotation.ts';

export type RevokeGrant = (grantId: string) => Promise<void>;

export interface SqlAdapterOptions {
  /** Revokes a whole grant in every store; called when a consume loses the race (replay). */
  revokeGrant: RevokeGrant;
}

/**
 * Grant sources and the Grant: at the token endpoint each is followed by the lookups of its Grant
 * and its account, which are read in the same statement (request-prefetch.ts).
 */
const READ_WITH_RELATED: ReadonlySet<string> = new Set([
  'Grant',
  'RefreshToken',
  'AuthorizationCode',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

const text = (value: unknown): string | null => (typeof value === 'string' && value !== '' ? value : null);

export class SqlAdapter implements Adapter {
  readonly #db: Queryable;
  readonly #kind: string;
  readonly #revokeGrant: RevokeGrant;

  constructor(db: Queryable, kind: string, options: SqlAdapterOptions) {
    this.#db = db;
    this.#kind = kind;
    this.#revokeGrant = options.revokeGrant;
  }

  get kind(): string {
    return this.#kind;
  }

  async upsert(id: string, payload: AdapterPayload, expiresIn?: number): Promise<void> {
    const record = {
      payload,
      grantId: text(payload.grantId),
      userCode: text(payload.userCode),
      uid: text(payload.uid),
      // A non-positive expiresIn stores an already expired record (find* will not return it).
      expiresIn: typeof expiresIn === 'number' && Number.isFinite(expiresIn) ? expiresIn : null,
      // Saved already consumed (truthy, normally epoch seconds): consume() must then lose.
      consumedAt: !payload.consumed ? null : typeof payload.consumed === 'number' ? payload.consumed : Date.now() / 1000,
    };
    const rotated = this.#kind === 'RefreshToken' ? takeDeferredConsume(refreshRequest()) : undefined;
    if (rotated === undefined) return upsertOidcModel(this.#db, this.#kind, id, record);
    if (!(await consumeAndUpsertOidcModel(this.#db, this.#kind, rotated, id, record))) await this.#replayed(rotated);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const request = READ_WITH_RELATED.has(this.#kind) ? tokenRequest() : undefined;
    if (!request) return findOidcModel<AdapterPayload>(this.#db, this.#kind, 'id', id);
    if (this.#kind === 'Grant') {
      const kept = takeGrant(request, id);
      if (kept.hit) return kept.value;
    }
    const found = await findOidcModelWithRelated<AdapterPayload>(this.#db, this.#kind, id);
    if (!found) return undefined;
    const grantId = text(found.payload.grantId);
    if (grantId && this.#kind !== 'Grant') keepGrant(request, grantId, found.grant);
    const accountId = text(found.payload.accountId);
    if (accountId) keepAccount(request, accountId, found.account);
    return found.payload;
  }

  findByUid(uid: string): Promise<AdapterPayload | undefined> {
    return findOidcModel<AdapterPayload>(this.#db, this.#kind, 'uid', uid);
  }

  findByUserCode(userCode: string): Promise<AdapterPayload | undefined> {
    return findOidcModel<AdapterPayload>(this.#db, this.#kind, 'userCode', userCode);
  }

  /**
   * Only the first caller consumes (the store's compare-and-set, even across processes). A loser
   * means the grant source was replayed: the whole grant is revoked. A refresh token rotated at the
   * token endpoint is consumed by the write of its successor, in the same statement (rotation.ts).
   */
  async consume(id: string): Promise<void> {
    const rotation = this.#kind === 'RefreshToken' ? refreshRequest() : undefined;
    if (rotation) {
      deferConsume(rotation, id);
      return;
    }
    if (await consumeOidcModel(this.#db, this.#kind, id)) return;
    await this.#replayed(id);
  }

  /** A consume lost: the record was used already (its grant is revoked) or is gone. */
  async #replayed(id: string): Promise<never> {
    const record = await findOidcModelGrant(this.#db, this.#kind, id);
    if (!record) throw new errors.InvalidGrant('grant source not found');
    if (record.grantId) await this.#revokeGrant(record.grantId);
    throw new errors.InvalidGrant('grant source already consumed');
  }

  async destroy(id: string): Promise<void> {
    await deleteOidcModel(this.#db, this.#kind, id);
  }

  /** Removes this model's records of the grant (oidc-provider calls it once per model). */
  async revokeByGrantId(grantId: string): Promise<void> {
    await deleteOidcModelsOfGrant(this.#db, this.#kind, grantId);
  }
}
