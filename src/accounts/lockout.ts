// Brute-force defence for password logins. Every attempt is counted before its password is checked:
//   - per client IP: failed logins per hour, over all accounts (stops one address spraying many
//     accounts); over the limit the IP gets 429 until the hour ends;
//   - per login identifier (the email, known account or not): consecutive failures, durable in the
//     database so nobody resets them by knocking Redis over; from the threshold on, a lock that
//     doubles with each further failure up to a ceiling;
//   - per (identifier, IP) pair: failed logins per hour; over the limit that IP may not try that
//     account for the rest of the hour, while the account's owner elsewhere only meets the account lock;
//   - per device cookie (a browser that signed in to that account before, device-cookie.ts): instead
//     of the identifier and the pair, a small budget of failures of its own, durable like the
//     identifier's; the identifier's lock, which anyone who knows the email can set off, does not
//     hold a known browser. A spent budget counts for nothing: that browser is an unknown one again.
// A locked identifier or a blocked pair gets exactly the answer of a wrong password, without the
// password being verified. Unknown emails are counted and locked like real ones, so neither the
// answers nor their timing tell whether an account exists.
import type { KeyObject } from 'node:crypto';
import { deviceSubject, emailSubject, secondFactorSubject } from './login-subject.ts';
import { DEVICE_COOKIE_LIFETIME_SECONDS, type DeviceClaim } from './device-cookie.ts';
import type { LockoutSettings } from '../config.ts';
import type { Queryable } from '../storage/database.ts';
import type { AccountWithCredentials } from '../storage/accounts.ts';
import { clearLoginFailures, reserveLoginAttempt } from '../storage/login-failures.ts';
import type { CreateLimiter } from '../security/rate-limit/limiter-factory.ts';
import { addressKey } from '../security/rate-limit/client-address.ts';
import { spend } from '../security/rate-limit/spend.ts';
import { SpentBudgets } from '../security/rate-limit/spent-budgets.ts';

const HOUR = 3_600;

export type Admission =
  | {
      admitted: true;
      account: AccountWithCredentials | undefined;
      hasSecondFactor: boolean;
      succeeded(): Promise<void>;
      failed(): Promise<FailureOutcome>;
    }
  | { admitted: false; reason: 'account_locked' | 'pair_blocked' }
  | { admitted: false; reason: 'ip_blocked'; retryAfterSeconds: number; limit: number; windowSeconds: number };

/** What a failed attempt did: the identifier's failures in a row and the lock it started; an IP block it started. */
export interface FailureOutcome extends LockOutcome {
  /** Set when this failure used up the address's budget: the block starts now (audited once). */
  ipBlockStarted?: { limit: number; windowSeconds: number };
}

/** A second-factor attempt (a TOTP or recovery code): counted per account like a password. */
export type SecondFactorAdmission = { admitted: true; succeeded(): Promise<void>; failed(): LockOutcome } | { admitted: false };

export interface LockOutcome {
  failures: number;
  lockedUntil: Date | undefined;
}

export interface LoginGuard {
  /**
   * Counts an attempt for `email` from `ip` and says whether its password may be checked (and
   * against which account); `device` is the claim of the browser's device cookie, if it has one.
   */
  admit(email: string, ip: string, device?: DeviceClaim): Promise<Admission>;
  /**
   * Counts a second-factor attempt of `accountId` before it is checked, with the same thresholds
   * and locks as passwords but a count of its own: proving the password again does not reset it.
   */
  admitSecondFactor(accountId: string): Promise<SecondFactorAdmission>;
}

export interface LoginGuardDeps {
  db: Queryable;
  subjectKey: KeyObject;
  settings: LockoutSettings;
  createLimiter: CreateLimiter;
  now: () => Date;
}

/**
 * The account count is exact (the database row is written before the password is checked). The
 * address and pair counts are coarser on purpose, to keep a successful login free of Redis round
 * trips: they count failures only, after the check, and this process remembers a budget it saw used
 * up (another process learns it from its own next failure). Guessing in parallel is bounded anyway:
 * by the account lock, and by the form limit on every address.
 */
export function createLoginGuard({ db, subjectKey, settings, createLimiter, now }: LoginGuardDeps): LoginGuard {
  const ipFailures = createLimiter({ name: 'login-ip', points: settings.ipFailuresPerHour, durationSeconds: HOUR });
  const pairFailures = createLimiter({ name: 'login-pair', points: settings.pairFailuresPerHour, durationSeconds: HOUR });
  const spentIps = new SpentBudgets();
  const spentPairs = new SpentBudgets();

  return {
    async admit(email, ip, device) {
      const address = addressKey(ip); // an IPv6 /64 is one address: its owner can use all of it
      const ipWait = spentIps.secondsLeft(address);
      if (ipWait > 0)
        return {
          admitted: false,
          reason: 'ip_blocked',
          retryAfterSeconds: Math.ceil(ipWait),
          limit: settings.ipFailuresPerHour,
          windowSeconds: HOUR,
        };
      const subject = emailSubject(subjectKey, email);
      const knownBy = device && {
        subjectKey: deviceSubject(subjectKey, device.nonce),
        accountId: device.accountId,
        credentialEpoch: device.epoch,
        budget: settings.deviceFailures,
        spentForSeconds: DEVICE_COOKIE_LIFETIME_SECONDS,
      };
      const reservation = await reserveLoginAttempt(db, { subjectKey: subject, email, device: knownBy }, now(), settings);
      if (!reservation.admitted) return { admitted: false, reason: 'account_locked' };
      // the pair block is the account's defence against one address, as the lock is: a known
      // browser answers to its own budget instead
      const pairKey = reservation.knownDevice ? undefined : `${subject}:${reservation.epoch}:${address}`;
      if (pairKey && spentPairs.secondsLeft(pairKey) > 0) return { admitted: false, reason: 'pair_blocked' };
      // A success gives back what the attempt was counted on. A browser whose cookie names this
      // account also gets its budget back when it proved the password as an unknown browser (its
      // budget was spent, but the account was not locked): it is a known browser again.
      const cleared = [
        ...(reservation.knownDevice ? [] : [subject]),
        ...(knownBy && reservation.account?.id === knownBy.accountId ? [knownBy.subjectKey] : []),
      ];
      return {
        admitted: true,
        account: reservation.account,
        hasSecondFactor: reservation.hasSecondFactor,
        succeeded: () => clearLoginFailures(db, ...cleared),
        async failed() {
          const [ipBudget, pairBudget] = await Promise.all([
            spend(ipFailures, address),
            pairKey ? spend(pairFailures, pairKey) : undefined,
          ]);
          spentIps.note(address, ipBudget);
          if (pairKey && pairBudget) spentPairs.note(pairKey, pairBudget);
          // the failure that spends the last point starts the block: exactly one, across processes
          const ipBlockStarted =
            ipBudget.consumed === settings.ipFailuresPerHour ? { limit: settings.ipFailuresPerHour, windowSeconds: HOUR } : undefined;
          return { failures: reservation.failures, lockedUntil: reservation.lockedUntil, ...(ipBlockStarted ? { ipBlockStarted } : {}) };
        },
      };
    },

    async admitSecondFactor(accountId) {
      const subject = secondFactorSubject(subjectKey, accountId);
      const reservation = await reserveLoginAttempt(db, { subjectKey: subject, email: '' }, now(), settings);
      if (!reservation.admitted) return { admitted: false };
      return {
        admitted: true,
        succeeded: () => clearLoginFailures(db, subject),
        failed: () => ({ failures: reservation.failures, lockedUntil: reservation.lockedUntil }),
      };
    },
  };
}
