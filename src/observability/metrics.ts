// Prometheus metrics (prom-client) in a registry per server instance: HTTP traffic by route and
// status, tokens issued by grant type, login outcomes, store errors and latency, rate-limit
// refusals, emails sent and failed, and the default process metrics (event-loop lag, memory, CPU). Labels are bounded:
// routes are route names, never raw paths.
import { collectDefaultMetrics, Counter, Histogram, Registry } from 'prom-client';
import type { Middleware } from 'koa';

export interface Metrics {
  readonly registry: Registry;
  tokenIssued: (grantType: string) => void;
  loginAttempt: (outcome: 'success' | 'failure') => void;
  storeOperation: (store: string, seconds: number, failed: boolean) => void;
  /** A store failure observed outside a timed operation (a Redis connection error). */
  storeFailure: (store: string) => void;
  /** A request refused by a rate limit: `ip` (per-address ceiling), `client` (quota) or `form` (login/MFA forms). */
  rateLimited: (limit: 'ip' | 'client' | 'form') => void;
  /** An email handed to the SMTP server (or written to the outbox directory). */
  emailSent: () => void;
  /** An attempt at an email that failed: `retry` (tried again later) or `given_up` (never sent). */
  emailFailed: (outcome: 'retry' | 'given_up') => void;
  /** Counts and times every request; mount first. */
  httpMiddleware: () => Middleware;
}

const KNOWN_GRANT_TYPES = new Set([
  'authorization_code',
  'refresh_token',
  'client_credentials',
  'urn:ietf:params:oauth:grant-type:device_code',
]);

export function createMetrics(): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'portcullis_' });
  const requests = new Counter({
    name: 'portcullis_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'portcullis_http_request_duration_seconds',
    help: 'HTTP request latency by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [registry],
  });
  const tokens = new Counter({
    name: 'portcullis_tokens_issued_total',
    help: 'Successful token endpoint responses by grant type',
    labelNames: ['grant_type'],
    registers: [registry],
  });
  const logins = new Counter({
    name: 'portcullis_logins_total',
    help: 'Password login attempts by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const storeLatency = new Histogram({
    name: 'portcullis_store_operation_duration_seconds',
    help: 'Latency of database operations',
    labelNames: ['store'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.5, 1],
    registers: [registry],
  });
  const storeErrors = new Counter({
    name: 'portcullis_store_errors_total',
    help: 'Failed store operations',
    labelNames: ['store'],
    registers: [registry],
  });
  const rateLimited = new Counter({
    name: 'portcullis_rate_limited_total',
    help: 'Requests refused by a rate limit, by limit',
    labelNames: ['limit'],
    registers: [registry],
  });

  const emailsSent = new Counter({
    name: 'portcullis_emails_sent_total',
    help: 'Emails handed to the SMTP server (or written to the outbox directory)',
    registers: [registry],
  });
  const emailsFailed = new Counter({
    name: 'portcullis_emails_failed_total',
    help: 'Failed email attempts, by outcome: retry (tried again later) or given_up (never sent)',
    labelNames: ['outcome'],
    registers: [registry],
  });

  // Children made once per label values: prom-client otherwise sorts and hashes the label object on
  // every call, on every request. The label values are bounded (see above), and so are these maps.
  const httpChild = childrenBy((method: string, route: string, status: string) => ({
    count: requests.labels(method, route, status),
    time: duration.labels(method, route, status),
  }));
  const tokenChild = childrenBy((grantType: string) => tokens.labels(grantType));
  const storeChild = childrenBy((store: string) => ({ latency: storeLatency.labels(store), errors: storeErrors.labels(store) }));

  return {
    registry,
    tokenIssued: (grantType) => tokenChild(KNOWN_GRANT_TYPES.has(grantType) ? grantType : 'other').inc(),
    loginAttempt: (outcome) => logins.inc({ outcome }),
    storeOperation(store, seconds, failed) {
      const child = storeChild(store);
      child.latency.observe(seconds);
      if (failed) child.errors.inc();
    },
    storeFailure: (store) => storeChild(store).errors.inc(),
    rateLimited: (limit) => rateLimited.inc({ limit }),
    emailSent: () => emailsSent.inc(),
    emailFailed: (outcome) => emailsFailed.inc({ outcome }),
    httpMiddleware: () => async (ctx, next) => {
      const started = performance.now();
      try {
        await next();
      } finally {
        const oidcRoute = (ctx as { oidc?: { route?: string } }).oidc?.route;
        const matched = (ctx as { _matchedRoute?: unknown })._matchedRoute;
        const route = oidcRoute ?? (typeof matched === 'string' ? matched : 'unmatched');
        const child = httpChild(ctx.method, route, String(ctx.status));
        child.count.inc();
        child.time.observe((performance.now() - started) / 1000);
      }
    },
  };
}

/** `make(...values)`, made once per distinct values and remembered. */
function childrenBy<Values extends string[], Child>(make: (...values: Values) => Child): (...values: Values) => Child {
  const made = new Map<string, Child>();
  return (...values) => {
    const key = values.join('\u0000');
    let child = made.get(key);
    if (!child) made.set(key, (child = make(...values)));
    return child;
  };
}
