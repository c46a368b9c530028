// Looks up the facts of the second-factor decision (the account's flags and factors, the client's
// require_mfa) and applies mfa-requirement.ts to them.
import type { Config } from '../config.ts';
import { findAccountById, type Account } from '../storage/accounts.ts';
import type { StoredClient } from '../storage/clients.ts';
import type { Queryable } from '../storage/database.ts';
import { describeFactors } from '../storage/mfa.ts';
import { secondFactorStep, type SecondFactorStep } from './mfa-requirement.ts';

export interface MfaDecider {
  /** What the sign-in of `account` to `clientId` needs after its password (`hasFactor` when already known). */
  stepFor: (account: Account, clientId: string, requestedAcrs: readonly string[], hasFactor?: boolean) => Promise<SecondFactorStep>;
  /** For the provider's session reuse: whether a password-only session is not enough. */
  needsSecondFactor: (accountId: string, clientId: string, requestedAcrs: string[]) => Promise<boolean>;
}

/** `cache.client`: the registry's cached client (oidc/registry-cache.ts; accounts sit below oidc, so only its shape here). */
export function createMfaDecider(deps: {
  db: Queryable;
  cache: { client(clientId: string): Promise<StoredClient | undefined> };
  policy: Config['mfaPolicy'];
}): MfaDecider {
  const hasSecondFactor = async (accountId: string) => {
    const factors = await describeFactors(deps.db, accountId);
    return factors.totp || factors.passkeys > 0;
  };
  const stepFor = async (account: Account, clientId: string, requestedAcrs: readonly string[], hasFactor?: boolean) => {
    const [knownFactor, client] = await Promise.all([hasFactor ?? hasSecondFactor(account.id), deps.cache.client(clientId)]);
    return secondFactorStep({ policy: deps.policy, account, client, hasFactor: knownFactor, requestedAcrs });
  };
  return {
    stepFor,
    async needsSecondFactor(accountId, clientId, requestedAcrs) {
      const account = await findAccountById(deps.db, accountId);
      // a deleted or disabled account is refused by the provider's own account checks
      if (!account || account.disabled) return false;
      return (await stepFor(account, clientId, requestedAcrs)) !== 'none';
    },
  };
}
