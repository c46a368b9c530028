// Per-client quotas on the endpoints where clients authenticate (token, introspection, revocation,
// PAR, device authorization, registration): RATE_LIMIT_CLIENT_PER_MINUTE, or the client's own
// `rate_limit_per_minute`.
//
// A request is only *counted* once oidc-provider has authenticated its client, so nobody can spend
// a client's quota without its credentials (a flood of wrong secrets naming a victim client costs
// the victim nothing; the per-address ceiling meets that flood). Before the provider runs, the
// client the request claims (Basic header, or the form body, peeked) is only *checked*: a client
// whose quota is used up is refused there, without its request being processed.
//
// The check asks this process's memory, not Redis: every count answers how much is left, and a
// process that saw a quota run out remembers it until the window ends. Token requests thus pay one
// store round trip for their quota instead of two; the price is that another process may let one
// more request of that client through before its own count tells it the quota is gone.
import type { Context, Middleware } from 'koa';
import type { StoredClient } from '../../storage/clients.ts';
import { requestLogger } from '../../observability/request-context.ts';
import { claimedClientId } from './claimed-client.ts';
import { addressKey } from './client-address.ts';
import type { Endpoints } from './endpoints.ts';
import type { ReportExceeded } from './exceeded-report.ts';
import type { CreateLimiter } from './limiter-factory.ts';
import { addRateLimitHeaders } from './rate-limit-headers.ts';
import { refuse } from './refusal.ts';
import { WINDOW_SECONDS, type BudgetState } from './spend.ts';
import { createBatchedBudgets, type BatchedBudgets } from './batched-budgets.ts';
import { SpentBudgets } from './spent-budgets.ts';

export interface ClientQuotaDeps {
  defaultPerMinute: number;
  createLimiter: CreateLimiter;
  findClient: (clientId: string) => Promise<StoredClient | undefined>;
  report: ReportExceeded;
  endpoints: Endpoints;
}

interface Quota {
  clientId: string;
  perMinute: number;
  key: string;
  budgets: BatchedBudgets;
}

/**
 * The client oidc-provider authenticated, if any. The provider sets `ctx.oidc.client` when it has
 * looked the client up, *before* checking its credentials, so a request naming a client with a wrong
 * secret has one too; it ends in `invalid_client` (401, or 400 for an expired secret). A 5xx may have
 * cut the check short. Attestation-based client authentication is not enabled, so a request with
 * OAuth-Client-Attestation headers never authenticates (some are refused with a 400 after the lookup).
 */
export function authenticatedClientId(ctx: Context): string | undefined {
  const clientId = (ctx as { oidc?: { client?: { clientId?: string } } }).oidc?.client?.clientId;
  if (!clientId) return undefined;
  if (ctx.status === 401 || ctx.status >= 500) return undefined;
  if ((ctx.body as { error?: unknown } | null | undefined)?.error === 'invalid_client') return undefined;
  if (ctx.get('OAuth-Client-Attestation') || ctx.get('OAuth-Client-Attestation-PoP')) return undefined;
  return clientId;
}

export function clientQuota(deps: ClientQuotaDeps): Middleware {
  // A limiter's points are fixed: one per distinct quota. They share their counters (same key
  // names), so a client whose quota changes keeps what it spent in the current window.
  const budgetsByQuota = new Map<number, BatchedBudgets>();
  const exhausted = new SpentBudgets();
  const budgetsFor = (perMinute: number) => {
    let budgets = budgetsByQuota.get(perMinute);
    if (!budgets) {
      const limiter = deps.createLimiter({ name: 'client', points: perMinute, durationSeconds: WINDOW_SECONDS });
      budgetsByQuota.set(perMinute, (budgets = createBatchedBudgets(limiter, perMinute, WINDOW_SECONDS)));
    }
    return budgets;
  };

  async function quotaOf(ctx: Context, clientId: string): Promise<Quota | undefined> {
    const client = await deps.findClient(clientId);
    if (!client) return undefined;
    const perMinute = client.rateLimitPerMinute ?? deps.defaultPerMinute;
    // A public client has no credentials: whoever names it is it (typically one app run by many
    // users). One shared quota would let any one of them, or anybody, use it up for all; it is
    // counted per address instead.
    const key = client.metadata.token_endpoint_auth_method === 'none' ? `${clientId} ${addressKey(ctx.ip)}` : clientId;
    return { clientId, perMinute, key, budgets: budgetsFor(perMinute) };
  }

  const stateOf = (quota: Quota, budget: BudgetState) => ({
    policy: 'client',
    limit: quota.perMinute,
    windowSeconds: WINDOW_SECONDS,
    remaining: budget.remaining,
    resetSeconds: budget.resetSeconds,
  });

  return async (ctx, next) => {
    if (!deps.endpoints.clientQuota(ctx.method, ctx.path)) {
      await next();
      return;
    }

    const claimed = await claimedClientId(ctx);
    const checked = claimed === undefined ? undefined : await quotaOf(ctx, claimed);
    const waitSeconds = checked ? exhausted.secondsLeft(checked.key) : 0;
    if (checked && waitSeconds > 0) {
      const budget: BudgetState = { allowed: false, consumed: checked.perMinute, remaining: 0, resetSeconds: waitSeconds };
      await deps.report(ctx, {
        limit: 'client',
        key: checked.key,
        max: checked.perMinute,
        windowSeconds: WINDOW_SECONDS,
        retryAfterSeconds: budget.resetSeconds,
        clientId: checked.clientId,
      });
      refuse(ctx, stateOf(checked, budget), (wait) => `This client has used up its request quota. Try again in ${wait}.`, deps.endpoints);
      return;
    }

    await next();

    const clientId = authenticatedClientId(ctx);
    if (!clientId) return;
    // The provider has answered: nothing here may replace its answer (a token may have been issued).
    // A store fault only costs this request's count, and is logged.
    try {
      const quota = clientId === checked?.clientId ? checked : await quotaOf(ctx, clientId);
      if (!quota) return;
      // over the quota here only when concurrent requests passed the check together; the next is refused
      const budget = await quota.budgets.spend(quota.key);
      exhausted.note(quota.key, budget);
      addRateLimitHeaders(ctx, stateOf(quota, budget));
    } catch (error) {
      requestLogger(ctx)?.warn({ err: error, clientId }, 'a client request could not be counted against its quota');
    }
  };
}
