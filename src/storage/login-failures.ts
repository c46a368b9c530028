// Queries for the failed-login counters (table login_failures). One row per login identifier that
// failed recently, and per device cookie that failed; `subject_key` is an HMAC of the canonical email
// (or of the cookie's nonce), never the address itself.
import { canonicalEmail } from './canonical-email.ts';
import { preparedStatement, type Queryable } from './database.ts';
import { toAccount, type AccountRow, type AccountWithCredentials } from './accounts.ts';

export interface LockPolicy {
  threshold: number;
  delaySeconds: number;
  maxDelaySeconds: number;
  resetSeconds: number;
}

export type Reservation =
  /** The identifier is locked: the attempt is refused without being verified or counted. */
  | { admitted: false }
  /**
   * The attempt is counted as a failure until it proves otherwise; `lockedUntil` is set when this
   * attempt started a lock. `account` is the account of that email, if there is one. `knownDevice`:
   * it was counted on the device cookie's budget, not the identifier's (which was not even read).
   */
  | {
      admitted: true;
      knownDevice: boolean;
      failures: number;
      lockedUntil: Date | undefined;
      epoch: number;
      account: AccountWithCredentials | undefined;
      hasSecondFactor: boolean;
    };

/** A device cookie presented with the attempt: its counter's key, the account it names, its budget. */
export interface DeviceAttempt {
  subjectKey: string;
  accountId: string;
  /**
   * The account's credential epoch the cookie was issued at: a reset since (a new password,
   * sign-out-everywhere, disabling) moved the epoch on, and the cookie counts for nothing.
   */
  credentialEpoch: number;
  /** Failures it may spend; then it counts for nothing. */
  budget: number;
  /** How long a spent budget is kept (as long as the cookie could live), so no prune gives it back. */
  spentForSeconds: number;
}

interface ReservationRow {
  failures: number;
  locked_until: Date | string | null;
  epoch: number;
}

interface AdmittedRow extends ReservationRow {
  known_device: boolean;
  account: AccountRow | null;
  has_second_factor: boolean | null;
}

// $1 identifier key, $2 now, $3-$6 the lock policy, $7 the email's canonical form, $8-$11 the device
// cookie (key, account, budget, how long a spent one is kept; NULL without one), $12 the credential
// epoch the cookie was issued at.
const RESERVE_SQL = preparedStatement(
  'portcullis_reserve_login_attempt',
  `WITH account AS (
       SELECT * FROM accounts WHERE email_key = $7
     ),
     device AS (
       INSERT INTO login_failures AS f (subject_key, failures, locked_until, last_failure_at)
       SELECT $8::text, 1, CASE WHEN $10::int <= 1 THEN $2::timestamptz + make_interval(secs => $11::int) END, $2::timestamptz
       FROM account WHERE account.id = $9::uuid AND account.credential_epoch = $12::bigint
       ON CONFLICT (subject_key) DO UPDATE SET (failures, locked_until, last_failure_at) = (
         f.failures + 1,
         CASE WHEN f.failures + 1 >= $10::int THEN $2::timestamptz + make_interval(secs => $11::int) END,
         $2::timestamptz
       )
       WHERE f.failures < $10::int
       RETURNING failures
     ),
     attempt AS (
       INSERT INTO login_failures AS f (subject_key, failures, locked_until, last_failure_at)
       SELECT $1, 1, CASE WHEN $3::int <= 1 THEN $2::timestamptz + make_interval(secs => least($4::int, $5::int)) END, $2::timestamptz
       WHERE NOT EXISTS (SELECT FROM device)
       ON CONFLICT (subject_key) DO UPDATE SET (failures, locked_until, last_failure_at) = (
         SELECT next.failures,
                CASE WHEN next.failures >= $3::int
                     THEN $2::timestamptz + make_interval(secs => least($4::int * power(2, least(next.failures - $3::int, 30)), $5::int))
                END,
                $2::timestamptz
         FROM (SELECT CASE WHEN f.last_failure_at <= $2::timestamptz - make_interval(secs => $6::int) THEN 1 ELSE f.failures + 1 END AS failures) AS next
       )
       WHERE f.locked_until IS NULL OR f.locked_until <= $2::timestamptz
       RETURNING failures, locked_until, epoch
     )
     SELECT counted.known_device, counted.failures, counted.locked_until, counted.epoch, to_jsonb(account) AS account,
            EXISTS (SELECT 1 FROM mfa_totp WHERE account_id = account.id AND confirmed_at IS NOT NULL)
              OR EXISTS (SELECT 1 FROM webauthn_credentials WHERE account_id = account.id) AS has_second_factor
     FROM (SELECT true AS known_device, failures, NULL::timestamptz AS locked_until, 0 AS epoch FROM device
           UNION ALL
           SELECT false, failures, locked_until, epoch FROM attempt) AS counted
     LEFT JOIN account ON true`,
);

