// The registration facts of an account (migrations/0017): created through the sign-up page and not
// verified yet, or invited and not activated yet. The rest of the account is storage/accounts.ts'.
import { randomUUID } from 'node:crypto';
import { canonicalEmail } from './canonical-email.ts';
import type { Queryable } from './database.ts';

/**
 * A self-registered account, unverified: it cannot sign in until its email is verified. Returns its
 * id, or undefined when the address (in any spelling) already has an account (nothing is written).
 */
export async function insertSignedUpAccount(
  tx: Queryable,
  input: { email: string; name: string; passwordHash: string },
): Promise<{ id: string; credentialEpoch: number } | undefined> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO accounts (id, email, email_key, name, password_hash, email_verified, verification_required)
     VALUES ($1, $2, $3, $4, $5, false, true) ON CONFLICT (email_key) DO NOTHING RETURNING id`,
    [randomUUID(), input.email, canonicalEmail(input.email), input.name, input.passwordHash],
  );
  return rows[0] && { id: rows[0].id, credentialEpoch: 0 };
}

/** An invited account: no password until the invitation is accepted. */
export async function insertInvitedAccount(
  tx: Queryable,
  input: { email: string; name: string | null },
): Promise<{ id: string; credentialEpoch: number }> {
  const { rows } = await tx.query<{ id: string }>(
    `INSERT INTO accounts (id, email, email_key, name, password_hash, email_verified, invitation_pending)
     VALUES ($1, $2, $3, $4, NULL, false, true) RETURNING id`,
    [randomUUID(), input.email, canonicalEmail(input.email), input.name],
  );
  return { id: rows[0]!.id, credentialEpoch: 0 };
}

export interface RegistrationState {
  /** Self-registered and not verified: may not sign in. */
  awaitingVerification: boolean;
  /** Invited, and the invitation not accepted: no password was ever set. */
  invitationPending: boolean;
}

export async function findRegistrationState(db: Queryable, accountId: string): Promise<RegistrationState | undefined> {
  const { rows } = await db.query<{ awaiting: boolean; pending: boolean }>(
    `SELECT verification_required AND NOT email_verified AS awaiting, invitation_pending AND password_hash IS NULL AS pending
     FROM accounts WHERE id = $1`,
    [accountId],
  );
  return rows[0] && { awaitingVerification: rows[0].awaiting, invitationPending: rows[0].pending };
}

/** Marks the email verified (a link, or an administrator): a self-registered account may sign in from now on. */
export async function markEmailVerified(tx: Queryable, accountId: string): Promise<void> {
  await tx.query('UPDATE accounts SET email_verified = true, verification_required = false, updated_at = now() WHERE id = $1', [accountId]);
}

/**
 * Accepts an invitation: the password the person chose, the email verified (the link reached the
 * mailbox), and the credential epoch moved on as with any new password (the invitation link, and any
 * other link sent before, is void). Only while the invitation is pending and the account has no
 * password: false when it no longer is (nothing is written).
 */
export async function acceptInvitation(tx: Queryable, accountId: string, passwordHash: string): Promise<boolean> {
  const { rowCount } = await tx.query(
    `UPDATE accounts SET password_hash = $2, email_verified = true, invitation_pending = false, verification_required = false,
       credential_epoch = credential_epoch + 1, updated_at = now()
     WHERE id = $1 AND invitation_pending AND password_hash IS NULL`,
    [accountId, passwordHash],
  );
  return rowCount > 0;
}
