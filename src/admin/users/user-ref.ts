// How the user operations name a user (by id or by email), find them, and show them.
import { z } from 'zod';
import { findAccountByEmail, findAccountById, findAccountForUpdate, withoutCredentials, type Account } from '../../storage/accounts.ts';
import type { Queryable } from '../../storage/database.ts';
import { notFound } from '../operation/define.ts';

/** The user field: an account's id or its email. */
export const userField = z.string().trim().min(1, 'must not be empty').max(254, 'must be at most 254 characters');

/** A user named by id or by email. */
export const userRefInput = z.strictObject({ user: userField });

/** An email address as an account holds it (users.create, users.update). */
export const emailField = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(254, 'must be at most 254 characters')
  .pipe(z.email({ error: 'must be a valid email address' }));

const missing = (ref: string) => notFound('user', `no account with id or email "${ref}"`);

export async function resolveAccount(db: Queryable, ref: string): Promise<Account> {
  const account = (await findAccountById(db, ref)) ?? (ref.includes('@') ? await findAccountByEmail(db, ref) : undefined);
  if (!account) throw missing(ref);
  return withoutCredentials(account);
}

/**
 * The account named by `ref`, its row locked until `tx` ends: a change reads, checks and writes the
 * version no other change can slip under. Found by email first when it is one, then locked by id.
 */
export async function lockAccount(tx: Queryable, ref: string): Promise<Account> {
  const found = await resolveAccount(tx, ref);
  const locked = await findAccountForUpdate(tx, found.id);
  if (!locked) throw missing(ref); // deleted between the two statements
  return withoutCredentials(locked);
}

/** The account as the admin API shows it (and tags it): an answer's extra members left out. */
export function userView(result: Account): Account {
  const { id, email, name, emailVerified, disabled, mfaRequired, isAdmin, passwordChangeRequired, createdAt, updatedAt } = result;
  return { id, email, name, emailVerified, disabled, mfaRequired, isAdmin, passwordChangeRequired, createdAt, updatedAt };
}
