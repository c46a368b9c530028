// Every rate limit of the HTTP surface, as one middleware to mount right after the error handler:
// the per-address ceiling (or, for a form submission, the stricter form limit), then the per-client
// quotas.
import compose from 'koa-compose';
import type { Middleware } from 'koa';
import type { RateLimitSettings } from '../../config.ts';
import type { StoredClient } from '../../storage/clients.ts';
import type { AuditTrail } from '../audit/audit-event.ts';
import { addressCeiling, formSubmissionLimit } from './address-limits.ts';
import { clientQuota } from './client-quota.ts';
import { createExceededReporter, type LimitName } from './exceeded-report.ts';
import type { CreateLimiter } from './limiter-factory.ts';
import { classifyEndpoints } from './endpoints.ts';
import type { MatchProviderRoute } from '../../http/provider-routes.ts';

export interface RateLimitDeps {
  settings: RateLimitSettings;
  createLimiter: CreateLimiter;
  findClient: (clientId: string) => Promise<StoredClient | undefined>;
  audit: AuditTrail;
  /** Counts a refused request (the metrics). */
  onRefused: (limit: LimitName) => void;
  /** Which provider endpoint a path reaches (matched the way the provider's router matches). */
  routeOf: MatchProviderRoute;
}

export function rateLimits(deps: RateLimitDeps): Middleware {
  const { settings, createLimiter } = deps;
  const report = createExceededReporter({ createLimiter, audit: deps.audit, onRefused: deps.onRefused });
  const endpoints = classifyEndpoints(deps.routeOf);
  return compose([
    addressCeiling({ perMinute: settings.ipPerMinute, formPerMinute: settings.formPerMinute, createLimiter, report, endpoints }),
    formSubmissionLimit({ perMinute: settings.formPerMinute, createLimiter, report, endpoints }),
    clientQuota({ defaultPerMinute: settings.clientPerMinute, createLimiter, findClient: deps.findClient, report, endpoints }),
  ]) as Middleware;
}
