// Queries for the failed-login counters (table login_failures). One row per login identifier that
// failed recently; `subject_key` is an HMAC of the normalised email, never the address itself.
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
   * attempt started a lock. `account` is the account of that email, if there is one.
   */
  | { admitted: true; failures: number; lockedUntil: Date | undefined; epoch: number; account: AccountWithCredentials | undefined; hasSecondFactor: boolean };

interface ReservationRow {
  failures: number;
  locked_until: Date | string | null;
  epoch: number;
}

interface AdmittedRow extends ReservationRow {
  account: AccountRow | null;
  has_second_factor: boolean | null;
}

const RESERVE_SQL = preparedStatement('portcullis_reserve_login_attempt', `WITH attempt AS (
     INSERT INTO login_failures AS f (subject_key, failures, locked_until, last_failure_at)
     VALUES ($1, 1, CASE WHEN $3::int <= 1 THEN $2::timestamptz + make_interval(secs => least($4::int, $5::int)) END, $2::timestamptz)
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
     SELECT attempt.failures, attempt.locked_until, attempt.epoch, to_jsonb(account) AS account,
            EXISTS (SELECT 1 FROM mfa_totp WHERE account_id = account.id AND confirmed_at IS NOT NULL)
              OR EXISTS (SELECT 1 FROM webauthn_credentials WHERE account_id = account.id) AS has_second_factor
     FROM attempt LEFT JOIN accounts AS account ON lower(account.email) = lower($7)`);

/**
 * Counts an attempt before its password is verified, in one atomic statement: unless the identifier
 * is locked, the failure count goes up (or restarts at 1 once `resetSeconds` passed since the last
 * failure), and reaching the threshold locks it for delay × 2^(failures − threshold), at most
 * `maxDelaySeconds`. Counting first means parallel requests cannot slip more guesses past the
 * threshold than it allows: the row lock serialises them, and a locked row returns nothing.
 * The same statement reads the account of `email` and whether it has a second factor (one round
 * trip for the whole check); an unknown email is counted exactly like a known one.
 */
export async function reserveLoginAttempt(db: Queryable, attempt: { subjectKey: string; email: string }, now: Date, policy: LockPolicy): Promise<Reservation> {
  const { rows } = await db.query<AdmittedRow>(
    RESERVE_SQL,
    [attempt.subjectKey, now.toISOString(), policy.threshold, policy.delaySeconds, policy.maxDelaySeconds, policy.resetSeconds, attempt.email],
  );
  const row = rows[0];
  if (!row) return { admitted: false };
  return {
    admitted: true,
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
const CLEAR_SQL = preparedStatement('portcullis_clear_login_failures', `WITH relaxed AS (SELECT set_config('synchronous_commit', 'off', true))
     UPDATE login_failures SET failures = 0, locked_until = NULL FROM relaxed
     WHERE subject_key = $1 AND (failures > 0 OR locked_until IS NOT NULL)`);

/** A successful login: the count and any lock are cleared (the epoch stays). */
export async function clearLoginFailures(db: Queryable, subjectKey: string): Promise<void> {
  await db.query(CLEAR_SQL, [subjectKey]);
}

export interface LockState {
  failures: number;
  lockedUntil: Date | undefined;
}

export async function findLoginFailures(db: Queryable, subjectKey: string): Promise<LockState | undefined> {
  const { rows } = await db.query<ReservationRow>('SELECT failures, locked_until, epoch FROM login_failures WHERE subject_key = $1', [subjectKey]);
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

/** Rows whose count has long been forgotten (the longest reset window is 30 days) and that hold no lock. */
export async function pruneLoginFailures(db: Queryable): Promise<void> {
  await db.query(`DELETE FROM login_failures WHERE last_failure_at < now() - interval '30 days' AND (locked_until IS NULL OR locked_until < now())`);
}
