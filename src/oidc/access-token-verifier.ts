// Verifies Portcullis' own JWT access tokens (RFC 9068) and decides whether one still stands.
// Shared by introspection (jwt-access-tokens.ts) and the admin API, so both refuse the same tokens:
// a revoked jti, a revoked grant, a disabled or deleted user, a deleted client. A token bound to a
// DPoP key (`cnf.jkt`) is honoured only with a proof of that key (RFC 9449 §7). Built with the
// provider's keys of the moment: the provider host rebuilds it with the provider on key rotation.
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWK, type JWTPayload } from 'jose';
import { PRIVATE_JWK_MEMBERS } from '../security/jwk-private-members.ts';
import { findAccountById } from '../storage/accounts.ts';
import { findClient } from '../storage/clients.ts';
import type { Queryable } from '../storage/database.ts';
import { isAccessTokenRevoked } from '../storage/revoked-access-tokens.ts';
import type { DpopProofVerifier, ProofCheck } from './dpop-proof.ts';
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
  /** RFC 9449 §6.1: the thumbprint of the DPoP key the token is bound to. */
  cnf?: { jkt?: string };
}

/** The key thumbprint a token is bound to, if it is DPoP-bound. */
export const dpopThumbprint = (claims: AccessTokenClaims): string | undefined =>
  typeof claims.cnf?.jkt === 'string' && claims.cnf.jkt !== '' ? claims.cnf.jkt : undefined;

/** How a request presented its token (RFC 6750 Bearer or RFC 9449 DPoP), with what the proof must match. */
export interface PresentedToken {
  scheme: 'Bearer' | 'DPoP';
  token: string;
  /** The DPoP request header, if any. */
  proof: string | undefined;
  method: string;
  /** The request's public URL (built from ISSUER). */
  url: string;
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
  /**
   * Whether the token was presented as its binding demands: a DPoP-bound token only under the DPoP
   * scheme with a valid proof of its key for this request; an unbound token only as a bearer token.
   */
  checkSenderConstraint(claims: AccessTokenClaims, presented: PresentedToken): Promise<ProofCheck>;
}

export interface AccessTokenVerifierDeps {
  db: Queryable;
  cache: RegistryCache;
  issuer: string;
  /** The provider's (private) JWKS: only the public members are used. */
  jwks: { keys: JWK[] };
  /** Whether a grant still exists (the provider's `Grant.find`). */
  grantExists(grantId: string): Promise<boolean>;
  /** Checks DPoP proofs (dpop-proof.ts). */
  dpopProofs: DpopProofVerifier;
  /** The clock expiries are judged by (tests move it). */
  now?: () => Date;
}

/** What a verifying key must not carry: the private members, and `key_ops` (`sign` on a key that only verifies here). */
const DROPPED_MEMBERS = new Set([...PRIVATE_JWK_MEMBERS, 'key_ops']);

export function createAccessTokenVerifier(deps: AccessTokenVerifierDeps): AccessTokenVerifier {
  const publicKeys = deps.jwks.keys.map(
    (key) => Object.fromEntries(Object.entries(key).filter(([name]) => !DROPPED_MEMBERS.has(name))) as JWK,
  );
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
      if (await isAccessTokenRevoked(deps.db, claims.jti)) return false;
      const client = options.authoritative ? await findClient(deps.db, claims.client_id) : await deps.cache.client(claims.client_id);
      if (!client) return false;
      if (claims.sub && claims.sub !== claims.client_id && !(await isAccountActive(claims.sub))) return false;
      if (claims.gid && !(await deps.grantExists(claims.gid))) return false;
      return true;
    },

    isAccountActive,

    async checkSenderConstraint(claims, presented) {
      const jkt = dpopThumbprint(claims);
      if (!jkt) {
        // RFC 9449 §7.1: the DPoP scheme announces a binding the token does not have.
        return presented.scheme === 'Bearer'
          ? { ok: true }
          : { ok: false, description: 'the access token is not DPoP-bound: send it as a Bearer token' };
      }
      if (presented.scheme !== 'DPoP')
        return { ok: false, description: 'the access token is DPoP-bound: send it as "Authorization: DPoP <token>" with a DPoP proof' };
      return deps.dpopProofs.verify({
        proof: presented.proof,
        method: presented.method,
        url: presented.url,
        accessToken: presented.token,
        jkt,
      });
    },
  };
}
