// What the account page loads and checks before any handler runs, as router middleware
// (security-routes.ts), so no handler loads it by hand and none can forget to:
// - this browser's account session and its account: none when absent or expired, when the account
//   is gone or disabled, or when a reset (new password, sign-out-everywhere, factors removed) moved
//   its credential epoch since;
// - where a route needs one, the stage the session must be at (half-way through the
//   re-authentication, or proven): any other browser is refused as the route says (a redirect) and
//   the handler never runs.
// Handlers read what was loaded through the typed accessors below; one called where its middleware
// did not run is a programming error, and fails the request rather than proceed unguarded.
import type { Context, Middleware, Next } from 'koa';
import { stillProven } from '../accounts/credential-epoch.ts';
import { findAccountById, type Account } from '../storage/accounts.ts';
import type { Database } from '../storage/database.ts';
import { describeFactors } from '../storage/mfa.ts';
import { provedAFactor, type AccountSession, type AccountSessions } from './account-session.ts';

/** A browser's account session and the account it is for. */
export interface Signed {
  session: AccountSession;
  account: Account;
}

const SESSION = Symbol('account session');
const ADMITTED = Symbol('account session admitted');

interface GuardState {
  [SESSION]?: Signed | null;
  [ADMITTED]?: Signed;
}
const stateOf = (ctx: Context) => ctx.state as GuardState;

/**
 * This browser's session and its account, before the handler. The password alone was the whole
 * proof while the account had no factor; if it has one now (another tab, or someone else who knows
 * the password), the session is only half-way: that factor is asked for first.
 */
export function loadAccountSession(deps: { db: Database; accountSessions: AccountSessions }): Middleware {
  const sessions = deps.accountSessions;
  async function signed(ctx: Context): Promise<Signed | undefined> {
    const session = sessions.read(ctx);
    const account = session && (await findAccountById(deps.db, session.accountId));
    if (!session || !stillProven(session.epoch, account)) {
      if (session) sessions.clear(ctx); // an expired one has already expired in the browser too
      return undefined;
    }
    if (session.stage === 'proven' && !provedAFactor(session)) {
      const factors = await describeFactors(deps.db, account.id);
      if (factors.totp || factors.passkeys > 0) return { session: { ...session, stage: 'password' }, account };
    }
    return { session, account };
  }
  return async (ctx: Context, next: Next) => {
    stateOf(ctx)[SESSION] = (await signed(ctx)) ?? null;
    await next();
  };
}

/** Routes for a session at `stage` only; any other browser is refused by `refuse` (a redirect). */
export function requireAccountStage(stage: AccountSession['stage'], refuse: (ctx: Context) => void): Middleware {
  return (ctx: Context, next: Next) => {
    const current = accountSessionOf(ctx);
    if (current?.session.stage !== stage) {
      refuse(ctx);
      return;
    }
    stateOf(ctx)[ADMITTED] = current;
    return next();
  };
}

/** This browser's session, or none (loadAccountSession). */
export function accountSessionOf(ctx: Context): Signed | undefined {
  const loaded = stateOf(ctx)[SESSION];
  if (loaded === undefined) throw new Error(`the account session read by a route its middleware does not load (${ctx.method} ${ctx.path})`);
  return loaded ?? undefined;
}

/** The session of a route that requires `stage` (requireAccountStage). */
export function accountSessionAt(ctx: Context, stage: AccountSession['stage']): Signed {
  const admitted = stateOf(ctx)[ADMITTED];
  if (admitted?.session.stage !== stage)
    throw new Error(`a ${stage} account session read by a route its middleware does not guard (${ctx.method} ${ctx.path})`);
  return admitted;
}
