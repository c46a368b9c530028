// Who must sign in with a second factor. One decision, used when a password was just verified and
// when an existing session is reused (prompt=none, a new authorization request, step-up).
import type { Config } from '../config.ts';
import { findAccountById, type Account } from '../storage/accounts.ts';
import type { StoredClient } from '../storage/clients.ts';
import type { Queryable } from '../storage/database.ts';
import { describeFactors } from '../storage/mfa.ts';

/** The `acr` of a sign-in with a password only, and with a password and a second factor. */
export const ACR_PASSWORD = 'urn:portcullis:acr:pwd';
export const ACR_MFA = 'urn:portcullis:acr:mfa';
export const ACR_VALUES = [ACR_PASSWORD, ACR_MFA] as const;

export interface MfaFacts {
  policy: Config['mfaPolicy'];
  account: { mfaRequired: boolean; isAdmin: boolean };
  client: { requireMfa: boolean } | undefined;
  /** The account has a confirmed second factor (TOTP or passkey). */
  hasFactor: boolean;
  /** `acr` values the relying party asked for (acr_values, or the claims parameter). */
  requestedAcrs: readonly string[];
}

/**
 * `none`: the password is enough. `verify`: the user has a factor and must use it. `enrol`: the user
 * must have a factor and has none: enrolment comes before any code is issued.
 */
export type SecondFactorStep = 'none' | 'verify' | 'enrol';

export function secondFactorStep(facts: MfaFacts): SecondFactorStep {
  const demanded =
    // always, whatever the policy: administrators, users and clients marked as needing it
    facts.account.isAdmin ||
    facts.account.mfaRequired ||
    facts.client?.requireMfa === true ||
    (facts.policy !== 'off' &&
      (facts.hasFactor || // a user with a factor never gets in with the password alone
        facts.policy === 'required' ||
        facts.requestedAcrs.includes(ACR_MFA)));
  if (!demanded) return 'none';
  return facts.hasFactor ? 'verify' : 'enrol';
}

/** The `claims` request parameter: parsed already, or its JSON string (undefined when malformed). */
function parseClaims(claims: unknown): unknown {
  if (typeof claims !== 'string') return claims;
  try {
    return JSON.parse(claims) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The acr values a request asks for: `acr_values` (space-separated) and `claims.id_token.acr`.
 * `claims` is the parameter as the provider parsed it, or as an interaction's params hold it (JSON).
 */
export function requestedAcrs(params: Record<string, unknown> | undefined, claims: unknown): string[] {
  const fromParam = typeof params?.acr_values === 'string' ? params.acr_values.split(' ').filter(Boolean) : [];
  const acrClaim = (parseClaims(claims) as { id_token?: { acr?: { value?: unknown; values?: unknown } } } | undefined)?.id_token?.acr;
  const fromClaims = [
    ...(typeof acrClaim?.value === 'string' ? [acrClaim.value] : []),
    ...(Array.isArray(acrClaim?.values) ? acrClaim.values.filter((value): value is string => typeof value === 'string') : []),
  ];
  return [...fromParam, ...fromClaims];
}

// The decision applied to the stored facts: the account's flags and factors, the client's require_mfa.
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
