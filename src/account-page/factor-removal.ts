// Removing one second factor of an account, under the rule that whoever must sign in with a second
// factor keeps at least one. The check and the removal are one transaction with the account row
// locked: two removals sent at once (the app in one tab, the last passkey in another) run one after
// the other, and the second sees what the first left, so together they cannot remove the last one.
import type { Config } from '../config.ts';
import { secondFactorStep } from '../accounts/second-factor-requirement.ts';
import { findAccountForUpdate } from '../storage/accounts.ts';
import type { Database, Queryable } from '../storage/database.ts';
import { deleteTotp, describeFactors, replaceRecoveryCodes } from '../storage/mfa.ts';
import { deleteCredential, listCredentials } from '../storage/webauthn-credentials.ts';

/** Whether the policy or the account's flags demand a second factor even of an account with none. */
export function mustKeepAFactor(policy: Config['mfaPolicy'], account: { mfaRequired: boolean; isAdmin: boolean }): boolean {
  // the decision of the sign-in, asked as: "without any factor, could this account sign in with the
  // password alone?" No client is involved: the account page is for every client at once
  return secondFactorStep({ policy, account, client: undefined, hasFactor: false, requestedAcrs: [] }) !== 'none';
}

export type FactorToRemove = { factor: 'totp' } | { factor: 'passkey'; id: string };

export type RemovalOutcome =
  /** `name`: the passkey's; `recoveryCodesWithdrawn`: unused codes that went with the last factor. */
  | { removed: true; name?: string; recoveryCodesWithdrawn: number }
  /** The account has no such factor (another account's passkey id included: it is not this account's). */
  | { removed: false; reason: 'not_found' }
  | { removed: false; reason: 'last_factor' };

/** `recordRemoval` runs last in the removing transaction (its audit event): both commit, or neither. */
export async function removeSecondFactor(
  db: Database,
  accountId: string,
  which: FactorToRemove,
  policy: Config['mfaPolicy'],
  recordRemoval: (tx: Queryable, removed: Extract<RemovalOutcome, { removed: true }>) => Promise<void>,
): Promise<RemovalOutcome> {
  return db.transaction(async (tx) => {
    const account = await findAccountForUpdate(tx, accountId);
    if (!account) return { removed: false, reason: 'not_found' };
    const factors = await describeFactors(tx, accountId);
    // only the account's own passkeys are looked at: an id of anyone else's is simply not found
    const passkey =
      which.factor === 'passkey' ? (await listCredentials(tx, accountId)).find((credential) => credential.id === which.id) : undefined;
    if (which.factor === 'totp' ? !factors.totp : !passkey) return { removed: false, reason: 'not_found' };
    const left = (factors.totp ? 1 : 0) + factors.passkeys - 1;
    if (left === 0 && mustKeepAFactor(policy, account)) return { removed: false, reason: 'last_factor' };

    if (passkey) await deleteCredential(tx, accountId, passkey.id);
    else await deleteTotp(tx, accountId);
    // Recovery codes stand in for a lost factor; with no factor left they stand in for nothing, and
    // a later enrolment issues a new set anyway.
    if (left === 0) await replaceRecoveryCodes(tx, accountId, []);
    const removed = {
      removed: true as const,
      ...(passkey ? { name: passkey.name } : {}),
      recoveryCodesWithdrawn: left === 0 ? factors.recoveryCodesLeft : 0,
    };
    await recordRemoval(tx, removed);
    return removed;
  });
}
