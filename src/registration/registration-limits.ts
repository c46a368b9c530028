// The rate limits of the registration pages (rate-limiter-flexible, in Redis when there is one):
// sign-ups per client address per hour (each costs a password hash, a row and an email), sign-ups per
// email address per hour (each mails that address: a link, or a notice to its account's owner; counted
// alike whether it has an account or not, so the refusal tells nothing about it), and new
// verification links per account per hour (each is an email to someone's inbox). Refused: a 429 page
// with Retry-After and the RateLimit fields.
import type { Context } from 'koa';
import { AppError } from '../http/app-error.ts';
import { addressKey } from '../security/rate-limit/client-address.ts';
import type { CreateLimiter } from '../security/rate-limit/limiter-factory.ts';
import { describeWait, setRateLimitHeaders } from '../security/rate-limit/rate-limit-headers.ts';
import { spend } from '../security/rate-limit/spend.ts';

const HOUR_SECONDS = 3600;
/** New verification links one account may ask for per hour. */
export const RESENDS_PER_HOUR = 3;
/** Sign-ups one email address (in any spelling) may get per hour, whoever sends them. */
export const SIGN_UPS_PER_ADDRESS_PER_HOUR = 3;

export interface RegistrationLimits {
  /**
   * Spends a sign-up of this request's client address and one of the email address (`emailKey`, its
   * keyed canonical form); throws the 429 when either has none left.
   */
  signUp(ctx: Context, emailKey: string): Promise<void>;
  /** Spends a new verification link of the account; throws the 429 when there is none left. */
  resend(ctx: Context, accountId: string): Promise<void>;
}

export function createRegistrationLimits(createLimiter: CreateLimiter, signUpPerHour: number): RegistrationLimits {
  const signUps = createLimiter({ name: 'sign-up', points: signUpPerHour, durationSeconds: HOUR_SECONDS });
  const perAddress = createLimiter({ name: 'sign-up-address', points: SIGN_UPS_PER_ADDRESS_PER_HOUR, durationSeconds: HOUR_SECONDS });
  const resends = createLimiter({ name: 'verify-resend', points: RESENDS_PER_HOUR, durationSeconds: HOUR_SECONDS });

  async function spendOrRefuse(ctx: Context, policy: string, limit: number, budget: Awaited<ReturnType<typeof spend>>, what: string) {
    if (budget.allowed) return;
    setRateLimitHeaders(ctx, { policy, limit, windowSeconds: HOUR_SECONDS, remaining: 0, resetSeconds: budget.resetSeconds });
    throw new AppError('too_many_requests', `${what} Try again in ${describeWait(budget.resetSeconds)}.`, 429);
  }

  return {
    async signUp(ctx, emailKey) {
      const budget = await spend(signUps, addressKey(ctx.ip));
      await spendOrRefuse(ctx, 'sign-up', signUpPerHour, budget, 'Too many accounts were created from your network.');
      // without it, sign-ups spread over many client addresses would mail one inbox once each
      const address = await spend(perAddress, emailKey);
      await spendOrRefuse(
        ctx,
        'sign-up-address',
        SIGN_UPS_PER_ADDRESS_PER_HOUR,
        address,
        'Too many sign-ups were made with this email address.',
      );
    },
    async resend(ctx, accountId) {
      const budget = await spend(resends, accountId);
      await spendOrRefuse(ctx, 'verify-resend', RESENDS_PER_HOUR, budget, 'We already sent several links to this address.');
    },
  };
}
