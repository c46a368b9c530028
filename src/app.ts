// The Koa application: global middleware, our own routes, then oidc-provider mounted last.
import Koa from 'koa';
import compose from 'koa-compose';
import type Provider from 'oidc-provider';
import type { Config } from './config.ts';
import type { Database } from './storage/database.ts';
import type { RegistryCache } from './oidc/registry-cache.ts';
import type { ProviderHost } from './oidc/provider-host.ts';
import { errorHandler } from './http/error-handler.ts';
import type { CookieSigner } from './http/cookie-signer.ts';
import { isAccountPath, isOwnPagePath, isSignInPath } from './http/page-paths.ts';
import { securityHeaders } from './http/security-headers.ts';
import { pinPublicOrigin } from './http/public-origin.ts';
import { inputGuard } from './http/input-guard.ts';
import { refuseCrossSite } from './http/same-origin-guard.ts';
import { isPageRoute, PROVIDER_BODY_LIMIT_BYTES, providerRouteMatcher } from './http/provider-routes.ts';
import { interactionRoutes } from './interactions/routes.ts';
import type { InteractionDeps } from './interactions/interaction-deps.ts';
import { createInteractionKit } from './interactions/interaction-kit.ts';
import { accountSecurityRoutes, type AccountSecurityDeps } from './account-page/security-routes.ts';
import { accountRoutes } from './account-page/account-routes.ts';
import { isPasswordResetPath } from './account-page/password-reset/reset-routes.ts';
import { passwordResetPages } from './account-page/password-reset/password-reset-pages.ts';
import { isStaticPath, staticFiles } from './http/static-files.ts';
import { isRegistrationPath, registrationRoutes } from './registration/registration-routes.ts';
import { VIEWS_DIR, type RenderView } from './http/views.ts';
import { healthRoutes, type ReadinessCheck } from './observability/health.ts';
import type { Logger } from './observability/logger.ts';
import type { Metrics } from './observability/metrics.ts';
import type { AuditTrail } from './security/audit/audit-event.ts';
import { metricsRoute } from './observability/metrics-endpoint.ts';
import { constantTimeEqual } from './security/constant-time.ts';
import { requestContext } from './observability/request-context.ts';
import type { CreateLimiter } from './security/rate-limit/limiter-factory.ts';
import { rateLimits } from './security/rate-limit/rate-limits.ts';
import type { DerivedKeys } from './security/derived-keys.ts';
import type { EmailQueue } from './email/email-queue.ts';
import { adminApi, isAdminApiPath, MAX_BODY_BYTES as ADMIN_BODY_LIMIT_BYTES } from './admin/api/router.ts';

export interface AppDeps {
  config: Config;
  logger: Logger;
  db: Database;
  cache: RegistryCache;
  host: ProviderHost;
  render: RenderView;
  cookieSigner: CookieSigner;
  readiness: ReadinessCheck[];
  metrics: Metrics;
  audit: AuditTrail;
  /** The admin API's operations need them (client-secret hashes, the audit key, ...). */
  keys: DerivedKeys;
  /** Builds the rate limiters (shared through Redis when there is one). */
  createLimiter: CreateLimiter;
  /** What the sign-in pages (and the account's security page) need besides the app's own dependencies. */
  signIn: Pick<InteractionDeps, 'authenticator' | 'guard' | 'mfa' | 'signInStates' | 'deviceCookies' | 'keys' | 'onceOnly'> &
    Pick<AccountSecurityDeps, 'accountSessions'>;
  /** The server's clock, for the admin API's operations (tests move it). */
  now?: () => Date;
  /** Outgoing email (self-service links and notices), queued in the change's transaction. */
  emails: EmailQueue;
}

/** Runs `middleware` only for requests whose path matches; everything else passes straight on. */
const onlyFor =
  (matches: (path: string) => boolean, middleware: Koa.Middleware): Koa.Middleware =>
  // not async: passing the promise on adds no frame of its own to every request that is not for it
  (ctx, next) =>
    matches(ctx.path) ? (middleware(ctx, next) as Promise<unknown>) : next();

