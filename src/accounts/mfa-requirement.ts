// Who must sign in with a second factor. One decision, used when a password was just verified and
// when an existing session is reused (prompt=none, a new authorization request, step-up).
import type { Config } from '../config.ts';

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
