// Brute-force defence for password logins. Every attempt is counted before its password is checked:
//   - per client IP: failed logins per hour, over all accounts (stops one address spraying many
//     accounts); over the limit the IP gets 429 until the hour ends;
//   - per login identifier (the email, known account or not): consecutive failures, durable in the
//     database so nobody resets them by knocking Redis over; from the threshold on, a lock that
//     doubles with each further failure up to a ceiling;
//   - per (identifier, IP) pair: failed logins per hour; over the limit that IP may not try that
//     account for an hour, while the account's owner elsewhere only meets the account lock.
// A locked identifier or a blocked pair gets exactly the answer of a wrong password, without the
// password being verified. Unknown emails are counted and locked like real ones, so neither the
// answers nor their timing tell whether an account exists.
import { createHmac, type KeyObject } from 'node:crypto';
import type { LockoutSettings } from '../config.ts';
import type { Queryable } from '../storage/database.ts';
import { clearLoginFailures, reserveLoginAttempt } from '../storage/login-failures.ts';
import type { CreateLimiter } from '../security/rate-limit/limiter-factory.ts';
import { addressKey } from '../security/rate-limit/client-address.ts';
import { spend } from '../security/rate-limit/spend.ts';

const HOUR = 3_600;

/** The key naming a login identifier in the counters: an HMAC, so the table holds no email address. */
export function loginSubject(key: KeyObject, email: string): string {
  return createHmac('sha256', key).update(email.trim().normalize('NFKC').toLowerCase(), 'utf8').digest('base64url');
}

export type Admission =
  | { admitted: true; succeeded(): Promise<void>; failed(): LockOutcome }
  | { admitted: false; reason: 'account_locked' | 'pair_blocked' }
  | { admitted: false; reason: 'ip_blocked'; retryAfterSeconds: number; limit: number; windowSeconds: number; firstRefusal: boolean };

/** What a failed attempt did to the identifier: how many failures in a row, and the lock it started. */
export interface LockOutcome {
  failures: number;
  lockedUntil: Date | undefined;
}

export interface LoginGuard {
  /** Counts an attempt for `email` from `ip` and says whether its password may be checked. */
  admit(email: string, ip: string): Promise<Admission>;
}

export interface LoginGuardDeps {
  db: Queryable;
  subjectKey: KeyObject;
  settings: LockoutSettings;
  createLimiter: CreateLimiter;
  now: () => Date;
}

export function createLoginGuard({ db, subjectKey, settings, createLimiter, now }: LoginGuardDeps): LoginGuard {
  const ipFailures = createLimiter({ name: 'login-ip', points: settings.ipFailuresPerHour, durationSeconds: HOUR });
  const pairFailures = createLimiter({ name: 'login-pair', points: settings.pairFailuresPerHour, durationSeconds: HOUR, blockSeconds: HOUR });

  return {
    async admit(email, ip) {
      const address = addressKey(ip); // an IPv6 /64 is one address: its owner can use all of it
      const ipBudget = await spend(ipFailures, address);
      if (!ipBudget.allowed) {
        return {
          admitted: false,
          reason: 'ip_blocked',
          retryAfterSeconds: Math.max(1, Math.ceil(ipBudget.resetSeconds)),
          limit: settings.ipFailuresPerHour,
          windowSeconds: HOUR,
          firstRefusal: ipBudget.consumed === settings.ipFailuresPerHour + 1,
        };
      }
      const subject = loginSubject(subjectKey, email);
      const reservation = await reserveLoginAttempt(db, subject, now(), settings);
      if (!reservation.admitted) return { admitted: false, reason: 'account_locked' };
      const pairKey = `${subject}:${reservation.epoch}:${address}`;
      if (!(await spend(pairFailures, pairKey)).allowed) return { admitted: false, reason: 'pair_blocked' };
      return {
        admitted: true,
        async succeeded() {
          await clearLoginFailures(db, subject);
          await Promise.all([pairFailures.delete(pairKey), ipFailures.reward(address, 1)]);
        },
        failed: () => ({ failures: reservation.failures, lockedUntil: reservation.lockedUntil }),
      };
    },
  };
}
