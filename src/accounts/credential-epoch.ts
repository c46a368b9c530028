// Whether a proof still stands: a sign-in in progress and the account page's re-authentication carry
// the credential epoch their account had when the proof began (read with the password they checked).
// Every reset moves the account's epoch on (a new password, sign-out-everywhere, disabling, removal of
// the second factors: src/storage/accounts.ts), so anything proven before a reset is worth nothing
// after it, whatever it reads of the account now.
import type { AccountWithCredentials } from '../storage/accounts.ts';

/** The account, when it exists, is enabled and is still at the epoch the proof began at. */
export function stillProven(epoch: unknown, account: AccountWithCredentials | undefined): account is AccountWithCredentials {
  return account !== undefined && !account.disabled && typeof epoch === 'number' && account.credentialEpoch === epoch;
}
