// The checks of a second factor, shared by every page that asks for one: the second step of an
// OIDC sign-in (src/interactions/second-factor-routes.ts) and the re-authentication of the user's
// own security page (src/account/security-routes.ts). One implementation, so both places count
// wrong codes against the same per-account lock, accept a TOTP step once, spend a recovery code once,
// advance a passkey's counter atomically, and audit the same events; the pages around them differ.
import type { AuditEventInput, AuditTrail } from '../security/audit/audit-event.ts';
import type { DerivedKeys } from '../security/derived-keys.ts';
import type { Account } from '../storage/accounts.ts';
import type { Queryable } from '../storage/database.ts';
import { confirmTotp, findTotp, remainingRecoveryCodes, replaceRecoveryCodes, startTotpEnrolment, useRecoveryCode, useTotpStep } from '../storage/mfa.ts';
import { findCredential, insertCredential, listCredentials, recordCredentialUse, type StoredCredential } from '../storage/webauthn-credentials.ts';
import type { LoginGuard } from './lockout.ts';
import {
  authenticationOptions, credentialIdOf, normalizeCredentialName, registrationOptions, relyingPartyFor, verifyAuthentication, verifyRegistration,
  type PublicKeyCredentialCreationOptionsJSON, type PublicKeyCredentialRequestOptionsJSON,
} from './passkeys.ts';
import { generateRecoveryCodes, hashRecoveryCode } from './recovery-codes.ts';
import { decryptTotpSecret, encryptTotpSecret, generateTotpSecret, totpQrSvg, totpStepOf, totpUri } from './totp.ts';

export const WRONG_CODE = 'That code is not right. Check the time on your device and try again.';
export const TOO_MANY = 'Too many wrong codes. Wait a while, then try again.';
export const WRONG_RECOVERY_CODE = 'That recovery code is not valid, or was used already.';

/** `ok`; a `wrong` code (counted); or `locked`: too many wrong ones, refused without checking. */
export type CodeOutcome = 'ok' | 'wrong' | 'locked';

/** Who and where, for the audit events of a check: request facts, the user as actor, a client if any. */
export type CheckFacts = Omit<AuditEventInput, 'type' | 'outcome' | 'target' | 'details'>;

/** The code typed into a form: whitespace removed, bounded (a code is never longer). */
export const codeOf = (form: Record<string, string | undefined>): string => (form.code ?? '').replace(/\s+/g, '').slice(0, 64);

/** The message a page shows for a refused code. */
export const codeRefusal = (outcome: Exclude<CodeOutcome, 'ok'>, wrong = WRONG_CODE): string => (outcome === 'locked' ? TOO_MANY : wrong);

export interface SecondFactorChecks {
  /** A code of the account's confirmed authenticator app, accepted once; `not_enrolled` without one (nothing counted). */
  totp(account: Account, code: string, facts: CheckFacts): Promise<CodeOutcome | 'not_enrolled'>;
  /** The first code of an authenticator app being enrolled: confirms it (audited `mfa.enrolled`); `not_pending` without an enrolment in progress. */
  confirmTotpEnrolment(account: Account, code: string, facts: CheckFacts): Promise<CodeOutcome | 'not_pending'>;
  /** Spends one of the account's recovery codes (its use audited durably, with how many are left). */
  recoveryCode(account: Account, code: string, facts: CheckFacts): Promise<CodeOutcome>;
  /** Options for a passkey assertion by one of the account's passkeys, or undefined when it has none. */
  passkeyChallenge(account: Account): Promise<PublicKeyCredentialRequestOptionsJSON | undefined>;
  /** The account's passkey that answered `challenge`, its use recorded; undefined (audited) when not verified. */
  passkey(account: Account, response: unknown, challenge: string | undefined, facts: CheckFacts): Promise<StoredCredential | undefined>;
  /** What an authenticator-app enrolment page shows: the QR code and the key, one secret per enrolment. */
  totpEnrolment(account: Account): Promise<{ qrSvg: string; secret: string }>;
  /** Options for registering another passkey (the account's own are excluded). */
  passkeyRegistration(account: Account): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /** Stores a passkey verified against `challenge` (audited `mfa.enrolled`); undefined when it is not valid or already stored. */
  registerPasskey(account: Account, response: unknown, challenge: string | undefined, name: unknown, facts: CheckFacts): Promise<StoredCredential | undefined>;
  /** A new set of recovery codes, stored hashed; the previous set stops working. Returned once, for display. */
  issueRecoveryCodes(accountId: string): Promise<string[]>;
}

export interface SecondFactorCheckDeps {
  db: Queryable;
  guard: LoginGuard;
  audit: AuditTrail;
  keys: Pick<DerivedKeys, 'encryptionKey' | 'recoveryCodeKey'>;
  issuer: string;
}