/**
 * Counts an attempt before its password is verified, in one atomic statement: unless the identifier
 * is locked, the failure count goes up (or restarts at 1 once `resetSeconds` passed since the last
 * failure), and reaching the threshold locks it for delay × 2^(failures − threshold), at most
 * `maxDelaySeconds`. Counting first means parallel requests cannot slip more guesses past the
 * threshold than it allows: the row lock serialises them, and a locked row returns nothing.
 * The same statement reads the account of `email` (by its canonical form) and whether it has a
 * second factor (one round trip for the whole check); an unknown email is counted exactly like a
 * known one.
 *
 * With a device cookie naming the email's account at its current credential epoch and budget left, the attempt is counted on the
 * cookie's own counter instead, and the identifier's lock does not apply: the budget is spent
 * exactly, under the same row lock; a spent budget (or a cookie of another account) counts for
 * nothing and the attempt is an unknown browser's.
 */
export async function reserveLoginAttempt(
  db: Queryable,
  attempt: { subjectKey: string; email: string; device?: DeviceAttempt | undefined },
  now: Date,
  policy: LockPolicy,
): Promise<Reservation> {
  const { device } = attempt;
  const { rows } = await db.query<AdmittedRow>(RESERVE_SQL, [
    attempt.subjectKey,
    now.toISOString(),
    policy.threshold,
    policy.delaySeconds,
    policy.maxDelaySeconds,
    policy.resetSeconds,
    canonicalEmail(attempt.email),
    device?.subjectKey ?? null,
    device?.accountId ?? null,
    device?.budget ?? 0,
    device?.spentForSeconds ?? 0,
    device?.credentialEpoch ?? null,
  ]);
  const row = rows[0];
  if (!row) return { admitted: false };
  return {
    admitted: true,
    knownDevice: row.known_device,
    failures: row.failures,
    lockedUntil: row.locked_until === null ? undefined : new Date(row.locked_until),
    epoch: row.epoch,
    account: row.account ? toAccount(row.account) : undefined,
    hasSecondFactor: row.has_second_factor === true,
  };
}

// Committed without waiting for the WAL to reach the disk (synchronous_commit off, for this
// statement's transaction only). The clear is the one write of a login that may be lost in a crash
// of PostgreSQL: the count then stays one success too high, which errs towards locking. It saves a
// disk flush per login (~0.3 ms of host CPU in bench:login) on the path where the CPU goes to argon2.
const CLEAR_SQL = preparedStatement(
  'portcullis_clear_login_failures',
  `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
     UPDATE login_failures SET failures = 0, locked_until = NULL FROM relaxed
     WHERE subject_key = ANY($1::text[]) AND (failures > 0 OR locked_until IS NOT NULL)`,
);

/** A successful login: the counts and any locks of these keys are cleared (the epoch stays). */
export async function clearLoginFailures(db: Queryable, ...subjectKeys: string[]): Promise<void> {
  await db.query(CLEAR_SQL, [subjectKeys]);
}

export interface LockState {
  failures: number;
  lockedUntil: Date | undefined;
}

export async function findLoginFailures(db: Queryable, subjectKey: string): Promise<LockState | undefined> {
  const { rows } = await db.query<ReservationRow>('SELECT failures, locked_until, epoch FROM login_failures WHERE subject_key = $1', [
    subjectKey,
  ]);
  const row = rows[0];
  return row && { failures: row.failures, lockedUntil: row.locked_until === null ? undefined : new Date(row.locked_until) };
}

/**
 * An administrator's unlock: the count and lock are cleared and the epoch moves on, which also
 * retires every per-(account, IP) counter of this identifier. Returns what was there before.
 */
export async function unlockLoginSubject(db: Queryable, subjectKey: string): Promise<LockState | undefined> {
  const { rows } = await db.query<ReservationRow>(
    `UPDATE login_failures AS f SET failures = 0, locked_until = NULL, epoch = f.epoch + 1
     FROM (SELECT failures, locked_until FROM login_failures WHERE subject_key = $1 FOR UPDATE) AS before
     WHERE f.subject_key = $1
     RETURNING before.failures, before.locked_until, f.epoch`,
    [subjectKey],
  );
  const row = rows[0];
  return row && { failures: row.failures, lockedUntil: row.locked_until === null ? undefined : new Date(row.locked_until) };
}

/**
 * `unlockLoginSubject` for each of an account's counters (its email's and its second factor's):
 * whether a lock was in force at `now` on any of them, and the failures they held together.
 */
export async function unlockLoginSubjects(
  db: Queryable,
  subjectKeys: string[],
  now: Date,
): Promise<{ wasLocked: boolean; failures: number }> {
  let wasLocked = false;
  let failures = 0;
  for (const subjectKey of subjectKeys) {
    const before = await unlockLoginSubject(db, subjectKey);
    wasLocked ||= before?.lockedUntil !== undefined && before.lockedUntil > now;
    failures += before?.failures ?? 0;
  }
  return { wasLocked, failures };
}

/** An account's removal: its second-factor counter goes (an account id is never reused). */
export async function deleteLoginFailures(db: Queryable, subjectKey: string): Promise<void> {
  await db.query('DELETE FROM login_failures WHERE subject_key = $1', [subjectKey]);
}

/** Rows whose count has long been forgotten (the longest reset window is 30 days) and that hold no lock. */
export async function pruneLoginFailures(db: Queryable): Promise<void> {
  await db.query(
    `DELETE FROM login_failures WHERE last_failure_at < now() - interval '30 days' AND (locked_until IS NULL OR locked_until < now())`,
  );
}
