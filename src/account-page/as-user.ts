// The admin area's operations run for the user themselves: ending one of their sessions, revoking an
// application's access, deleting their account are the very operations an administrator runs
// (src/admin/sessions/, src/admin/users/delete-user.ts), with the user as the actor and no admin
// scope at all. Each operation looks the session or grant up among the named user's own only, and
// the user named is always the account of this browser's proven session, never anything the form
// says: another user's id is simply not found. Their events carry this request's facts (address,
// browser, request id), as every other event of the account pages does.
import type { Context } from 'koa';
import type { Config } from '../config.ts';
import type { OperationContext } from '../admin/operation/define.ts';
import type { AuditTrail } from '../security/audit/audit-event.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import type { DerivedKeys } from '../security/derived-keys.ts';
import type { Database } from '../storage/database.ts';

export interface AsUserDeps {
  db: Database;
  keys: DerivedKeys;
  config: Config;
  audit: AuditTrail;
  now: () => Date;
}

/** The context of an operation the user runs on their own account, from this request. */
export function asUser(deps: AsUserDeps, ctx: Context, accountId: string): OperationContext {
  const facts = requestFacts(ctx);
  const trail = deps.audit;
  const audit: AuditTrail = {
    record: (event) => trail.record({ ...facts, ...event }),
    recordDurable: (event) => trail.recordDurable({ ...facts, ...event }),
    recordWithin: (tx, event) => trail.recordWithin(tx, { ...facts, ...event }),
    flush: () => trail.flush(),
    close: () => trail.close(),
  };
  return {
    db: deps.db,
    keys: deps.keys,
    config: deps.config,
    audit,
    actor: { type: 'user', id: accountId },
    // no admin scope: an operation that would need one (an administrator's account) is refused
    scopes: new Set(),
    now: deps.now,
  };
}
