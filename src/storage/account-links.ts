// The account_links table: one-time links by email, stored as the SHA-256 of their token.
import type { Queryable } from './database.ts';

export type LinkPurpose = 'verify_email' | 'reset_password' | 'invite' | 'change_email';

export interface StoredLink {
  id: string;
  accountId: string;
  purpose: LinkPurpose;
  credentialEpoch: number;
  detail: Record<string, string>;
  expiresAt: Date;
}

interface LinkRow {
  id: string;
  account_id: string;
  purpose: LinkPurpose;
  credential_epoch: string;
  detail: Record<string, string>;
  expires_at: Date | string;
}

const toLink = (row: LinkRow): StoredLink => ({
  id: row.id,
  accountId: row.account_id,
  purpose: row.purpose,
  credentialEpoch: Number(row.credential_epoch),
  detail: row.detail,
  expiresAt: new Date(row.expires_at),
});

const COLUMNS = 'id::text AS id, account_id, purpose, credential_epoch::text AS credential_epoch, detail, expires_at';

/** Writes a new link and voids every unused link of the same purpose the account had. */
export async function insertLink(
  tx: Queryable,
  link: {
    accountId: string;
    purpose: LinkPurpose;
    tokenHash: Buffer;
    credentialEpoch: number;
    detail: Record<string, string>;
    expiresAt: Date;
    now: Date;
  },
): Promise<void> {
  await tx.query('UPDATE account_links SET used_at = $3 WHERE account_id = $1 AND purpose = $2 AND used_at IS NULL', [
    link.accountId,
    link.purpose,
    link.now,
  ]);
  await tx.query(
    'INSERT INTO account_links (account_id, purpose, token_hash, credential_epoch, detail, expires_at, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)',
    [link.accountId, link.purpose, link.tokenHash, link.credentialEpoch, JSON.stringify(link.detail), link.expiresAt, link.now],
  );
}

/** The unused, unexpired link of `purpose` with this token hash, without using it. */
export async function findUsableLink(db: Queryable, purpose: LinkPurpose, tokenHash: Buffer, now: Date): Promise<StoredLink | undefined> {
  const { rows } = await db.query<LinkRow>(
    `SELECT ${COLUMNS} FROM account_links WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3`,
    [tokenHash, purpose, now],
  );
  return rows[0] && toLink(rows[0]);
}

/** Uses the link, once: of two parallel redemptions exactly one gets it. */
export async function useLink(tx: Queryable, purpose: LinkPurpose, tokenHash: Buffer, now: Date): Promise<StoredLink | undefined> {
  const { rows } = await tx.query<LinkRow>(
    `UPDATE account_links SET used_at = $3 WHERE token_hash = $1 AND purpose = $2 AND used_at IS NULL AND expires_at > $3 RETURNING ${COLUMNS}`,
    [tokenHash, purpose, now],
  );
  return rows[0] && toLink(rows[0]);
}
