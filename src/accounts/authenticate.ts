// Email + password check. An unknown email is verified against a dummy hash so it costs the same
// time as a wrong password, and both get the same answer (no account enumeration).
import type { Queryable } from '../storage/database.ts';
import { findAccountByEmail, updatePasswordHash, type AccountWithCredentials } from '../storage/accounts.ts';
import { dummyPasswordHash, hashPassword, needsRehash, verifyPassword } from './passwords.ts';
import { MAX_PASSWORD_LENGTH } from './password-policy.ts';

export type AuthenticationResult =
  | { ok: true; account: AccountWithCredentials }
  | { ok: false; reason: 'invalid_credentials' }
  | { ok: false; reason: 'account_disabled'; accountId: string };

export async function authenticateWithPassword(db: Queryable, email: string, password: string): Promise<AuthenticationResult> {
  // Oversized input is refused before hashing so it cannot be used to burn CPU.
  const acceptable = password.length <= MAX_PASSWORD_LENGTH * 4 && email.length <= 320;
  const account = acceptable ? await findAccountByEmail(db, email) : undefined;
  const valid = await verifyPassword(account?.passwordHash ?? (await dummyPasswordHash()), acceptable ? password : '');
  if (!account || !valid || !acceptable) return { ok: false, reason: 'invalid_credentials' };
  // A disabled account only learns it is disabled after proving the password.
  if (account.disabled) return { ok: false, reason: 'account_disabled', accountId: account.id };
  if (account.passwordHash && needsRehash(account.passwordHash)) {
    await updatePasswordHash(db, account.id, await hashPassword(password));
  }
  return { ok: true, account };
}
