// Records a token request has already read, handed to the lookup that would read them again.
//
// At the token endpoint oidc-provider reads a grant source (refresh token, code), then its Grant,
// then its account, each with a lookup of its own: three round trips in sequence. The SQL adapter
// reads the Grant and the account in the same statement as the record before them
// (storage/oidc-models.ts) and keeps them here, on the request's own context: nothing is shared
// between requests, so nothing can go stale across them or across processes. Each kept record is
// taken once: a second lookup in the same request reads the store again.
//
// The request is oidc-provider's (it runs its middleware inside an AsyncLocalStorage, Provider.ctx);
// outside a token request nothing is kept and every lookup reads the store.
import Provider from 'oidc-provider';
import type { AdapterPayload } from 'oidc-provider';
import type { AccountWithCredentials } from '../../storage/accounts.ts';

interface Kept {
  grants: Map<string, AdapterPayload | undefined>;
  accounts: Map<string, AccountWithCredentials | undefined>;
}

/** What a lookup finds here: `hit` false means "not read yet, ask the store". */
export type Taken<T> = { hit: true; value: T | undefined } | { hit: false };

const kept = new WeakMap<object, Kept>();
const MISS = { hit: false } as const;

/** The token request being served, if this runs inside one. */
export function tokenRequest(): object | undefined {
  const ctx = (Provider as unknown as { ctx?: { oidc?: { route?: string } } }).ctx;
  return ctx?.oidc?.route === 'token' ? ctx : undefined;
}

function keptFor(request: object): Kept {
  let entry = kept.get(request);
  if (!entry) kept.set(request, (entry = { grants: new Map(), accounts: new Map() }));
  return entry;
}

/** Keeps the Grant (undefined: there is none, or it expired) read for `grantId`. */
export function keepGrant(request: object, grantId: string, grant: AdapterPayload | undefined): void {
  keptFor(request).grants.set(grantId, grant);
}

/** Keeps the account (undefined: there is none) read for `accountId`. */
export function keepAccount(request: object, accountId: string, account: AccountWithCredentials | undefined): void {
  keptFor(request).accounts.set(accountId, account);
}

function take<T>(map: Map<string, T | undefined> | undefined, id: string): Taken<T> {
  if (!map?.has(id)) return MISS;
  const value = map.get(id);
  map.delete(id);
  return { hit: true, value };
}

export function takeGrant(request: object | undefined, grantId: string): Taken<AdapterPayload> {
  return request ? take(kept.get(request)?.grants, grantId) : MISS;
}

export function takeAccount(request: object | undefined, accountId: string): Taken<AccountWithCredentials> {
  return request ? take(kept.get(request)?.accounts, accountId) : MISS;
}
