// oidc-provider's view of an account. Disabled or deleted accounts are not found, so their
// sessions, refresh tokens and userinfo calls stop working at once. oidc-provider filters the
// returned claims down to what the granted scopes (openid, profile, email) allow.
import type { FindAccount } from 'oidc-provider';
import type { Queryable } from '../storage/database.ts';
import { findAccountById } from '../storage/accounts.ts';
import { guardStore } from './store-unavailable.ts';
import { takeAccount, tokenRequest } from './adapters/request-prefetch.ts';

export const CLAIMS_BY_SCOPE = {
  // How and when the user authenticated (the acr of accounts/second-factor-requirement.ts, RFC 8176 amr): in every ID
  // token. oidc-provider returns a claim only through a scope (or the claims parameter), so the
  // openid scope carries them; top-level entries make them known claims.
  acr: null,
  amr: null,
  auth_time: null,
  sid: null,
  openid: ['sub', 'acr', 'amr', 'auth_time'],
  profile: ['name', 'updated_at'],
  email: ['email', 'email_verified'],
};

export function createFindAccount(db: Queryable): FindAccount {
  return async (_ctx, sub) => {
    // at the token endpoint, usually read already with the grant source or its Grant (request-prefetch.ts)
    const kept = takeAccount(tokenRequest(), sub);
    const account = kept.hit ? kept.value : await guardStore(() => findAccountById(db, sub));
    if (!account || account.disabled) return undefined;
    return {
      accountId: account.id,
      async claims() {
        return {
          sub: account.id,
          name: account.name ?? undefined,
          updated_at: Math.floor(Date.parse(account.updatedAt) / 1000),
          email: account.email,
          email_verified: account.emailVerified,
        };
      },
    };
  };
}
