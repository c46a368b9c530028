// Queries for passkeys / WebAuthn credentials (table webauthn_credentials). Every statement that
// reads or changes one account's credentials for that account's own management pages is scoped by
// account_id as well as by the credential id, so that a request naming another account's credential
// id changes nothing and reveals nothing (the id alone is not a secret: it is sent to the browser in
// every ceremony's allowCredentials / excludeCredentials).
import type { Queryable } from './database.ts';

export type CredentialDeviceType = 'singleDevice' | 'multiDevice';

export interface StoredCredential {
  /** The credential id, base64url (as the browser reports it). */
  id: string;
  /** The account the credential belongs to: callers that found a credential by id alone compare it. */
  accountId: string;
  name: string;
  /** The COSE-encoded public key, base64url. */
  publicKey: string;
  signCount: number;
  transports: string[];
  deviceType: CredentialDeviceType;
  backedUp: boolean;
  createdAt: string;
  lastUsedAt: string | null;
}

/** A credential as registered: everything stored but the times, which the database sets. */
export type NewCredential = Omit<StoredCredential, 'createdAt' | 'lastUsedAt'>;

interface CredentialRow {
  id: string;
  account_id: string;
  name: string;
  public_key: string;
  // bigint: `pg` hands it over as a string, PGlite as a number
  sign_count: string | number | bigint;
  transports: string[] | null;
  device_type: string;
  backed_up: boolean;
  created_at: Date | string;
  last_used_at: Date | string | null;
}

const COLUMNS = 'id, account_id, name, public_key, sign_count, transports, device_type, backed_up, created_at, last_used_at';

const toCredential = (row: CredentialRow): StoredCredential => ({
  id: row.id,
  accountId: row.account_id,
  name: row.name,
  publicKey: row.public_key,
  signCount: Number(row.sign_count),
  transports: row.transports ?? [],
  // The column is plain text; anything but the two values WebAuthn defines is read as the more
  // cautious one (synced), which only ever lowers the assurance derived from it.
  deviceType: row.device_type === 'singleDevice' ? 'singleDevice' : 'multiDevice',
  backedUp: row.backed_up,
  createdAt: new Date(row.created_at).toISOString(),
  lastUsedAt: row.last_used_at === null ? null : new Date(row.last_used_at).toISOString(),
});

// A malformed account id would make PostgreSQL raise "invalid input syntax for type uuid"; it can
// own no credential, so the scoped queries answer "nothing" for it instead.
const isUuid = (value: string) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value);

/** The authenticator counter is an unsigned 32-bit value; anything else is a caller bug. */
function assertSignCount(value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > 0xffff_ffff) throw new RangeError(`invalid WebAuthn sign count: ${value}`);
}

/**
 * Stores a newly registered credential. Resolves to `undefined` when a credential with this id is
 * already stored (for this or any other account): the existing row is left untouched, so a replayed
 * registration can never move a credential from one account to another.
 */
export async function insertCredential(db: Queryable, credential: NewCredential): Promise<StoredCredential | undefined> {
  assertSignCount(credential.signCount);
  const { rows } = await db.query<CredentialRow>(
    `INSERT INTO webauthn_credentials (id, account_id, name, public_key, sign_count, transports, device_type, backed_up)
     VALUES ($1, $2, $3, $4, $5, $6::text[], $7, $8)
     ON CONFLICT (id) DO NOTHING
     RETURNING ${COLUMNS}`,
    [
      credential.id,
      credential.accountId,
      credential.name,
      credential.publicKey,
      credential.signCount,
      credential.transports,
      credential.deviceType,
      credential.backedUp,
    ],
  );
  return rows[0] && toCredential(rows[0]);
}

/** The account's credentials, oldest first. */
export async function listCredentials(db: Queryable, accountId: string): Promise<StoredCredential[]> {
  if (!isUuid(accountId)) return [];
  const { rows } = await db.query<CredentialRow>(
    `SELECT ${COLUMNS} FROM webauthn_credentials WHERE account_id = $1 ORDER BY created_at, id`,
    [accountId],
  );
  return rows.map(toCredential);
}

/**
 * One credential by id, whoever owns it. A sign-in that looks a credential up this way must check
 * `accountId` against the account signing in (or use `listCredentials` and pick from that).
 */
export async function findCredential(db: Queryable, id: string): Promise<StoredCredential | undefined> {
  const { rows } = await db.query<CredentialRow>(`SELECT ${COLUMNS} FROM webauthn_credentials WHERE id = $1`, [id]);
  return rows[0] && toCredential(rows[0]);
}

/**
 * Records a successful assertion: the new signature counter and the time of use. The counter check
 * is part of the UPDATE itself, so two assertions verified in parallel against the same stored
 * counter cannot both be accepted. Following WebAuthn (§6.1.1, signature counter), once either the
 * stored or the reported counter is non-zero the reported one must be strictly greater; both zero is
 * what authenticators without a counter (most synced passkeys) always send, and is accepted.
 * Resolves to false when refused — a counter that did not advance means a possibly cloned
 * authenticator — or when the credential no longer exists; the caller then rejects the sign-in.
 */
export async function recordCredentialUse(db: Queryable, id: string, newSignCount: number): Promise<boolean> {
  assertSignCount(newSignCount);
  const { rowCount } = await db.query(
    `UPDATE webauthn_credentials SET sign_count = $2::bigint, last_used_at = now()
     WHERE id = $1 AND ($2::bigint > sign_count OR ($2::bigint = 0 AND sign_count = 0))`,
    [id, newSignCount],
  );
  return rowCount > 0;
}

/** Renames one of the account's own credentials; false when the account has no such credential. */
export async function renameCredential(db: Queryable, accountId: string, id: string, name: string): Promise<boolean> {
  if (!isUuid(accountId)) return false;
  const { rowCount } = await db.query('UPDATE webauthn_credentials SET name = $3 WHERE account_id = $1 AND id = $2', [accountId, id, name]);
  return rowCount > 0;
}

/** Deletes one of the account's own credentials; false when the account has no such credential. */
export async function deleteCredential(db: Queryable, accountId: string, id: string): Promise<boolean> {
  if (!isUuid(accountId)) return false;
  const { rowCount } = await db.query('DELETE FROM webauthn_credentials WHERE account_id = $1 AND id = $2', [accountId, id]);
  return rowCount > 0;
}
