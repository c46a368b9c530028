// DPoP for tests: openid-client (a relying party nobody here wrote) obtains and uses DPoP-bound
// tokens the way a real client does; `proof` forges the proofs an attacker would send instead.
import { createHash, randomBytes } from 'node:crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';
import * as oidc from 'openid-client';
import type { TestClient } from './fixtures.ts';
import type { TestServer } from './server.ts';

/** openid-client configured for `client` against the test server (plain http, secret in the Basic header). */
export async function relyingParty(server: TestServer, client: TestClient): Promise<oidc.Configuration> {
  return oidc.discovery(new URL(server.url), client.clientId, undefined, oidc.ClientSecretBasic(client.clientSecret), {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- marked so to stand out; tests use http on localhost
    execute: [oidc.allowInsecureRequests],
  });
}

/** A client's DPoP key pair, with what a proof names of it. */
export interface DpopKey {
  pair: Awaited<ReturnType<typeof oidc.randomDPoPKeyPair>>;
  publicJwk: JWK;
  /** RFC 7638 thumbprint: what a bound token's `cnf.jkt` holds. */
  jkt: string;
}

export async function dpopKey(): Promise<DpopKey> {
  const pair = await oidc.randomDPoPKeyPair('ES256');
  const { kty, crv, x, y } = await exportJWK(pair.publicKey);
  const publicJwk = { kty: kty!, crv: crv!, x: x!, y: y! };
  return { pair, publicJwk, jkt: await calculateJwkThumbprint(publicJwk) };
}

export const accessTokenHash = (token: string) => createHash('sha256').update(token).digest('base64url');

export interface ProofClaims {
  htm: string;
  htu: string;
  /** The access token the proof accompanies (its hash becomes `ath`). */
  accessToken?: string;
  /** Seconds since the epoch; default now. */
  iat?: number;
  jti?: string;
  /** Replaces `ath` (a proof for another token). */
  ath?: string;
}

/** A correct DPoP proof (RFC 9449 §4.2) unless a claim is set otherwise. */
export async function proof(key: DpopKey, claims: ProofClaims, header: { typ?: string; jwk?: JWK } = {}): Promise<string> {
  const payload = {
    htm: claims.htm,
    htu: claims.htu,
    jti: claims.jti ?? randomBytes(12).toString('base64url'),
    ...(claims.ath ? { ath: claims.ath } : claims.accessToken ? { ath: accessTokenHash(claims.accessToken) } : {}),
  };
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: header.typ ?? 'dpop+jwt', jwk: header.jwk ?? key.publicJwk })
    .setIssuedAt(claims.iat ?? Math.floor(Date.now() / 1000))
    .sign(key.pair.privateKey);
}

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** An unsecured proof (`alg: none`, empty signature) naming the key anyway. */
export function unsignedProof(key: DpopKey, claims: ProofClaims): string {
  const payload = {
    htm: claims.htm,
    htu: claims.htu,
    jti: randomBytes(12).toString('base64url'),
    iat: Math.floor(Date.now() / 1000),
    ...(claims.accessToken ? { ath: accessTokenHash(claims.accessToken) } : {}),
  };
  return `${b64({ alg: 'none', typ: 'dpop+jwt', jwk: key.publicJwk })}.${b64(payload)}.`;
}

/** The classic key-confusion forgery: HS256 keyed with the public key everyone can read. */
export async function hmacWithPublicKeyProof(key: DpopKey, claims: ProofClaims): Promise<string> {
  const secret = new TextEncoder().encode(JSON.stringify(key.publicJwk));
  return new SignJWT({
    htm: claims.htm,
    htu: claims.htu,
    jti: randomBytes(12).toString('base64url'),
    ...(claims.accessToken ? { ath: accessTokenHash(claims.accessToken) } : {}),
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'dpop+jwt', jwk: key.publicJwk })
    .setIssuedAt()
    .sign(secret);
}