export function createApp(deps: AppDeps): Koa {
  // Behind N trusted proxies the client address is the N-th X-Forwarded-For entry from the right (the
  // one the outermost trusted proxy added); entries left of it were written by the client itself.
  // ctx.ip is that address for every reader: rate limits, lockout, audit, oidc-provider.
  const hops = deps.config.trustProxyHops;
  const app = new Koa({ proxy: hops > 0, maxIpsCount: hops });
  // signed cookies, ours and oidc-provider's (it runs on this app's context): Keygrip's format
  app.keys = deps.cookieSigner;
  app.silent = true; // errors are logged by our own middleware, with the request id

  // whatever runs builds its URLs from ISSUER, never from the request's Host
  pinPublicOrigin(app, deps.config.issuer);
  app.use(deps.metrics.httpMiddleware());
  app.use(requestContext(deps.logger));
  app.use(securityHeaders({ https: deps.config.issuer.startsWith('https:') }));
  // Which provider endpoint a path reaches, as its router decides (the routes are the same in every
  // provider instance a key rotation builds: one configuration).
  const routeOf = providerRouteMatcher(deps.host.current());
  // Errors are the error page (to a browser) only where a page lives: our sign-in and account pages
  // and the provider's; everywhere else (the admin API, the provider's JSON endpoints, any path no
  // route answers) they are JSON whatever Accept says.
  const isPage = (path: string) => isOwnPagePath(path) || isPageRoute(routeOf(path));
  app.use(errorHandler(deps.render, isPage));
  // Input no store can hold (NUL, lone surrogates, non-UTF-8, other charsets) or no endpoint takes
  // (a body past its reader's limit) is refused here, before the rate limits read a body and before
  // anything reaches a store. A urlencoded form outside the admin API is read by the provider (our
  // own forms have a smaller limit of their own, form-body.ts); JSON is read by the admin API (the
  // provider reads JSON only for dynamic registration, which is off).
  app.use(inputGuard({ bodyLimit: (path, form) => (form && !isAdminApiPath(path) ? PROVIDER_BODY_LIMIT_BYTES : ADMIN_BODY_LIMIT_BYTES) }));
  // Rate limits before any route: a refused request costs one counter update, nothing else.
  app.use(
    rateLimits({
      settings: deps.config.rateLimits,
      createLimiter: deps.createLimiter,
      findClient: deps.cache.client,
      audit: deps.audit,
      onRefused: deps.metrics.rateLimited,
      routeOf,
    }),
  );

  // Our own routes. Each router is entered only for its paths, so the token endpoint and the other
  // provider routes do not pay for route matching they can never win.
  const interactions = interactionRoutes({
    ...deps.signIn,
    provider: deps.host.current,
    db: deps.db,
    cache: deps.cache,
    render: deps.render,
    issuer: deps.config.issuer,
    onLoginAttempt: deps.metrics.loginAttempt,
    audit: deps.audit,
    passwords: deps.config.passwords,
    registration: deps.config.registration,
    now: deps.now,
  });
  // the user's own security page: its own re-authentication, with the interaction pages' rendering
  // (the kit's provider and cache are never used by it)
  const accountSecurity = accountSecurityRoutes({
    ...deps.signIn,
    db: deps.db,
    audit: deps.audit,
    issuer: deps.config.issuer,
    mfaPolicy: deps.config.mfaPolicy,
    kit: createInteractionKit({ provider: deps.host.current, render: deps.render, issuer: deps.config.issuer, cache: deps.cache }),
  });
  // the user's account page, on the same re-authentication (and rendering) as the security page
  const account = accountRoutes({
    ...deps.signIn,
    db: deps.db,
    audit: deps.audit,
    emails: deps.emails,
    keys: deps.keys,
    config: deps.config,
    issuer: deps.config.issuer,
    now: deps.now ?? (() => new Date()),
    createLimiter: deps.createLimiter,
    kit: createInteractionKit({ provider: deps.host.current, render: deps.render, issuer: deps.config.issuer, cache: deps.cache }),
  });
  // "Forgot your password?" and the reset link (src/account-page/password-reset/)
  const passwordReset = passwordResetPages({ ...deps, guard: deps.signIn.guard, provider: deps.host.current });
  app.use(onlyFor(isStaticPath, staticFiles(VIEWS_DIR)));
  app.use(metricsRoute(deps.metrics.registry, deps.config.metricsToken, constantTimeEqual));
  app.use(onlyFor((path) => path === '/healthz' || path === '/readyz', healthRoutes(deps.readiness).routes() as Koa.Middleware));
  // The page routers carry the cross-site guard themselves, as their first middleware (page-router.ts).
  app.use(onlyFor(isSignInPath, compose([interactions.routes(), interactions.allowedMethods()]) as Koa.Middleware));
  app.use(onlyFor(isAccountPath, compose([accountSecurity.routes(), accountSecurity.allowedMethods()]) as Koa.Middleware));
  app.use(onlyFor(isAccountPath, compose([account.routes(), account.allowedMethods()]) as Koa.Middleware));
  app.use(onlyFor(isPasswordResetPath, compose([passwordReset.routes(), passwordReset.allowedMethods()]) as Koa.Middleware));
  // sign-up, email verification and invitations (issue 15): under /account/, each page per REGISTRATION
  const registration = registrationRoutes({
    db: deps.db,
    render: deps.render,
    issuer: deps.config.issuer,
    registration: deps.config.registration,
    passwords: deps.config.passwords,
    emails: deps.emails,
    audit: deps.audit,
    createLimiter: deps.createLimiter,
    signUpPerHour: deps.config.rateLimits.signUpPerHour,
    subjectKey: deps.keys.loginSubjectKey,
    encryptionKey: deps.keys.encryptionKey,
    cache: deps.cache,
    now: deps.now ?? (() => new Date()),
  });
  app.use(onlyFor(isRegistrationPath, registration.routes() as Koa.Middleware));
  app.use(
    onlyFor(
      isAdminApiPath,
      adminApi({
        db: deps.db,
        keys: deps.keys,
        config: deps.config,
        audit: deps.audit,
        accessTokens: deps.host.accessTokens,
        now: deps.now,
      }),
    ),
  );

  // oidc-provider's own state-changing form: the logout confirmation (any spelling its router answers)
  app.use(onlyFor((path) => routeOf(path) === 'end_session_confirm', refuseCrossSite(deps.config.issuer)));

  // oidc-provider last. Its middleware runs on our context (same cookies keys, same proxy setting).
  const composed = new WeakMap<Provider, Koa.Middleware>();
  app.use((ctx, next) => {
    const provider = deps.host.current();
    let middleware = composed.get(provider);
    if (!middleware) composed.set(provider, (middleware = compose(provider.middleware) as Koa.Middleware));
    return middleware(ctx, next) as Promise<unknown>;
  });
  return app;
}
