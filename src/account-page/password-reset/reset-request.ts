// "Forgot your password?": an email address in, and, when it names an enabled account and neither
// budget below is spent, a reset link out by email. Whoever asks learns nothing about the address:
// the page, status, headers and cookies are the same whatever happened, and so is the time. Every
// request spends the same two budgets and looks the address up; only a known, enabled, unlimited
// one then writes the link and its email (a transaction of a few milliseconds), and every answer is
// held until the same floor (ANSWER_FLOOR_MS) has passed since the request began, so that work never
// shows (test/security/password-reset-enumeration.test.ts measures it).
//
// Budgets, per hour (RATE_LIMIT_PASSWORD_RESET_*): requests from one client address, and requests
// for one email address (known or not: the budget of an unknown address must run out exactly as a
// known one's does). Past either, the answer is the same and no email is sent: the budgets keep
// someone from flooding an inbox or the outbox, and cost an attacker nothing they could measure.
import { setTimeout as delay } from 'node:timers/promises';
import type { KeyObject } from 'node:crypto';
import type { Context } from 'koa';
import type { EmailQueue } from '../../email/email-queue.ts';
import { emailSubject } from '../../accounts/login-subject.ts';
import { queuePasswordResetEmail } from '../../accounts/password-emails.ts';
import type { RateLimitSettings } from '../../config.ts';
import type { AuditTrail } from '../../security/audit/audit-event.ts';
import { requestFacts } from '../../security/audit/request-facts.ts';
import { addressKey } from '../../security/rate-limit/client-address.ts';
import type { CreateLimiter } from '../../security/rate-limit/limiter-factory.ts';
import { spend } from '../../security/rate-limit/spend.ts';
import { findAccountByEmail } from '../../storage/accounts.ts';
import type { Database } from '../../storage/database.ts';

/**
 * Every answer takes at least this long. Chosen well above the known-address work measured without
 * it (look-up, link and email written in one transaction; medians 8.6 ms on PGlite and 30.9 ms on
 * PostgreSQL + Redis against 3.8 and 8.8 ms for an unknown address, on a busy 2-core host), and short
 * enough to go unnoticed by a person.
 */
export const ANSWER_FLOOR_MS = 250;

const HOUR = 3600;

export interface ResetRequestDeps {
  db: Database;
  emails: Pick<EmailQueue, 'enqueue'>;
  audit: AuditTrail;
  issuer: string;
  now: () => Date;
  createLimiter: CreateLimiter;
  limits: Pick<RateLimitSettings, 'passwordResetIpPerHour' | 'passwordResetEmailPerHour'>;
  /** Keys the per-email budget (the lockout's subject key: no address is kept in the clear). */
  subjectKey: KeyObject;
  /** Tests of the floor itself may shorten it; the server never does. */
  floorMs?: number;
}

export interface ResetRequest {
  email: string;
  /** The sign-in the user came from, if any (validated by the route). */
  interaction?: string | undefined;
}

/** Handles one request; resolves no sooner than the floor, whatever it found. */
export type RequestPasswordReset = (ctx: Context, request: ResetRequest) => Promise<void>;

export function createPasswordResetRequests(deps: ResetRequestDeps): RequestPasswordReset {
  const limits = {
    address: { name: 'password-reset-ip', points: deps.limits.passwordResetIpPerHour },
    email: { name: 'password-reset-email', points: deps.limits.passwordResetEmailPerHour },
  };
  const perAddress = deps.createLimiter({ name: limits.address.name, points: limits.address.points, durationSeconds: HOUR });
  const perEmail = deps.createLimiter({ name: limits.email.name, points: limits.email.points, durationSeconds: HOUR });
  const floorMs = deps.floorMs ?? ANSWER_FLOOR_MS;

  async function work(ctx: Context, request: ResetRequest): Promise<void> {
    const [address, email, account] = await Promise.all([
      spend(perAddress, addressKey(ctx.ip)),
      spend(perEmail, emailSubject(deps.subjectKey, request.email)),
      findAccountByEmail(deps.db, request.email),
    ]);
    for (const [limit, budget] of [
      [limits.address, address],
      [limits.email, email],
    ] as const) {
      // one event when a budget runs out, not one per refused request
      if (budget.allowed || budget.consumed !== limit.points + 1) continue;
      deps.audit.record({
        ...requestFacts(ctx),
        type: 'rate_limit.exceeded',
        outcome: 'failure',
        details: { limit: limit.name, max: limit.points, windowSeconds: HOUR },
      });
    }
    if (!address.allowed || !email.allowed || !account || account.disabled) return;
    await deps.db.transaction(async (tx) => {
      const { expiresAt } = await queuePasswordResetEmail(tx, deps.emails, account, {
        issuer: deps.issuer,
        now: deps.now(),
        interaction: request.interaction,
      });
      await deps.audit.recordWithin(tx, {
        ...requestFacts(ctx),
        type: 'user.password_reset_requested',
        outcome: 'success',
        // no actor: whoever asked proved nothing; the link goes to the account's own address
        target: { type: 'user', id: account.id },
        details: { expiresAt: expiresAt.toISOString() },
      });
    });
  }

  return async (ctx, request) => {
    const floor = delay(floorMs);
    try {
      await work(ctx, request);
    } finally {
      // a failure too waits for the floor: how soon an error comes must not tell anything either
      await floor;
    }
  };
}
