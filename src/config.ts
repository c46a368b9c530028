// Configuration: environment variables -> one validated, frozen Config.
// This module is pure (no I/O); src/server.ts is the one place that reads process.env (src/main.ts only starts it).
import { join } from 'node:path';
import { z } from 'zod';
import { isPlainMailbox } from './email/email-address.ts';
import type { EmailSettings } from './email/mail-transport.ts';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

// A host a developer's own machine answers for (http is fine there); `*.localhost` too (RFC 6761). Not the
// redirect-URI rule: that one is admin/clients/client-input.ts' isLoopbackRedirectHost (RFC 8252's three spellings).
const isLocalDevelopmentHost = (hostname: string) =>
  hostname === 'localhost' || hostname === '127.0.0.1' || hostname === '[::1]' || hostname.endsWith('.localhost');

const emptyToUndefined = (value: unknown) => (value === '' ? undefined : value);

const envSchema = z
  .object({
    /** Public base URL of the server; every token's `iss`. Default: http://localhost:<PORT>. */
    ISSUER: z
      .preprocess(emptyToUndefined, z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional())
      .refine((value) => {
        if (value === undefined) return true;
        const url = new URL(value);
        return !url.search && !url.hash && !url.username && !url.password;
      }, 'must not carry a query, fragment or credentials')
      .transform((value) => value?.replace(/\/+$/, '')),
    /** TCP port to listen on. */
    PORT: z.coerce.number().int().min(0).max(65535).default(3000),
    /** Interface to bind. */
    HOST: z.string().min(1).default('127.0.0.1'),
    /** PostgreSQL connection string. Unset: embedded PGlite in DATA_DIR. */
    DATABASE_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^postgres(ql)?$/, error: 'must be a postgres:// URL' }).optional()),
    /** Redis connection string for short-lived data. Unset: those live in the database. */
    REDIS_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^rediss?$/, error: 'must be a redis:// or rediss:// URL' }).optional()),
    /**
     * Outgoing mail server: `smtp://[user:password@]host[:port]` (STARTTLS when the server offers it;
     * `?requireTLS=true` insists) or `smtps://…` (TLS from the start). Unset: every email is written
     * to DATA_DIR/outbox/<id>.eml instead, and its path logged.
     */
    SMTP_URL: z.preprocess(emptyToUndefined, z.url({ protocol: /^smtps?$/, error: 'must be an smtp:// or smtps:// URL' }).optional()),
    /** The From of every email: `address` or `Name <address>`. Default: `Portcullis <no-reply@<ISSUER's host>>`. */
    SMTP_FROM: z.preprocess(
      emptyToUndefined,
      z
        .string()
        .refine((value) => parseMailbox(value) !== undefined, 'must be an email address, or a name and an address: Name <address>')
        .optional(),
    ),
    /** Directory for the embedded database and its generated secret. */
    DATA_DIR: z.string().min(1).default('./data'),
    /** Root secret (>= 32 characters) from which key-encryption, secret-hashing and cookie keys are derived. */
    SECRET_KEY: z.preprocess(emptyToUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
    /** pino log level. */
    LOG_LEVEL: z.enum(LOG_LEVELS).default('info'),
    /**
     * How many reverse proxies in front of the server append to X-Forwarded-For: the client address
     * is the entry the outermost of them added (counted from the right). `true` = 1, `false` = 0
     * (the TCP peer is the client; forwarding headers are ignored).
     */
    TRUST_PROXY: z
      .preprocess(
        emptyToUndefined,
        z
          .string()
          .regex(/^(true|false|\d{1,2})$/, 'must be true, false or a number of proxy hops (0-10)')
          .optional(),
      )
      .transform((value) => (value === undefined || value === 'false' ? 0 : value === 'true' ? 1 : Number(value)))
      .refine((hops) => hops <= 10, 'must be true, false or a number of proxy hops (0-10)'),
    /** `production` enforces an https issuer, SECRET_KEY and DATABASE_URL. */
    NODE_ENV: z.preprocess(emptyToUndefined, z.string().optional()),
    /**
     * Development only: let the server's own outbound requests (back-channel logout, client jwks_uri)
     * reach loopback and private addresses. Off by default: src/oidc/outbound-requests.ts refuses
     * them (SSRF); link-local (cloud metadata) and special-use addresses are refused even when on.
     */
    ALLOW_PRIVATE_OUTBOUND: z
      .preprocess(emptyToUndefined, z.enum(['true', 'false', '1', '0']).optional())
      .transform((value) => value === 'true' || value === '1'),
    /** Days audit events are kept; older ones are pruned (the chain stays verifiable). 0 keeps them forever. */
    AUDIT_RETENTION_DAYS: z.coerce.number().int().min(0).max(36_500).default(365),
    /** Serve Prometheus metrics on this separate port (bound to HOST). Unset: see METRICS_TOKEN. */
    METRICS_PORT: z.preprocess(emptyToUndefined, z.coerce.number().int().min(0).max(65535).optional()),
    /** Serve /metrics on the main port to callers presenting `Authorization: Bearer <token>` (≥ 32 chars). */
    METRICS_TOKEN: z.preprocess(emptyToUndefined, z.string().min(32, 'must be at least 32 characters').optional()),
    /** `off` suppresses the start-up banner with the next steps (the JSON log line stays). */
    PORTCULLIS_BANNER: z.enum(['on', 'off']).default('on'),
    /** Lifetime in seconds of JWT access tokens when the resource server sets none. */
    ACCESS_TOKEN_TTL: z.coerce.number().int().min(30).max(86_400).default(900),
    /** Lifetime in seconds of refresh tokens. */
    REFRESH_TOKEN_TTL: z.coerce
      .number()
      .int()
      .min(60)
      .default(14 * 86_400),
    /** Lifetime in seconds of a login session. */
    SESSION_TTL: z.coerce
      .number()
      .int()
      .min(60)
      .default(14 * 86_400),
    /**
     * Which user claims the ID token carries: `scopes` (the claims of the granted profile and email
     * scopes, where most relying-party libraries read them), or `minimal` (only sub and how the user
     * signed in; the others at userinfo, so only when an access token is issued). Either way only
     * the scopes requested and granted yield claims.
     */
    ID_TOKEN_CLAIMS: z.enum(['scopes', 'minimal'], { error: 'must be scopes or minimal' }).default('scopes'),

    // Passwords (NIST SP 800-63B-4). Lengths count Unicode code points after NFKC normalisation.
    /** Minimum password length for an account without a second factor. */
    PASSWORD_MIN_LENGTH: z.coerce.number().int().min(8).max(64).default(15),
    /** Minimum password length for an account with a second factor. */
    PASSWORD_MIN_LENGTH_MFA: z.coerce.number().int().min(8).max(64).default(8),
    /** Minimum zxcvbn strength score (0-4) a new password must reach. */
    PASSWORD_MIN_SCORE: z.coerce.number().int().min(0).max(4).default(3),
    /** argon2id memory cost in KiB (at least OWASP's 19 MiB). Stronger settings rehash at next login. */
    ARGON2_MEMORY_KIB: z.coerce.number().int().min(19_456).max(4_194_304).default(19_456),
    /** argon2id passes over memory. */
    ARGON2_TIME_COST: z.coerce.number().int().min(2).max(20).default(2),
    /** argon2id lanes. */
    ARGON2_PARALLELISM: z.coerce.number().int().min(1).max(16).default(1),

    /**
     * Second factors: `off` (the policy asks nobody and enrolled factors are not used), `optional`
     * (users may enrol; whoever has a factor must use it), `required` (every user must have one and
     * enrols at the next login). Clients with require_mfa, users marked mfa_required and
     * administrators need one whatever the policy.
     */
    MFA_POLICY: z.enum(['off', 'optional', 'required']).default('optional'),

    // Lockout: consecutive failed logins per account (durable, in the database).
    /** Failed logins of one account after which it is locked (at most 100). */
    LOCKOUT_THRESHOLD: z.coerce.number().int().min(1).max(100).default(5),
    /** First lock, in seconds; each further failure doubles it. */
    LOCKOUT_DELAY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(30),
    /** Longest lock, in seconds. */
    LOCKOUT_MAX_DELAY_SECONDS: z.coerce.number().int().min(1).max(86_400).default(3_600),
    /** An account's failure count is forgotten this many seconds after its last failure. */
    LOCKOUT_RESET_SECONDS: z.coerce
      .number()
      .int()
      .min(60)
      .max(30 * 86_400)
      .default(86_400),
    /** Failed logins from one IP per hour (any accounts) before that IP may not log in for the rest of the hour. */
    LOGIN_IP_FAILURES_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(30),
    /** Failed logins for one account from one IP per hour before that pair is blocked for the rest of the hour. */
    LOGIN_PAIR_FAILURES_PER_HOUR: z.coerce.number().int().min(1).max(1_000).default(10),
    /** Failed logins a known browser (its device cookie) may make past an account lock before that cookie counts for nothing. */
    LOCKOUT_DEVICE_FAILURES: z.coerce.number().int().min(1).max(100).default(5),

    // Rate limits (rate-limiter-flexible; in Redis when REDIS_URL is set, in process otherwise).
    /** Requests per minute from one client IP, to any endpoint. */
    RATE_LIMIT_IP_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(1_200),
    /** Requests per minute per client to the token, introspection, revocation, PAR, device and registration endpoints (a client may override it). */
    RATE_LIMIT_CLIENT_PER_MINUTE: z.coerce.number().int().min(1).max(10_000_000).default(600),
    /** Form submissions per minute from one client IP to the login and MFA pages. */
    RATE_LIMIT_FORM_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(20),
    /** "Forgot your password?" requests per hour from one client IP; past it the answer is the same, but no email is sent. */
    RATE_LIMIT_PASSWORD_RESET_IP_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(20),
    /** "Forgot your password?" requests per hour for one email address (known or not); past it the answer is the same, but no email is sent. */
    RATE_LIMIT_PASSWORD_RESET_EMAIL_PER_HOUR: z.coerce.number().int().min(1).max(1_000).default(3),
    /** Sign-ups per hour from one client IP (REGISTRATION=open); each costs a password hash and an email. */
    RATE_LIMIT_SIGNUP_PER_HOUR: z.coerce.number().int().min(1).max(100_000).default(10),

    /**
     * Who may create an account: `off` (administrators only), `invite` (administrators, and whoever
     * an administrator invites by email), `open` (also anyone, through the sign-up page; the account
     * signs in once its email is verified).
     */
    REGISTRATION: z.enum(['off', 'invite', 'open'], { error: 'must be off, invite or open' }).default('off'),
  })
  .superRefine((env, issues) => {
    if (env.LOCKOUT_MAX_DELAY_SECONDS < env.LOCKOUT_DELAY_SECONDS) {
      issues.addIssue({ code: 'custom', path: ['LOCKOUT_MAX_DELAY_SECONDS'], message: 'must be at least LOCKOUT_DELAY_SECONDS' });
    }
    if (env.LOCKOUT_RESET_SECONDS <= Math.max(env.LOCKOUT_MAX_DELAY_SECONDS, 3_600)) {
      // the pair block (an hour) and the longest lock must end before the count is forgotten
      issues.addIssue({
        code: 'custom',
        path: ['LOCKOUT_RESET_SECONDS'],
        message: 'must be longer than LOCKOUT_MAX_DELAY_SECONDS and an hour',
      });
    }
    if (env.NODE_ENV !== 'production') return;
    const issuer = new URL(env.ISSUER ?? 'http://localhost');
    if (issuer.protocol !== 'https:' && !isLocalDevelopmentHost(issuer.hostname)) {
      issues.addIssue({ code: 'custom', path: ['ISSUER'], message: 'must use https in production' });
    }
    if (!env.SECRET_KEY) issues.addIssue({ code: 'custom', path: ['SECRET_KEY'], message: 'is required in production' });
    if (!env.DATABASE_URL) issues.addIssue({ code: 'custom', path: ['DATABASE_URL'], message: 'is required in production' });
  });

