// The JWS algorithms Portcullis signs tokens with, and the defaults. A module without imports: the
// admin input rules, the provider's configuration and the key store all read this one list.
//   RS256  OpenID Connect's default for ID tokens (Core 3.1.3.7) and the one RFC 9068 requires for
//          JWT access tokens: what every relying-party and API library verifies out of the box.
//   ES256  shorter tokens, faster signing: the default for access tokens.
//   PS256  RSA-PSS, for profiles that forbid PKCS#1 v1.5 (FAPI).
//   EdDSA  Ed25519.
export const SIGNING_ALGORITHMS = ['RS256', 'ES256', 'PS256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof SIGNING_ALGORITHMS)[number];

/** A client's ID tokens unless it chose another (OpenID Connect Core: RS256 when none is registered). */
export const DEFAULT_ID_TOKEN_ALG: SigningAlgorithm = 'RS256';

/** A resource server's access tokens unless it chose another. */
export const DEFAULT_ACCESS_TOKEN_ALG: SigningAlgorithm = 'ES256';

/** Which algorithm the stored ID-token setting names; anything else (never written) reads as the default. */
export const signingAlgorithmOr = (value: unknown, fallback: SigningAlgorithm): SigningAlgorithm =>
  (SIGNING_ALGORITHMS as readonly unknown[]).includes(value) ? (value as SigningAlgorithm) : fallback;
