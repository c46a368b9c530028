// Email + password check behind the brute-force guard. An unknown email is verified against a dummy
// hash so it costs the same time as a wrong password, and both get the same answer (no account
// enumeration); a locked identifier gets that same answer without any verification. So does an
// identifier that cannot be an email address (it is counted on its own email counter like any other).
import type { Queryable } from '../storage/database.ts';
import { updatePasswordHash, type AccountWithCredentials } from '../storage/accounts.ts';
import { findRegistrationState } from '../storage/account-registration.ts';
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword, type Argon2Parameters } from './passwords.ts';
import { MAX_PASSWORD_UTF16_LENGTH } from './password-policy.ts';
import { couldBeEmail } from '../storage/canonical-email.ts';
import type { FailureOutcome, LoginGuard } from './lockout.ts';
import type { DeviceClaim } from './device-cookie.ts';

export type AuthenticationResult =
  | { ok: true; account: AccountWithCredentials; hasSecondFactor: boolean }
  /** Wrong password or unknown email; `lock` says what this failure did to the counts. */
  | { ok: false; reason: 'invalid_credentials'; accountId?: string; lock: FailureOutcome }
  /** Refused before any verification: the identifier is locked, or this IP is blocked for it. */
  | { ok: false; reason: 'account_locked' | 'pair_blocked' }
  | { ok: false; reason: 'account_disabled'; accountId: string }
  /**
   * The password is right, but the account signed itself up and its email is not verified yet: it
   * may not sign in. Only whoever knows the password learns it (the sign-in then offers a new link).
   */
  | { ok: false; reason: 'email_unverified'; accountId: string; account: AccountWithCredentials }
  /** Too many failed logins from this IP: 429 for everyone behind it, whatever the account. */
  | { ok: false; reason: 'ip_blocked'; retryAfterSeconds: number; limit: number; windowSeconds: number };

export interface PasswordAuthenticator {
  /** `device`: the claim of the browser's device cookie (a known browser is not held by the account lock). */
  authenticate(email: string, password: string, ip: string, device?: DeviceClaim): Promise<AuthenticationResult>;
}

export interface PasswordAuthenticatorDeps {
  db: Queryable;
  guard: LoginGuard;
  argon2: Argon2Parameters;
}

export function createPasswordAuthenticator({ db, guard, argon2 }: PasswordAuthenticatorDeps): PasswordAuthenticator {
  return {
    async authenticate(email, password, ip, device) {
      const admission = await guard.admit(email, ip, device);
      if (!admission.admitted) {
        const { admitted: _admitted, ...refusal } = admission;
        return { ok: false, ...refusal };
      }
      // Oversized input is not hashed (it cannot be a valid password, and must not burn CPU), and an
      // identifier that cannot be an email finds no account; an empty verification against the dummy
      // hash keeps their timing and answer those of any other failure.
      const acceptable = password.length <= MAX_PASSWORD_UTF16_LENGTH && couldBeEmail(email);
      const account = acceptable ? admission.account : undefined;
      const valid = await verifyPassword(account?.passwordHash ?? (await dummyPasswordHash(argon2)), acceptable ? password : '');
      if (!account || !valid || !acceptable) {
        return { ok: false, reason: 'invalid_credentials', ...(account ? { accountId: account.id } : {}), lock: await admission.failed() };
      }
      // A disabled account only learns it is disabled after proving the password; the attempt stays counted.
      if (account.disabled) return { ok: false, reason: 'account_disabled', accountId: account.id };
      // Only self-registered accounts wait for a verification (an administrator's accounts sign in
      // whatever email_verified says); read only after the right password, so no failure pays for it.
      if (!account.emailVerified && (await findRegistrationState(db, account.id))?.awaitingVerification) {
        await admission.succeeded(); // the password was right: its owner is not locked out for waiting on a link
        return { ok: false, reason: 'email_unverified', accountId: account.id, account };
      }
      await admission.succeeded();
      if (account.passwordHash && needsRehash(account.passwordHash, argon2)) {
        await updatePasswordHash(db, account.id, await hashPassword(password, argon2));
      }
      return { ok: true, account, hasSecondFactor: admission.hasSecondFactor };
    },
  };
}
