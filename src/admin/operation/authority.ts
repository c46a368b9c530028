// Nobody grants what they do not hold. An admin token carries some of the admin scopes; a change
// that would hand a scope to someone (a client's permissions on the admin API, an administrator's
// role), or take over whoever already holds it (the secret, keys or settings of an admin client,
// the password or second factors of an administrator), is refused unless the caller holds every
// admin scope involved. Otherwise admin:write alone would register a client with admin:users and
// ask /token for it. The CLI is the operator on the server's own machine (root of trust: it reaches
// the database, or the owner-only control socket, directly) and holds every scope.
import { AppError } from '../../http/app-error.ts';
import { ADMIN_AUDIENCE, ADMIN_SCOPES, type AdminScope } from './admin-scopes.ts';

/** Every admin scope: what the operator at the CLI holds, and what an administrator can obtain. */
export const EVERY_ADMIN_SCOPE: ReadonlySet<AdminScope> = new Set(Object.values(ADMIN_SCOPES));

/** The admin scopes among a client's permissions (resource -> scopes). */
export const adminScopesOf = (resources: Readonly<Record<string, readonly string[]>>): string[] => [...(resources[ADMIN_AUDIENCE] ?? [])];

/** Whether the caller holds every scope in `scopes`. */
export const holdsAll = (held: ReadonlySet<string>, scopes: Iterable<string>): boolean => [...scopes].every((scope) => held.has(scope));

/** Refuses (403 insufficient_scope) unless the caller holds every scope in `scopes`; `action` says what was refused. */
export function assertHolds(held: ReadonlySet<string>, scopes: Iterable<string>, action: string): void {
  const missing = [...new Set(scopes)].filter((scope) => !held.has(scope));
  if (missing.length === 0) return;
  throw new AppError(
    'insufficient_scope',
    `${action} needs the admin scope(s) ${missing.join(' ')}, which the caller does not hold: nobody grants what they do not hold`,
    403,
  );
}

/**
 * An administrator can obtain every admin scope (by signing in through a client allowed them), so
 * making someone an administrator, or taking over an administrator's account (its password, second
 * factors, email, or the account itself), needs every admin scope.
 */
export function assertMayManageAccount(held: ReadonlySet<string>, account: { isAdmin: boolean }, action: string): void {
  if (account.isAdmin) assertHolds(held, EVERY_ADMIN_SCOPE, `${action} of an administrator`);
}
