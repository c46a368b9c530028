// Queries for second factors: the TOTP authenticator, recovery codes, and what an account has.
// Every "use" is one conditional UPDATE whose row count says whether this caller won: two processes
// given the same code at the same moment cannot both accept it, whatever the interleaving.
import { bumpCredentialEpoch } from './accounts.ts';
import { inTransaction, type Database, type Queryable } from './database.ts';

/**
 * Runs `work` with the account's row locked and what factors it has, in one transaction: whatever
 * adds a factor under a condition on the factors already there (a sign-in enrols only a first one)
 * decides and writes while no other addition or removal can slip in between.
 */
export async function withFactorsLocked<T>(
  db: Queryable | Database,
  accountId: string,
  work: (tx: Queryable, factors: FactorSummary) => Promise<T>,
): Promise<T> {
  return inTransaction(db, async (tx) => {
    await tx.query(`SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [accountId]);
    return work(tx, await describeFactors(tx, accountId));
  });
}

/**
 * Stores the account's authenticator app, confirmed by the first correct code (whose step becomes
 * the last used one, so that code cannot be replayed as a sign-in). The key being enrolled is never
 * stored before: it lives in the sealed state of the one sign-in or page that showed it. False, and
 * nothing changes, when the account already has a confirmed authenticator app.
 */
export async function insertConfirmedTotp(db: Queryable, accountId: string, secretEncrypted: string, step: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `INSERT INTO mfa_totp (account_id, secret_encrypted, confirmed_at, last_used_step) VALUES ($1, $2, now(), $3)
     ON CONFLICT (account_id) DO UPDATE
       SET secret_encrypted = EXCLUDED.secret_encrypted, confirmed_at = now(), last_used_step = EXCLUDED.last_used_step, created_at = now()
       WHERE mfa_totp.confirmed_at IS NULL`,
    [accountId, secretEncrypted, step],
  );
  return rowCount === 1;
}

export interface StoredTotp {
  secretEncrypted: string;
  confirmed: boolean;
  lastUsedStep: number;
}

export async function findTotp(db: Queryable, accountId: string): Promise<StoredTotp | undefined> {
  const { rows } = await db.query<{ secret_encrypted: string; confirmed: boolean; last_used_step: string | number | bigint }>(
    `SELECT secret_encrypted, confirmed_at IS NOT NULL AS confirmed, last_used_step FROM mfa_totp WHERE account_id = $1`,
    [accountId],
  );
  const row = rows[0];
  // bigint arrives as a string (pg) or a number/bigint (PGlite); steps are ~5.8e7, safely a number.
  return row && { secretEncrypted: row.secret_encrypted, confirmed: row.confirmed, lastUsedStep: Number(row.last_used_step) };
}

/**
 * Claims a verified code's step for a sign-in. True only for the one caller that moved the account's
 * last used step forward to `step`: the same code again (here or in another process, even at the
 * same instant: the row lock serialises the UPDATEs and the loser re-checks the condition), or a code
 * of an older step than one already used, gets false.
 */
export async function useTotpStep(db: Queryable, accountId: string, step: number): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE mfa_totp SET last_used_step = $2
     WHERE account_id = $1 AND confirmed_at IS NOT NULL AND last_used_step < $2`,
    [accountId, step],
  );
  return rowCount === 1;
}

/**
 * Replaces the account's recovery codes with `hashes` (see hashRecoveryCode): the old set, used or
 * not, stops working in the same transaction. `db` may be a Database or the caller's transaction.
 */
export async function replaceRecoveryCodes(db: Queryable | Database, accountId: string, hashes: readonly string[]): Promise<void> {
  await inTransaction(db, async (tx) => {
    // Lock the account row first: two replacements at once then run one after the other, instead of
    // each deleting only the rows it can see and both sets surviving.
    await tx.query(`SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE`, [accountId]);
    await tx.query(`DELETE FROM mfa_recovery_codes WHERE account_id = $1`, [accountId]);
    if (hashes.length > 0) {
      await tx.query(`INSERT INTO mfa_recovery_codes (account_id, code_hash) SELECT $1, unnest($2::text[])`, [accountId, [...hashes]]);
    }
  });
}

/** Spends a recovery code (by its hash): true once, false if unknown, already used or replaced. */
export async function useRecoveryCode(db: Queryable, accountId: string, hash: string): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE mfa_recovery_codes SET used_at = now() WHERE account_id = $1 AND code_hash = $2 AND used_at IS NULL`,
    [accountId, hash],
  );
  return rowCount === 1;
}

export async function remainingRecoveryCodes(db: Queryable, accountId: string): Promise<number> {
  const { rows } = await db.query<{ left: number }>(
    `SELECT count(*)::int AS left FROM mfa_recovery_codes WHERE account_id = $1 AND used_at IS NULL`,
    [accountId],
  );
  return rows[0]?.left ?? 0;
}

export interface FactorSummary {
  /** A confirmed TOTP authenticator exists (an enrolment in progress is not a factor). */
  totp: boolean;
  recoveryCodesLeft: number;
  passkeys: number;
}

/** What second factors the account has, in one round trip. */
export async function describeFactors(db: Queryable, accountId: string): Promise<FactorSummary> {
  const { rows } = await db.query<{ totp: boolean; recovery_codes_left: number; passkeys: number }>(
    `SELECT EXISTS (SELECT 1 FROM mfa_totp WHERE account_id = $1 AND confirmed_at IS NOT NULL) AS totp,
            (SELECT count(*)::int FROM mfa_recovery_codes WHERE account_id = $1 AND used_at IS NULL) AS recovery_codes_left,
            (SELECT count(*)::int FROM webauthn_credentials WHERE account_id = $1) AS passkeys`,
    [accountId],
  );
  const row = rows[0]!;
  return { totp: row.totp, recoveryCodesLeft: row.recovery_codes_left, passkeys: row.passkeys };
}

/**
 * Removes every second factor of the account (TOTP, all recovery codes, all passkeys) in one
 * transaction, and says how many rows of each went. The credential epoch moves on with them: a
 * sign-in or account-page proof begun before the reset is void. `db` may be a Database or the
 * caller's transaction (for example one that also writes the audit event).
 */
export async function deleteSecondFactors(
  db: Queryable | Database,
  accountId: string,
): Promise<{ totp: number; recoveryCodes: number; passkeys: number }> {
  return inTransaction(db, async (tx) => {
    const totp = await tx.query(`DELETE FROM mfa_totp WHERE account_id = $1`, [accountId]);
    const recoveryCodes = await tx.query(`DELETE FROM mfa_recovery_codes WHERE account_id = $1`, [accountId]);
    const passkeys = await tx.query(`DELETE FROM webauthn_credentials WHERE account_id = $1`, [accountId]);
    await bumpCredentialEpoch(tx, accountId);
    return { totp: totp.rowCount, recoveryCodes: recoveryCodes.rowCount, passkeys: passkeys.rowCount };
  });
}

/** Removes the account's authenticator app; true when there was one. */
export async function deleteTotp(db: Queryable, accountId: string): Promise<boolean> {
  const { rowCount } = await db.query('DELETE FROM mfa_totp WHERE account_id = $1', [accountId]);
  return rowCount > 0;
}
