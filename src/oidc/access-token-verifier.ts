// Verifies Portcullis' own JWT access tokens (RFC 9068) and decides whether one still stands.
// Shared by introspection (jwt-access-tokens.ts) and the admin API, so both refuse the same tokens:
// a revoked jti, a revoked grant, a disabled or deleted user, a deleted client. Built with the
// provider's keys of the moment: the provider host rebuilds it with the provider on key rotation.
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { findAccountById } from '../storage/accounts.ts';
import { findClient } from '../storage/clients.ts';
import type { Queryable } from '../storage/database.ts';
import type { RegistryCache } from './registry-cache.ts';

export interface AccessTokenClaims extends JWTPayload {
  client_id?: string;
  scope?: string;
  /** The grant the token was issued under (create-provider.ts `extraTokenClaims`). */
  gid?: string;
  /** How the user authenticated (user tokens only). */
  acr?: string;
  amr?: string[];
  auth_time?: number;
}

/** Why a token was refused: enough for an RFC 6750 error_description, nothing about the keys. */
export type VerificationFailure = 'malformed' | 'expired' | 'wrong_audience';

export type Verification = { ok: true; claims: AccessTokenClaims } | { ok: false; reason: VerificationFailure };

export interface AccessTokenVerifier {
  /** Signature, issuer, `typ: at+jwt`, expiry and, when given, the audience. */
  verify(token: string, options?: { audience?: string }): Promise<Verification>;
  /**
   * Whether a verified token still stands. `authoritative` reads the client from the database rather
   * than the registry cache (which learns of a deletion by NOTIFY, a moment later): the admin API
   * must refuse a deleted admin client in every process at once.
   */
  isActive(claims: AccessTokenClaims, options?: { authoritative?: boolean }): Promise<boolean>;
  /** A user who exists and is not disabled. */
  isAccountActive(sub: string): Promise<boolean>;
}

export interface AccessTokenVerifierDeps {
  db: Queryable;
  cache: RegistryCache;
  issuer: string;
  /** The provider's (private) JWKS: only the public members are used. */
  jwks: { keys: JWK[] };
  /** Whether a grant still exists (the provider's `Grant.find`). */
  grantExists(grantId: string): Promise<boolean>;
  /** The clock expiries are judged by (tests move it). */
  now?: () => Date;
}

const PRIVATE_MEMBERS = new Set(['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'key_ops']);

export function createAccessTokenVerifier(deps: AccessTokenVerifierDeps): AccessTokenVerifier {
  const publicKeys = deps.jwks.keys.map((key) => Object.fromEntries(Object.entries(key).filter(([name]) => !PRIVATE_MEMBERS.has(name))) as JWK);
  const keySet = createLocalJWKSet({ keys: publicKeys });
  const now = deps.now ?? (() => new Date());

  async function isAccountActive(sub: string): Promise<boolean> {
    const account = await findAccountById(deps.db, sub);
    return account !== undefined && !account.disabled;
  }

  return {
    async verify(token, options = {}) {
      try {
        const { payload } = await jwtVerify<AccessTokenClaims>(token, keySet, {
          issuer: deps.issuer,
          typ: 'at+jwt',
          currentDate: now(),
          ...(options.audience === undefined ? {} : { audience: options.audience }),
        });
        return { ok: true, claims: payload };
      } catch (error) {
        if (error instanceof joseErrors.JWTExpired) return { ok: false, reason: 'expired' };
        if (error instanceof joseErrors.JWTClaimValidationFailed && error.claim === 'aud') return { ok: false, reason: 'wrong_audience' };
        return { ok: false, reason: 'malformed' };
      }
    },

    async isActive(claims, options = {}) {
      if (!claims.jti || !claims.client_id) return false;
      const revoked = await deps.db.query('SELECT 1 FROM revoked_access_tokens WHERE jti = $1', [claims.jti]);
      // rows, not rowCount: the embedded database reports a SELECT's rowCount as 0 (affectedRows)
      if (revoked.rows.length > 0) return false;
      const client = options.authoritative ? await findClient(deps.db, claims.client_id) : await deps.cache.client(claims.client_id);
      if (!client) return false;
      if (claims.sub && claims.sub !== claims.client_id && !(await isAccountActive(claims.sub))) return false;
      if (claims.gid && !(await deps.grantExists(claims.gid))) return false;
      return true;
    },

    isAccountActive,
  };
}
