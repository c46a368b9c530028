// Queries for user accounts. An email is found and kept unique by its canonical form (email_key,
// src/storage/canonical-email.ts), which every write of an email sets with it.
import { randomUUID } from 'node:crypto';
import { canonicalEmail } from './canonical-email.ts';
import type { Queryable } from './database.ts';

export interface Account {
  id: string;
  email: string;
  name: string | null;
  emailVerified: boolean;
  disabled: boolean;
  /** This user must sign in with a second factor (besides MFA_POLICY). */
  mfaRequired: boolean;
  /** An administrator: always signs in with a second factor. */
  isAdmin: boolean;
  /** Must choose a new password at the next sign-in, before it finishes (an administrator asked). */
  passwordChangeRequired: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface AccountWithCredentials extends Account {
  passwordHash: string | null;
  /**
   * Moved on by every reset (a new password, sign-out-everywhere, disabling, removal of the second
   * factors): a sign-in or an account-page proof that began at another epoch is void.
   */
  credentialEpoch: number;
}

/** An accounts row (also as `to_jsonb(accounts)`, where timestamps arrive as strings). */
export interface AccountRow {
  id: string;
  email: string;
  name: string | null;
  email_verified: boolean;
  password_hash: string | null;
  disabled_at: Date | string | null;
  mfa_required: boolean;
  is_admin: boolean;
  password_change_required: boolean;
  // bigint: `pg` hands it over as a string, PGlite and to_jsonb as a number
  credential_epoch: string | number | bigint;
  created_at: Date | string;
  updated_at: Date | string;
}

const COLUMNS =
  'id, email, name, email_verified, password_hash, disabled_at, mfa_required, is_admin, password_change_required, credential_epoch, created_at, updated_at';

export const toAccount = (row: AccountRow): AccountWithCredentials => ({
  id: row.id,
  email: row.email,
  name: row.name,
  emailVerified: row.email_verified,
  disabled: row.disabled_at !== null,
  mfaRequired: row.mfa_required,
  isAdmin: row.is_admin,
  passwordChangeRequired: row.password_change_required,
  createdAt: new Date(row.created_at).toISOString(),
  updatedAt: new Date(row.updated_at).toISOString(),
  passwordHash: row.password_hash,
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- the row type is written by hand; the database is the authority
  credentialEpoch: Number(row.credential_epoch ?? 0),
});

export const withoutCredentials = ({ passwordHash: _hidden, credentialEpoch: _epoch, ...account }: AccountWithCredentials): Account =>
  account;

export async function insertAccount(
  db: Queryable,
  input: { email: string; name: string | null; passwordHash: string; emailVerified?: boolean; mfaRequired?: boolean; isAdmin?: boolean },
): Promise<Account> {
  const { rows } = await db.query<AccountRow>(
    `INSERT INTO accounts (id, email, email_key, name, password_hash, email_verified, mfa_required, is_admin) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING ${COLUMNS}`,
    [
      randomUUID(),
      input.email,
      canonicalEmail(input.email),
      input.name,
      input.passwordHash,
      input.emailVerified ?? false,
      input.mfaRequired ?? false,
      input.isAdmin ?? false,
    ],
  );
  return withoutCredentials(toAccount(rows[0]!));
}

/**
 * A scalar subquery yielding `to_jsonb` of the account whose id is the text `idText` (an SQL
 * expression), or NULL: for statements that read an account along with what refers to it. A text
 * that is not a UUID finds nothing rather than failing the cast (CASE evaluates the cast only then).
 */
export const accountJsonById = (idText: string): string =>
  `(SELECT to_jsonb(account) FROM (SELECT ${COLUMNS} FROM accounts
     WHERE id = CASE WHEN ${idText} ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN (${idText})::uuid END) AS account)`;

export async function findAccountById(db: Queryable, id: string): Promise<AccountWithCredentials | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await db.query<AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE id = $1`, [id]);
  return rows[0] && toAccount(rows[0]);
}

/** The account of `email` in any of its spellings (the same canonical form). */
export async function findAccountByEmail(db: Queryable, email: string): Promise<AccountWithCredentials | undefined> {
  const { rows } = await db.query<AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE email_key = $1`, [canonicalEmail(email)]);
  return rows[0] && toAccount(rows[0]);
}

export interface AccountSearch {
  /** Part of the email or name, any case. */
  query?: string | undefined;
  status?: 'active' | 'disabled' | undefined;
  /** Resume after this position of the (lower(email), id) order. */
  after?: readonly [email: string, id: string] | undefined;
  limit: number;
}

