// When a store is down, oidc-provider endpoints answer 503 `temporarily_unavailable` (a redirect
// with that error at the authorization endpoint, RFC 6749 §4.1.2.1) instead of a 500: the request
// fails closed, fast, and the client knows to retry.
import { errors } from 'oidc-provider';
import { isStoreUnavailable } from '../storage/store-errors.ts';

export class StoreUnavailableError extends errors.CustomOIDCProviderError {
  constructor(cause: unknown) {
    super('temporarily_unavailable', 'a data store is unavailable, retry shortly', { cause });
    Object.assign(this, { status: 503, statusCode: 503 });
  }
}

/** Runs store work, turning an outage into StoreUnavailableError; other errors pass unchanged. */
export async function guardStore<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    throw isStoreUnavailable(error) ? new StoreUnavailableError(error) : error;
  }
}
