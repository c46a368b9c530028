// Composition root: stores -> caches and keys -> provider -> Koa app. Built once by main.ts, and
// by tests with their own configuration and stores (nothing global).
import type Koa from 'koa';
import type { Config } from './config.ts';
import { createApp } from './app.ts';
import { createAdapterFactory, revokeGrantEverywhere, type AdapterStores } from './oidc/adapters/adapter-factory.ts';
import { createProvider } from './oidc/create-provider.ts';
import { createFindAccount } from './oidc/find-account.ts';
import { jwtAccessTokenEndpoints } from './oidc/jwt-access-tokens.ts';
import { createAccessTokenVerifier } from './oidc/access-token-verifier.ts';
import { createDpopProofVerifier } from './oidc/dpop-proof.ts';
import { createIntrospectionPolicy } from './oidc/introspection-policy.ts';
import { createJwtReplayStore } from './storage/jwt-replay.ts';
import { createProviderHost, type ProviderHost } from './oidc/provider-host.ts';
import { createRegistryCache, subscribeRegistryCache, type RegistryCache } from './oidc/registry-cache.ts';
import { toProviderClientMetadata } from './oidc/client-metadata.ts';
import { createProviderPages } from './interactions/provider-pages.ts';
import { createViewRenderer } from './http/views.ts';
import type { Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { pingDatabase } from './storage/database.ts';
import { instrumentDatabase } from './storage/instrumented-database.ts';
import { attachProviderAudit } from './oidc/provider-audit.ts';
import type { AuditTrail } from './security/audit/audit-event.ts';
import { createAuditTrail } from './security/audit/audit-writer.ts';
import { createCookieSigner } from './http/cookie-signer.ts';
import { deriveKeys, type DerivedKeys } from './security/derived-keys.ts';
import { ensureSigningKeys, loadPrivateJwks } from './security/signing-keys.ts';
import type { Stores } from './storage/stores.ts';
import { createLimiterFactory } from './security/rate-limit/limiter-factory.ts';
import { createLoginGuard } from './accounts/lockout.ts';
import { createDeviceCookies } from './accounts/device-cookie.ts';
import { createPasswordAuthenticator } from './accounts/authenticate.ts';
import { createMfaDecider } from './accounts/second-factor-requirement.ts';
import { createSignInStates } from './interactions/sign-in-state.ts';
import { createAccountSessions } from './account-page/account-session.ts';
import { createEmailQueue, type EmailQueue } from './email/email-queue.ts';
import { createEmailRenderer } from './email/email-renderer.ts';
import { createMailTransport } from './email/mail-transport.ts';
import { startOutboxWorker, type OutboxWorker } from './email/outbox-worker.ts';

export interface Portcullis {
  app: Koa;
  host: ProviderHost;
  cache: RegistryCache;
  keys: DerivedKeys;
  metrics: Metrics;
  audit: AuditTrail;
  /** Outgoing email, queued in the transaction of the change it tells about. */
  emails: EmailQueue;
  /** Delivers the queued emails; only when built with `deliverEmails`. */
  outbox: OutboxWorker | undefined;
  /** Flushes the audit trail and stops listening; the stores stay open (their owner closes them). */
  close(): Promise<void>;
}

export interface PortcullisDeps {
  config: Config;
  stores: Stores;
  logger: Logger;
  /** Replaces the audit trail (the benchmark's audit-off baseline); production always records. */
  audit?: AuditTrail;
  /**
   * Run the outbox worker, which sends the queued emails (SMTP_URL, or files in DATA_DIR/outbox).
   * The server always does; tests only when they are about delivery (the others read the outbox table).
   */
  deliverEmails?: boolean;
  /** The clock of lock expiries and of the account page's 10-minute sessions (tests move it instead of waiting). */
  now?: () => Date;
}

export async function createPortcullis({ config, stores, logger, ...overrides }: PortcullisDeps): Promise<Portcullis> {
  if (!config.secretKey) throw new Error('SECRET_KEY must be resolved before the server is built');
  const metrics = createMetrics();
  const db = instrumentDatabase(stores.db, metrics.storeOperation);
  const { redis } = stores;
  redis?.on('error', () => metrics.storeFailure('redis'));
  const keys = deriveKeys(config.secretKey);
  const cookieSigner = createCookieSigner(keys.cookieKeys);
  await ensureSigningKeys(db, keys.encryptionKey);
  const audit = overrides.audit ?? createAuditTrail({ db, key: keys.auditKey, logger });

  const createLimiter = createLimiterFactory(redis, stores.redisPrefix);
  const now = overrides.now ?? (() => new Date());
  const guard = createLoginGuard({ db, subjectKey: keys.loginSubjectKey, settings: config.lockout, createLimiter, now });
  const authenticator = createPasswordAuthenticator({ db, guard, argon2: config.passwords.argon2 });

  const cache = createRegistryCache(db);
  const mfa = createMfaDecider({ db, cache, policy: config.mfaPolicy });
  const signInStates = createSignInStates(keys.signInStateKey, () => now().getTime());
  const deviceCookies = createDeviceCookies(keys.deviceCookieKey);
  const accountSessions = createAccountSessions(keys.signInStateKey, () => now().getTime());
  const render = createViewRenderer();
  const emails = createEmailQueue({ encryptionKey: keys.encryptionKey, now });
  // oidc-provider's records get their own namespace under the deployment's Redis prefix
  const adapterStores: AdapterStores = redis ? { db, redis, redisPrefix: `${stores.redisPrefix}oidc:` } : { db };
  const findClientMetadata = async (clientId: string) => toProviderClientMetadata(await cache.client(clientId));
  const adapter = createAdapterFactory(adapterStores, { findClient: findClientMetadata });
  const findAccount = createFindAccount(db);
  const pages = createProviderPages(render);
  // Once-only JWTs (DPoP proofs, client assertions): one store for the provider's endpoints and ours.
  const jwtReplay = createJwtReplayStore({ db, redis, redisPrefix: stores.redisPrefix, now });
  const dpopProofs = createDpopProofVerifier({ replay: jwtReplay, now });
  const introspection = createIntrospectionPolicy(cache);

  const host = await createProviderHost(async () => {
    const jwks = await loadPrivateJwks(db, keys.encryptionKey, now());
    const provider = createProvider({
      config,
      jwks,
      adapter,
      findAccount,
      cache,
      pages,
      findClientMetadata,
      cookieSigner,
      clientSecretKey: keys.clientSecretKey,
      needsSecondFactor: mfa.needsSecondFactor,
      now,
      jwtReplay,
      introspection,
    });
    const accessTokens = createAccessTokenVerifier({
      db,
      cache,
      issuer: config.issuer,
      jwks,
      now,
      dpopProofs,
      grantExists: async (grantId) => (await provider.Grant.find(grantId)) !== undefined,
    });
    provider.use(
      jwtAccessTokenEndpoints({
        db,
        accessTokens,
        audit,
        introspection,
        revokeGrant: (grantId) => revokeGrantEverywhere(adapterStores, grantId),
      }),
    );
    attachProviderAudit(provider, audit);
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- grant_type is a string once oidc-provider parsed it
    provider.on('grant.success', (ctx) => metrics.tokenIssued(String(ctx.oidc.params?.grant_type ?? 'unknown')));
    provider.on('backchannel.error', (ctx, error, client) =>
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- log even a context without state
      logger.warn({ err: error, clientId: client.clientId, requestId: ctx.state?.requestId }, 'back-channel logout delivery failed'),
    );
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- log even a context without state
    provider.on('server_error', (ctx, error) => logger.error({ err: error, requestId: ctx.state?.requestId }, 'provider server error'));
    return { provider, accessTokens };
  });

  cache.onChange((topic) => {
    if (topic !== 'keys') return;
    host.reload().then(
      () => logger.info('signing keys changed: provider reloaded'),
      (error: unknown) => logger.error({ err: error }, 'reloading signing keys failed'),
    );
  });
  const unsubscribe = await subscribeRegistryCache(db, cache);

  async function startEmailDelivery(): Promise<OutboxWorker> {
    const transport = createMailTransport(config.email);
    if (config.email.smtpUrl) logger.info({ smtp: transport.description }, 'emails are sent through SMTP_URL');
    else if (config.production) logger.warn({ outbox: transport.description }, 'SMTP_URL is not set: emails are only written to files');
    else logger.info({ outbox: transport.description }, 'SMTP_URL is not set: emails are written to files in the outbox directory');
    return startOutboxWorker({
      db: stores.db,
      queue: emails,
      render: createEmailRenderer(config.issuer),
      transport,
      logger,
      metrics,
      now,
      messageIdHost: new URL(config.issuer).hostname,
    });
  }

  const readiness = [{ name: 'database', check: () => pingDatabase(db) }, ...(redis ? [{ name: 'redis', check: () => redis.ping() }] : [])];
  const app = createApp({
    config,
    logger,
    db,
    cache,
    host,
    render,
    cookieSigner,
    keys,
    readiness,
    metrics,
    audit,
    createLimiter,
    now,
    emails,
    signIn: { authenticator, guard, mfa, signInStates, deviceCookies, keys, accountSessions, onceOnly: jwtReplay },
  });
  // last: nothing is sent before the rest was built
  const outbox = overrides.deliverEmails ? await startEmailDelivery() : undefined;
  return {
    app,
    host,
    cache,
    keys,
    metrics,
    audit,
    emails,
    outbox,
    async close() {
      await outbox?.close();
      await unsubscribe();
      await audit.close();
    },
  };
}