/** `Name <address>` or `address`, with no line breaks, quotes or second address. */
function parseMailbox(value: string): { name: string; address: string } | undefined {
  const match = /^(?:([^<>"\\\r\n]*?)\s*<([^<>\s]+)>|([^<>\s]+))$/u.exec(value.trim());
  const address = match?.[2] ?? match?.[3];
  if (address === undefined || !isPlainMailbox(address)) return undefined;
  return { name: (match?.[1] ?? '').trim(), address };
}

/** The default sender: no-reply at the issuer's host (`localhost` when that is an IP address, which no address may use bare). */
function defaultSender(issuer: string): { name: string; address: string } {
  const host = new URL(issuer).hostname;
  const named = /^[\d.]+$/.test(host) || host.startsWith('[') ? 'localhost' : host;
  return { name: 'Portcullis', address: `no-reply@${named}` };
}

export interface Config {
  readonly issuer: string;
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  readonly redisUrl: string | undefined;
  readonly dataDir: string;
  /** Undefined only before server.ts resolved the embedded generated secret. */
  readonly secretKey: string | undefined;
  readonly logLevel: (typeof LOG_LEVELS)[number];
  /** Trusted reverse proxies in front of the server (TRUST_PROXY): 0 = the TCP peer is the client. */
  readonly trustProxyHops: number;
  readonly allowPrivateOutbound: boolean;
  readonly production: boolean;
  readonly banner: boolean;
  readonly auditRetentionDays: number;
  readonly metricsPort: number | undefined;
  readonly metricsToken: string | undefined;
  readonly accessTokenTtl: number;
  readonly refreshTokenTtl: number;
  readonly sessionTtl: number;
  /** ID_TOKEN_CLAIMS: the granted scopes' claims in the ID token too (`scopes`), or only at userinfo (`minimal`). */
  readonly idTokenClaims: 'scopes' | 'minimal';
  readonly passwords: PasswordSettings;
  readonly mfaPolicy: 'off' | 'optional' | 'required';
  readonly lockout: LockoutSettings;
  readonly rateLimits: RateLimitSettings;
  readonly email: EmailSettings;
  /** REGISTRATION: who may create an account besides administrators. */
  readonly registration: 'off' | 'invite' | 'open';
}

export interface PasswordSettings {
  readonly minLength: number;
  readonly minLengthWithMfa: number;
  readonly minScore: number;
  readonly argon2: { readonly memoryCost: number; readonly timeCost: number; readonly parallelism: number };
}

export interface LockoutSettings {
  readonly threshold: number;
  readonly delaySeconds: number;
  readonly maxDelaySeconds: number;
  readonly resetSeconds: number;
  readonly ipFailuresPerHour: number;
  readonly pairFailuresPerHour: number;
  /** Failures a device cookie may spend (it is not held by the account lock) before it counts for nothing. */
  readonly deviceFailures: number;
}

export interface RateLimitSettings {
  readonly ipPerMinute: number;
  readonly clientPerMinute: number;
  readonly formPerMinute: number;
  /** Password-reset requests per hour from one address, and for one email address (password-reset emails sent). */
  readonly passwordResetIpPerHour: number;
  readonly passwordResetEmailPerHour: number;
  readonly signUpPerHour: number;
}

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

/** Parses an environment record. Problems come back one line each, naming the variable. */
export function parseConfig(env: Record<string, string | undefined>): ConfigResult {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? 'environment');
      const value = env[name];
      const hidden = value === undefined || name === 'SECRET_KEY' || name === 'METRICS_TOKEN' || name.endsWith('_URL');
      const shown = hidden ? '' : ` (got "${value}")`;
      return `${name}: ${issue.message}${shown}`;
    });
    return { ok: false, problems };
  }
  const e = parsed.data;
  const issuer = e.ISSUER ?? `http://localhost:${e.PORT || 3000}`;
  return {
    ok: true,
    config: Object.freeze({
      issuer,
      port: e.PORT,
      host: e.HOST,
      databaseUrl: e.DATABASE_URL,
      redisUrl: e.REDIS_URL,
      dataDir: e.DATA_DIR,
      secretKey: e.SECRET_KEY,
      logLevel: e.LOG_LEVEL,
      trustProxyHops: e.TRUST_PROXY,
      allowPrivateOutbound: e.ALLOW_PRIVATE_OUTBOUND,
      production: e.NODE_ENV === 'production',
      banner: e.PORTCULLIS_BANNER === 'on',
      auditRetentionDays: e.AUDIT_RETENTION_DAYS,
      metricsPort: e.METRICS_PORT,
      metricsToken: e.METRICS_TOKEN,
      accessTokenTtl: e.ACCESS_TOKEN_TTL,
      refreshTokenTtl: e.REFRESH_TOKEN_TTL,
      sessionTtl: e.SESSION_TTL,
      idTokenClaims: e.ID_TOKEN_CLAIMS,
      passwords: Object.freeze({
        minLength: e.PASSWORD_MIN_LENGTH,
        minLengthWithMfa: e.PASSWORD_MIN_LENGTH_MFA,
        minScore: e.PASSWORD_MIN_SCORE,
        argon2: Object.freeze({ memoryCost: e.ARGON2_MEMORY_KIB, timeCost: e.ARGON2_TIME_COST, parallelism: e.ARGON2_PARALLELISM }),
      }),
      mfaPolicy: e.MFA_POLICY,
      lockout: Object.freeze({
        threshold: e.LOCKOUT_THRESHOLD,
        delaySeconds: e.LOCKOUT_DELAY_SECONDS,
        maxDelaySeconds: e.LOCKOUT_MAX_DELAY_SECONDS,
        resetSeconds: e.LOCKOUT_RESET_SECONDS,
        ipFailuresPerHour: e.LOGIN_IP_FAILURES_PER_HOUR,
        pairFailuresPerHour: e.LOGIN_PAIR_FAILURES_PER_HOUR,
        deviceFailures: e.LOCKOUT_DEVICE_FAILURES,
      }),
      rateLimits: Object.freeze({
        ipPerMinute: e.RATE_LIMIT_IP_PER_MINUTE,
        clientPerMinute: e.RATE_LIMIT_CLIENT_PER_MINUTE,
        formPerMinute: e.RATE_LIMIT_FORM_PER_MINUTE,
        passwordResetIpPerHour: e.RATE_LIMIT_PASSWORD_RESET_IP_PER_HOUR,
        passwordResetEmailPerHour: e.RATE_LIMIT_PASSWORD_RESET_EMAIL_PER_HOUR,
        signUpPerHour: e.RATE_LIMIT_SIGNUP_PER_HOUR,
      }),
      email: Object.freeze({
        smtpUrl: e.SMTP_URL,
        from: Object.freeze((e.SMTP_FROM === undefined ? undefined : parseMailbox(e.SMTP_FROM)) ?? defaultSender(issuer)),
        outboxDir: join(e.DATA_DIR, 'outbox'),
      }),
      registration: e.REGISTRATION,
    }),
  };
}

/** The same configuration with a resolved secret (embedded mode generates one). */
export function withSecretKey(config: Config, secretKey: string): Config {
  return Object.freeze({ ...config, secretKey });
}
