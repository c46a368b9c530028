// The checks of a second factor, shared by every page that asks for one: the second step of an
// OIDC sign-in (src/interactions/second-factor-routes.ts) and the re-authentication of the user's
// own security page (src/account-page/security-routes.ts). One implementation, so both places count
// wrong codes against the same per-account lock, accept a TOTP step once, spend a recovery code once,
// advance a passkey's counter atomically, and audit the same events; the pages around them differ.
import type { AuditEventInput, AuditTrail } from '../security/audit/audit-event.ts';
import type { DerivedKeys } from '../security/derived-keys.ts';
import type { Account } from '../storage/accounts.ts';
import type { Database, Queryable } from '../storage/database.ts';
import {
  findTotp,
  insertConfirmedTotp,
  remainingRecoveryCodes,
  replaceRecoveryCodes,
  useRecoveryCode,
  useTotpStep,
  withFactorsLocked,
  type FactorSummary,
} from '../storage/mfa.ts';
import {
  findCredential,
  insertCredential,
  listCredentials,
  recordCredentialUse,
  type StoredCredential,
} from '../storage/webauthn-credentials.ts';
import type { LoginGuard } from './lockout.ts';
import {
  authenticationOptions,
  credentialIdOf,
  normalizeCredentialName,
  registrationOptions,
  relyingPartyFor,
  verifyAuthentication,
  verifyRegistration,
  type PublicKeyCredentialCreationOptionsJSON,
  type PublicKeyCredentialRequestOptionsJSON,
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

/**
 * Whom an enrolment may add a factor to. `first`: only to an account without any (a sign-in, or a
 * page proof that showed no factor): decided with the account's factors locked, so two enrolments at
 * once cannot both add a "first" one. `another`: also to an account that has one (the account page,
 * after one of its factors was proven).
 */
export type EnrolmentScope = 'first' | 'another';

/** The authenticator-app key a page shows while it is being enrolled, kept by that page's own sealed state. */
export interface PendingTotp {
  /** The key itself (base32), to keep in the state of the page that shows it, and nowhere else. */
  key: string;
  /** The key in groups of four, as the page shows it. */
  display: string;
  qrSvg: string;
}

const hasAnyFactor = (factors: FactorSummary) => factors.totp || factors.passkeys > 0;

/** The message a page shows for a refused code. */
export const codeRefusal = (outcome: Exclude<CodeOutcome, 'ok'>, wrong = WRONG_CODE): string => (outcome === 'locked' ? TOO_MANY : wrong);

export interface SecondFactorChecks {
  /** A code of the account's confirmed authenticator app, accepted once; `not_enrolled` without one (nothing counted). */
  totp(account: Account, code: string, facts: CheckFacts): Promise<CodeOutcome | 'not_enrolled'>;
  /**
   * The first code of the authenticator app whose `key` this page's state holds: stores it confirmed
   * (audited `mfa.enrolled`). `not_pending` without a key; `not_allowed` when `scope` forbids adding
   * it (the account has a factor meanwhile, or its own authenticator app).
   */
  confirmTotpEnrolment(
    account: Account,
    key: string | undefined,
    code: string,
    facts: CheckFacts,
    scope: EnrolmentScope,
  ): Promise<CodeOutcome | 'not_pending' | 'not_allowed'>;
  /** Spends one of the account's recovery codes (its use audited in the same transaction, with how many are left). */
  recoveryCode(account: Account, code: string, facts: CheckFacts): Promise<CodeOutcome>;
  /** Options for a passkey assertion by one of the account's passkeys, or undefined when it has none. */
  passkeyChallenge(account: Account): Promise<PublicKeyCredentialRequestOptionsJSON | undefined>;
  /** The account's passkey that answered `challenge`, its use recorded; undefined (audited) when not verified. */
  passkey(account: Account, response: unknown, challenge: string | undefined, facts: CheckFacts): Promise<StoredCredential | undefined>;
  /** What an authenticator-app enrolment page shows: the key its state holds (`pending`), or a new one. */
  totpEnrolment(account: Account, pending: string | undefined): Promise<PendingTotp>;
  /** Options for registering another passkey (the account's own are excluded). */
  passkeyRegistration(account: Account): Promise<PublicKeyCredentialCreationOptionsJSON>;
  /**
   * Stores a passkey verified against `challenge`, a registration challenge this page's state holds
   * (audited `mfa.enrolled`); undefined when it is not valid, already stored, or `scope` forbids it.
   */
  registerPasskey(
    account: Account,
    response: unknown,
    challenge: string | undefined,
    name: unknown,
    facts: CheckFacts,
    scope: EnrolmentScope,
  ): Promise<StoredCredential | undefined>;
  /**
   * A new set of recovery codes, stored hashed; the previous set stops working. Returned once, for
   * display. `within` runs last in the transaction that replaces them (to record their event there).
   */
  issueRecoveryCodes(accountId: string, within?: (tx: Queryable, count: number) => Promise<void>): Promise<string[]>;
}

export interface SecondFactorCheckDeps {
  db: Database;
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
      deps.audit.record({
        ...facts,
        type: 'mfa.failed',
        outcome: 'failure',
        target: target(account),
        details: { factor, reason: 'locked' },
      });
      return 'locked';
    }
    if (await check()) {
      await admission.succeeded();
      return 'ok';
    }
    const lock = admission.failed();
    deps.audit.record({
      ...facts,
      type: 'mfa.failed',
      outcome: 'failure',
      target: target(account),
      details: { factor, reason: 'wrong_code' },
    });
    if (lock.lockedUntil) {
      await deps.audit.recordDurable({
        ...facts,
        type: 'account.locked',
        outcome: 'success',
        target: target(account),
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

    async confirmTotpEnrolment(account, key, code, facts, scope) {
      if (!key) return 'not_pending';
      let step: number | undefined;
      const outcome = await counted(account, 'totp', facts, async () => {
        step = totpStepOf(key, code, Date.now());
        return step !== undefined;
      });
      if (outcome !== 'ok') return outcome;
      const sealed = encryptTotpSecret(deps.keys.encryptionKey, account.id, key);
      const stored = await withFactorsLocked(deps.db, account.id, async (tx, factors) => {
        if (scope === 'first' && hasAnyFactor(factors)) return false;
        if (!(await insertConfirmedTotp(tx, account.id, sealed, step!))) return false;
        // in the transaction that stores it: the factor and its event commit together, or neither
        await deps.audit.recordWithin(tx, {
          ...facts,
          type: 'mfa.enrolled',
          outcome: 'success',
          target: target(account),
          details: { factor: 'totp' },
        });
        return true;
      });
      return stored ? 'ok' : 'not_allowed';
    },

    async recoveryCode(account, code, facts) {
      const hash = hashRecoveryCode(deps.keys.recoveryCodeKey, code);
      // The use of the code and its event are one transaction: a code is never spent unaudited. Still
      // spent once: a second use of the same code waits on the row the first one updated, then finds
      // it used.
      return counted(account, 'recovery_code', facts, () =>
        deps.db.transaction(async (tx) => {
          if (!(await useRecoveryCode(tx, account.id, hash))) return false;
          const remaining = await remainingRecoveryCodes(tx, account.id);
          await deps.audit.recordWithin(tx, {
            ...facts,
            type: 'mfa.recovery_code_used',
            outcome: 'success',
            target: target(account),
            details: { remaining },
          });
          return true;
        }),
      );
    },

    async passkeyChallenge(account) {
      const credentials = await listCredentials(deps.db, account.id);
      return credentials.length > 0 ? authenticationOptions(rp, credentials) : undefined;
    },

    async passkey(account, response, challenge, facts) {
      const credentialId = credentialIdOf(response);
      const credential = credentialId ? await findCredential(deps.db, credentialId) : undefined;
      // found by id alone: it must be this account's own, or it proves nothing about this account
      const verified =
        credential?.accountId === account.id && challenge ? await verifyAuthentication(rp, response, challenge, credential) : undefined;
      if (!credential || !verified || !(await recordCredentialUse(deps.db, credential.id, verified.newSignCount))) {
        deps.audit.record({
          ...facts,
          type: 'mfa.failed',
          outcome: 'failure',
          target: target(account),
          details: { factor: 'passkey', reason: 'not_verified' },
        });
        return undefined;
      }
      return credential;
    },

    async totpEnrolment(account, pending) {
      // one key per enrolment, and only for the page that holds it: reloading shows the key already
      // scanned; any other sign-in or page gets a key of its own
      const key = pending ?? generateTotpSecret();
      const uri = totpUri(key, { issuer: new URL(deps.issuer).host, account: account.email });
      return { key, display: key.replace(/(.{4})/g, '$1 ').trim(), qrSvg: await totpQrSvg(uri) };
    },

    async passkeyRegistration(account) {
      return registrationOptions(rp, account, await listCredentials(deps.db, account.id));
    },

    async registerPasskey(account, response, challenge, rawName, facts, scope) {
      const name = normalizeCredentialName(rawName ?? '') ?? 'Passkey';
      const registered = challenge ? await verifyRegistration(rp, response, challenge) : undefined;
      // a credential id already stored (this or another account's) is not registered twice
      return (
        registered &&
        withFactorsLocked(deps.db, account.id, async (tx, factors) => {
          if (scope === 'first' && hasAnyFactor(factors)) return undefined;
          const stored = await insertCredential(tx, { ...registered, accountId: account.id, name });
          // in the transaction that stores it: the passkey and its event commit together, or neither
          if (stored)
            await deps.audit.recordWithin(tx, {
              ...facts,
              type: 'mfa.enrolled',
              outcome: 'success',
              target: target(account),
              details: { factor: 'passkey', name },
            });
          return stored;
        })
      );
    },

    async issueRecoveryCodes(accountId, within) {
      const codes = generateRecoveryCodes();
      const hashes = codes.map((code) => hashRecoveryCode(deps.keys.recoveryCodeKey, code));
      await deps.db.transaction(async (tx) => {
        await replaceRecoveryCodes(tx, accountId, hashes);
        await within?.(tx, codes.length);
      });
      return codes;
    },
  };
}