export function createSecondFactorChecks(deps: SecondFactorCheckDeps): SecondFactorChecks {
  const rp = relyingPartyFor(deps.issuer);
  const secretOf = (account: Account, sealed: string) => decryptTotpSecret(deps.keys.encryptionKey, account.id, sealed);
  const target = (account: Account) => ({ type: 'user' as const, id: account.id });

  /** Counts a code attempt before checking it; a locked count refuses without checking. */
  async function counted(account: Account, factor: string, facts: CheckFacts, check: () => Promise<boolean>): Promise<CodeOutcome> {
    const admission = await deps.guard.admitSecondFactor(account.id);
    if (!admission.admitted) {
      deps.audit.record({ ...facts, type: 'mfa.failed', outcome: 'failure', target: target(account), details: { factor, reason: 'locked' } });
      return 'locked';
    }
    if (await check()) {
      await admission.succeeded();
      return 'ok';
    }
    const lock = admission.failed();
    deps.audit.record({ ...facts, type: 'mfa.failed', outcome: 'failure', target: target(account), details: { factor, reason: 'wrong_code' } });
    if (lock.lockedUntil) {
      await deps.audit.recordDurable({
        ...facts, type: 'account.locked', outcome: 'success', target: target(account),
        details: { factor, failures: lock.failures, lockedUntil: lock.lockedUntil.toISOString() },
      });
    }
    return 'wrong';
  }

  return {
    async totp(account, code, facts) {
      const stored = await findTotp(deps.db, account.id);
      if (!stored?.confirmed) return 'not_enrolled';
      return counted(account, 'totp', facts, async () => {
        const step = totpStepOf(secretOf(account, stored.secretEncrypted), code, Date.now());
        // the UPDATE that moves last_used_step past this step is the one acceptance: a replayed code,
        // or the same code sent to another process at the same moment, finds it already moved
        return step !== undefined && (await useTotpStep(deps.db, account.id, step));
      });
    },

    async confirmTotpEnrolment(account, code, facts) {
      const stored = await findTotp(deps.db, account.id);
      if (!stored || stored.confirmed) return 'not_pending';
      const outcome = await counted(account, 'totp', facts, async () => {
        const step = totpStepOf(secretOf(account, stored.secretEncrypted), code, Date.now());
        return step !== undefined && (await confirmTotp(deps.db, account.id, step));
      });
      if (outcome === 'ok') await deps.audit.recordDurable({ ...facts, type: 'mfa.enrolled', outcome: 'success', target: target(account), details: { factor: 'totp' } });
      return outcome;
    },

    async recoveryCode(account, code, facts) {
      const outcome = await counted(account, 'recovery_code', facts, () => useRecoveryCode(deps.db, account.id, hashRecoveryCode(deps.keys.recoveryCodeKey, code)));
      if (outcome === 'ok') {
        const remaining = await remainingRecoveryCodes(deps.db, account.id);
        await deps.audit.recordDurable({ ...facts, type: 'mfa.recovery_code_used', outcome: 'success', target: target(account), details: { remaining } });
      }
      return outcome;
    },

    async passkeyChallenge(account) {
      const credentials = await listCredentials(deps.db, account.id);
      return credentials.length > 0 ? authenticationOptions(rp, credentials) : undefined;
    },

    async passkey(account, response, challenge, facts) {
      const credentialId = credentialIdOf(response);
      const credential = credentialId ? await findCredential(deps.db, credentialId) : undefined;
      // found by id alone: it must be this account's own, or it proves nothing about this account
      const verified = credential && credential.accountId === account.id && challenge
        ? await verifyAuthentication(rp, response, challenge, credential)
        : undefined;
      if (!credential || !verified || !(await recordCredentialUse(deps.db, credential.id, verified.newSignCount))) {
        deps.audit.record({ ...facts, type: 'mfa.failed', outcome: 'failure', target: target(account), details: { factor: 'passkey', reason: 'not_verified' } });
        return undefined;
      }
      return credential;
    },

    async totpEnrolment(account) {
      // one secret per enrolment: reloading the page shows the QR code already scanned
      let secret: string;
      const pending = await findTotp(deps.db, account.id);
      if (pending && !pending.confirmed) {
        secret = secretOf(account, pending.secretEncrypted);
      } else {
        secret = generateTotpSecret();
        await startTotpEnrolment(deps.db, account.id, encryptTotpSecret(deps.keys.encryptionKey, account.id, secret));
      }
      const uri = totpUri(secret, { issuer: new URL(deps.issuer).host, account: account.email });
      return { qrSvg: await totpQrSvg(uri), secret: secret.replace(/(.{4})/g, '$1 ').trim() };
    },

    async passkeyRegistration(account) {
      return registrationOptions(rp, account, await listCredentials(deps.db, account.id));
    },

    async registerPasskey(account, response, challenge, rawName, facts) {
      const name = normalizeCredentialName(rawName ?? '') ?? 'Passkey';
      const registered = challenge ? await verifyRegistration(rp, response, challenge) : undefined;
      // a credential id already stored (this or another account's) is not registered twice
      const stored = registered && (await insertCredential(deps.db, { ...registered, accountId: account.id, name }));
      if (stored) await deps.audit.recordDurable({ ...facts, type: 'mfa.enrolled', outcome: 'success', target: target(account), details: { factor: 'passkey', name } });
      return stored;
    },

    async issueRecoveryCodes(accountId) {
      const codes = generateRecoveryCodes();
      await replaceRecoveryCodes(deps.db, accountId, codes.map((code) => hashRecoveryCode(deps.keys.recoveryCodeKey, code)));
      return codes;
    },
  };
}
