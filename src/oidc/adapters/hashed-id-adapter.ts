// Bearer credentials (opaque access and refresh tokens, authorization codes…) are stored under the
// SHA-256 of their value, and without the value in the payload: a copy of the database or of Redis
// holds no usable token. Token values are ≥ 256-bit random strings, so an unkeyed hash suffices.
// Sessions and interactions keep their ids: their cookies are signed, an id alone opens nothing.
import { createHash } from 'node:crypto';
import type { Adapter, AdapterPayload } from 'oidc-provider';

/** Models whose id is the credential itself. */
export const BEARER_MODELS: ReadonlySet<string> = new Set([
  'AccessToken',
  'RefreshToken',
  'AuthorizationCode',
  'ClientCredentials',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
  'RegistrationAccessToken',
  'InitialAccessToken',
]);

export const storageId = (id: string) => `sha256:${createHash('sha256').update(id, 'utf8').digest('base64url')}`;

export class HashedIdAdapter implements Adapter {
  readonly #inner: Adapter;

  constructor(inner: Adapter) {
    this.#inner = inner;
  }

  upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    const { jti: _value, ...rest } = payload;
    return this.#inner.upsert(storageId(id), rest, expiresIn);
  }

  async find(id: string): Promise<AdapterPayload | undefined> {
    const payload = (await this.#inner.find(storageId(id))) as AdapterPayload | undefined;
    return payload && { ...payload, jti: id };
  }

  findByUid(uid: string) {
    return this.#inner.findByUid(uid);
  }

  findByUserCode(userCode: string) {
    return this.#inner.findByUserCode(userCode);
  }

  consume(id: string) {
    return this.#inner.consume(storageId(id));
  }

  destroy(id: string) {
    return this.#inner.destroy(storageId(id));
  }

  revokeByGrantId(grantId: string) {
    return this.#inner.revokeByGrantId(grantId);
  }
}
