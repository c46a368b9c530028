// Rules for the JWT a client signs to authenticate (`private_key_jwt`), beyond what oidc-provider
// checks itself (signature with one of the client's keys and an allowed asymmetric alg, iss = sub =
// client_id, exp present, jti used once):
// - aud is this server's issuer identifier, as one string (RFC 7523bis). A list, the token endpoint
//   URL or any other endpoint URL is refused: those audiences are what let an assertion a client
//   made for a mix-up attacker's server (which advertised our endpoints as its own) be replayed
//   here. oidc-provider accepts all of them by default; openid-client and most libraries send the
//   issuer.
// - the assertion is short-lived: at most MAX_ASSERTION_LIFETIME seconds from iat (or from now,
//   without iat) to exp, and iat not in the future. A captured assertion is worth minutes, and the
//   replay store keeps each jti until the assertion expires.
import { errors, type Configuration } from 'oidc-provider';

/** Five minutes: plenty for a request in flight, useless to keep. */
export const MAX_ASSERTION_LIFETIME = 300;
/** Clock skew allowed between the client and this server (oidc-provider's own default tolerance). */
const CLOCK_TOLERANCE = 15;

type AssertionHook = NonNullable<Configuration['assertJwtClientAuthClaimsAndHeader']>;

export function clientAssertionRules(issuer: string, now: () => Date): AssertionHook {
  return (_ctx, claims) => {
    if (typeof claims.aud !== 'string' || claims.aud !== issuer) {
      throw new errors.InvalidClientAuth('audience (aud) must be the issuer identifier, as a single string');
    }
    const current = Math.floor(now().getTime() / 1000);
    const { iat, exp } = claims;
    if (iat !== undefined && (typeof iat !== 'number' || iat > current + CLOCK_TOLERANCE)) {
      throw new errors.InvalidClientAuth('issued at (iat) must not be in the future');
    }
    const start = typeof iat === 'number' ? iat : current;
    if (typeof exp !== 'number' || exp - start > MAX_ASSERTION_LIFETIME || exp - current > MAX_ASSERTION_LIFETIME + CLOCK_TOLERANCE) {
      throw new errors.InvalidClientAuth(`the client assertion may live at most ${MAX_ASSERTION_LIFETIME} seconds`);
    }
  };
}
