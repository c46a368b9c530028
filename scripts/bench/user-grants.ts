// User grants for the token benchmarks' authorization_code and refresh_token runs, minted inside a
// target with its provider's own models — so they go through that target's real adapters (for
// Portcullis: the Grant and refresh token in PostgreSQL, the code in Redis, all by their hashed ids)
// — and handed to the load generator before the clock starts. Going through /auth instead would
// time a sign-in per code, not the redemption; the records made here are those /auth would make for
// a user who signed in with a password and consented to BENCH_USER_SCOPE: one Grant per credential
// (one user's authorization each), the code carrying an S256 PKCE challenge. Both targets mint with
// this one function, so their codes and refresh tokens differ in nothing but their stores.
import { createHash, randomBytes } from 'node:crypto';
import type Provider from 'oidc-provider';
import { ACR_PASSWORD } from '../../src/accounts/second-factor-requirement.ts';
import { inParallel } from './bench-load.ts';
import {
  BENCH_REDIRECT_URI,
  BENCH_RESOURCE,
  BENCH_SCOPE,
  BENCH_USER_SCOPE,
  type MintedCredential,
  type MintedGrant,
} from './target-ipc.ts';

/** How the minted user signed in: Portcullis' acr for a password sign-in, RFC 8176's amr for it. */
const SIGN_IN = { acr: ACR_PASSWORD, amr: ['pwd'] };

/** Writes in flight at once while minting: enough to keep a store busy, few enough not to queue on a pool. */
const MINT_CONCURRENCY = 8;

export interface MintSetup {
  /** the provider whose models (and so whose adapters) make the records */
  provider: () => Provider;
  clientId: string;
  accountId: string;
}

/** `count` authorization codes (each with its PKCE verifier) or refresh tokens, each on a Grant of its own. */
export async function mintCredentials(setup: MintSetup, grant: MintedGrant, count: number): Promise<MintedCredential[]> {
  const provider = setup.provider();
  const client = await provider.Client.find(setup.clientId);
  if (!client) throw new Error(`client ${setup.clientId} not found`);
  const credentials: MintedCredential[] = [];
  await inParallel(count, MINT_CONCURRENCY, async () => {
    const record = new provider.Grant({ accountId: setup.accountId, clientId: setup.clientId });
    record.addOIDCScope('openid offline_access');
    record.addResourceScope(BENCH_RESOURCE, BENCH_SCOPE);
    const grantId = await record.save();
    // what the authorization endpoint copies from the session and the request into a code;
    // offline_access: neither the code nor its refresh tokens end with the browser session
    // (oidc-provider's default expiresWithSession), so no Session record is needed
    const common = {
      accountId: setup.accountId,
      ...SIGN_IN,
      authTime: Math.floor(Date.now() / 1000),
      client,
      grantId,
      scope: BENCH_USER_SCOPE,
      resource: BENCH_RESOURCE,
      expiresWithSession: false,
      sessionUid: randomBytes(16).toString('base64url'),
      sid: randomBytes(16).toString('base64url'),
      gty: 'authorization_code', // what a refresh token records; a code does not store it
    };
    if (grant === 'authorization_code') {
      const verifier = randomBytes(32).toString('base64url');
      const codeChallenge = createHash('sha256').update(verifier).digest('base64url');
      const code = new provider.AuthorizationCode({
        ...common,
        codeChallenge,
        codeChallengeMethod: 'S256',
        redirectUri: BENCH_REDIRECT_URI,
      });
      credentials.push({ value: await code.save(), verifier });
    } else {
      const token = new provider.RefreshToken({ ...common, rotations: 0 });
      credentials.push({ value: await token.save() });
    }
  });
  return credentials;
}