/** `%` and `_` match themselves in a LIKE pattern built from user input. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;

/** Accounts in email order (case-insensitive), matching the search. */
export async function searchAccounts(db: Queryable, search: AccountSearch): Promise<Account[]> {
  const conditions: string[] = [];
  const values: unknown[] = [];
  if (search.query) {
    values.push(likePattern(search.query));
    conditions.push(`(email ILIKE $${values.length} OR coalesce(name, '') ILIKE $${values.length})`);
  }
  if (search.status) conditions.push(search.status === 'disabled' ? 'disabled_at IS NOT NULL' : 'disabled_at IS NULL');
  if (search.after) {
    values.push(search.after[0], search.after[1]);
    conditions.push(`(lower(email), id::text) > ($${values.length - 1}, $${values.length})`);
  }
  values.push(search.limit);
  const where = conditions.length > 0 ? `WHERE ${conditions.join(' AND ')}` : '';
  const { rows } = await db.query<AccountRow>(
    `SELECT ${COLUMNS} FROM accounts ${where} ORDER BY lower(email), id::text LIMIT $${values.length}`,
    values,
  );
  return rows.map((row) => withoutCredentials(toAccount(row)));
}

/** Disabling also moves the credential epoch: what was proven before must not come back with an enable. */
export async function setAccountDisabled(db: Queryable, id: string, disabled: boolean): Promise<boolean> {
  const { rowCount } = await db.query(
    `UPDATE accounts SET disabled_at = CASE WHEN $2 THEN coalesce(disabled_at, now()) END,
       credential_epoch = credential_epoch + CASE WHEN $2 THEN 1 ELSE 0 END, updated_at = now()
     WHERE id = $1`,
    [id, disabled],
  );
  return rowCount > 0;
}

export async function updatePasswordHash(db: Queryable, id: string, passwordHash: string): Promise<void> {
  await db.query('UPDATE accounts SET password_hash = $2, updated_at = now() WHERE id = $1', [id, passwordHash]);
}

/** The account with its row locked until the transaction ends (an update reads, checks, then writes). */
export async function findAccountForUpdate(tx: Queryable, id: string): Promise<AccountWithCredentials | undefined> {
  if (!/^[0-9a-f-]{36}$/i.test(id)) return undefined;
  const { rows } = await tx.query<AccountRow>(`SELECT ${COLUMNS} FROM accounts WHERE id = $1 FOR UPDATE`, [id]);
  return rows[0] && toAccount(rows[0]);
}

/** What an administrator may change about an account (users.update); absent: unchanged. */
export interface AccountChanges {
  email?: string;
  name?: string | null;
  emailVerified?: boolean;
  mfaRequired?: boolean;
  isAdmin?: boolean;
}

/** Applies `changes` (at least one) to the account; a duplicate email (in any spelling) fails with SQLSTATE 23505. */
export async function updateAccount(tx: Queryable, id: string, changes: AccountChanges): Promise<void> {
  const columns: Record<keyof AccountChanges, string> = {
    email: 'email',
    name: 'name',
    emailVerified: 'email_verified',
    mfaRequired: 'mfa_required',
    isAdmin: 'is_admin',
  };
  const assignments: string[] = [];
  const values: unknown[] = [id];
  for (const [field, column] of Object.entries(columns) as [keyof AccountChanges, string][]) {
    if (changes[field] === undefined) continue;
    values.push(changes[field]);
    assignments.push(`${column} = $${values.length}`);
  }
  if (changes.email !== undefined) {
    values.push(canonicalEmail(changes.email));
    assignments.push(`email_key = $${values.length}`);
  }
  if (assignments.length === 0) return;
  await tx.query(`UPDATE accounts SET ${assignments.join(', ')}, updated_at = now() WHERE id = $1`, values);
}

/**
 * A new password (its hash); `mustChange` says whether the user must replace it at the next sign-in.
 * The credential epoch moves on with it: every sign-in and account-page proof begun before is void.
 * (A rehash of the same password on login is `updatePasswordHash`, which voids nothing.)
 */
export async function setAccountPassword(db: Queryable, id: string, passwordHash: string, mustChange: boolean): Promise<void> {
  await db.query(
    'UPDATE accounts SET password_hash = $2, password_change_required = $3, credential_epoch = credential_epoch + 1, updated_at = now() WHERE id = $1',
    [id, passwordHash, mustChange],
  );
}

/** Voids every sign-in in progress and account-page proof of the account (sign-out-everywhere, factor reset). */
export async function bumpCredentialEpoch(db: Queryable, id: string): Promise<void> {
  await db.query('UPDATE accounts SET credential_epoch = credential_epoch + 1 WHERE id = $1', [id]);
}

export async function setPasswordChangeRequired(db: Queryable, id: string, required: boolean): Promise<void> {
  await db.query('UPDATE accounts SET password_change_required = $2, updated_at = now() WHERE id = $1', [id, required]);
}

/**
 * Deletes the account row. Its authenticator app, passkeys and recovery codes go with it (ON DELETE
 * CASCADE); sessions, grants and tokens (oidc_models, no foreign key) must be deleted by the caller.
 */
export async function deleteAccount(tx: Queryable, id: string): Promise<boolean> {
  const { rowCount } = await tx.query('DELETE FROM accounts WHERE id = $1', [id]);
  return rowCount > 0;
}
