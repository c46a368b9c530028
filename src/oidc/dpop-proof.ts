// Checks a DPoP proof (RFC 9449 §4.3) sent with a DPoP-bound access token to one of Portcullis' own
// protected resources (the admin API). oidc-provider checks the proofs sent to its own endpoints
// (token, userinfo); both remember each proof's jti in the same replay store (jwt-replay.ts).
import { createHash } from 'node:crypto';
import { calculateJwkThumbprint, decodeProtectedHeader, EmbeddedJWK, jwtVerify, type JWK } from 'jose';
import { PRIVATE_JWK_MEMBERS } from '../security/jwk-private-members.ts';
import type { JwtReplayStore } from '../storage/jwt-replay.ts';

/**
 * Asymmetric algorithms only: a symmetric one (HS256) could be "verified" with the public key in
 * the proof's own header, and `none` proves nothing. The same list is offered at the token endpoint
 * (create-provider.ts `enabledJWA.dPoPSigningAlgValues`) and in the DPoP challenge.
 */
export const DPOP_ALGORITHMS = ['ES256', 'ES384', 'PS256', 'EdDSA', 'Ed25519'] as const;

/**
 * How far a proof's `iat` may lie from the server's clock, either way (clock skew). oidc-provider
 * allows the same at its endpoints; a proof's jti is remembered for twice as long, past every
 * moment it could still be accepted.
 */
export const DPOP_PROOF_WINDOW_SECONDS = 300;

/** Whether a proof issued at `iat` (seconds) is recent at `now`: within the window either side. */
export const isRecentProof = (iat: number, now: Date): boolean =>
  Math.abs(Math.floor(now.getTime() / 1000) - iat) <= DPOP_PROOF_WINDOW_SECONDS;

/**
 * The instant from which a proof issued at `iat` is never recent again: its jti must be remembered
 * until then, or a copy could be replayed in the last second of its window.
 */
export const proofRecentUntil = (iat: number): Date => new Date((iat + DPOP_PROOF_WINDOW_SECONDS + 1) * 1000);

const MAX_JTI_LENGTH = 256;
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

export interface ProofExpectations {
  /** The `DPoP` request header as received (undefined when absent). */
  proof: string | undefined;
  /** The request's method and its public URL (from ISSUER, not the Host header). */
  method: string;
  url: string;
  /** The access token the proof must be bound to (`ath`) and the key thumbprint it names (`cnf.jkt`). */
  accessToken: string;
  jkt: string;
}

export type ProofCheck = { ok: true } | { ok: false; description: string };

export interface DpopProofVerifier {
  verify(expectations: ProofExpectations): Promise<ProofCheck>;
}

const refuse = (description: string): ProofCheck => ({ ok: false, description });

/** `htu` names the request URL, query and fragment aside (RFC 9449 §4.3 item 9). */
function sameResource(htu: unknown, url: string): boolean {
  if (typeof htu !== 'string') return false;
  const claimed = URL.parse(htu);
  const expected = URL.parse(url);
  if (!claimed || !expected) return false;
  return claimed.origin === expected.origin && claimed.pathname === expected.pathname;
}

export function createDpopProofVerifier(deps: { replay: JwtReplayStore; now: () => Date }): DpopProofVerifier {
  return {
    async verify({ proof, method, url, accessToken, jkt }) {
      if (!proof) return refuse('a DPoP-bound access token needs a DPoP proof (the DPoP header)');
      // Two DPoP headers arrive joined by a comma: exactly one proof is allowed (§4.3 item 1).
      if (!COMPACT_JWS.test(proof)) return refuse('the DPoP header must hold exactly one proof, a signed JWT');

      let jwk: JWK | undefined;
      try {
        jwk = decodeProtectedHeader(proof).jwk;
      } catch {
        return refuse('the DPoP proof is malformed');
      }
      if (!jwk || PRIVATE_JWK_MEMBERS.some((member) => member in jwk))
        return refuse('the DPoP proof must carry a public key (jwk), and no private key');

      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(proof, EmbeddedJWK, { typ: 'dpop+jwt', algorithms: [...DPOP_ALGORITHMS], currentDate: deps.now() }));
      } catch {
        return refuse(`the DPoP proof must be a dpop+jwt signed by its jwk with one of ${DPOP_ALGORITHMS.join(', ')}`);
      }

      if (typeof payload.jti !== 'string' || payload.jti.length === 0 || payload.jti.length > MAX_JTI_LENGTH)
        return refuse('the DPoP proof needs a jti');
      if (payload.htm !== method) return refuse('the DPoP proof is for another HTTP method (htm)');
      if (!sameResource(payload.htu, url)) return refuse('the DPoP proof is for another URL (htu)');
      if (typeof payload.iat !== 'number' || !isRecentProof(payload.iat, deps.now())) return refuse('the DPoP proof is not recent (iat)');
      if (payload.ath !== createHash('sha256').update(accessToken).digest('base64url'))
        return refuse('the DPoP proof is for another access token (ath)');
      if ((await calculateJwkThumbprint(jwk)) !== jkt)
        return refuse('the DPoP proof is signed by another key than the one the access token is bound to');

      // Last: a proof refused above is not worth remembering, and an attacker cannot burn the jti of
      // a proof they could not have made valid.
      if (!(await deps.replay.firstUse(`dpop:${jkt}`, payload.jti, proofRecentUntil(payload.iat))))
        return refuse('the DPoP proof was used before (jti)');
      return { ok: true };
    },
  };
}
