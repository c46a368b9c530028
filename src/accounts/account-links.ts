// One-time links by email: a 256-bit random token in the URL, its SHA-256 in the store. A link is
// good once, until it expires, and only while the account is at the credential epoch it was issued
// at: a password change (or any other reset of the account) voids every link sent before it, and a
// newer link of the same purpose voids the older ones.
import { createHash, randomBytes } from 'node:crypto';
import type { Queryable } from '../storage/database.ts';
import { findAccountById, type AccountWithCredentials } from '../storage/accounts.ts';
import { findUsableLink, insertLink, useLink, type LinkPurpose, type StoredLink } from '../storage/account-links.ts';

export type { LinkPurpose } from '../storage/account-links.ts';

/** How long each kind of link is good for, in seconds. */
export const LINK_LIFETIME_SECONDS: Record<LinkPurpose, number> = {
  verify_email: 24 * 3600,
  reset_password: 30 * 60,
  invite: 7 * 24 * 3600,
  change_email: 24 * 3600,
};

/** A token a URL can carry as it is: 43 base64url characters. */
const TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

const hashOf = (token: string) => createHash('sha256').update(token, 'utf8').digest();

export interface RedeemedLink extends StoredLink {
  account: AccountWithCredentials;
}

/** Issues a link for `account` and returns its token (to put in the email, never stored). */
export async function issueLink(
  tx: Queryable,
  account: Pick<AccountWithCredentials, 'id' | 'credentialEpoch'>,
  purpose: LinkPurpose,
  options: { now: Date; detail?: Record<string, string> },
): Promise<string> {
  const token = randomBytes(32).toString('base64url');
  await insertLink(tx, {
    accountId: account.id,
    purpose,
    tokenHash: hashOf(token),
    credentialEpoch: account.credentialEpoch,
    detail: options.detail ?? {},
    expiresAt: new Date(options.now.getTime() + LINK_LIFETIME_SECONDS[purpose] * 1000),
    now: options.now,
  });
  return token;
}

const stillGood = (link: StoredLink | undefined, account: AccountWithCredentials | undefined): account is AccountWithCredentials =>
  link !== undefined && account?.credentialEpoch === link.credentialEpoch;

/** The link's account when the link would redeem now (to show its form), without using it. */
export async function checkLink(db: Queryable, purpose: LinkPurpose, token: string, now: Date): Promise<RedeemedLink | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const link = await findUsableLink(db, purpose, hashOf(token), now);
  const account = link && (await findAccountById(db, link.accountId));
  return stillGood(link, account) ? { ...link!, account } : undefined;
}

/**
 * Uses the link inside `tx` (the transaction of the change it allows): of two parallel uses exactly
 * one gets it. A link from before the account's last reset is refused, and used up all the same.
 */
export async function redeemLink(tx: Queryable, purpose: LinkPurpose, token: string, now: Date): Promise<RedeemedLink | undefined> {
  if (!TOKEN_SHAPE.test(token)) return undefined;
  const link = await useLink(tx, purpose, hashOf(token), now);
  const account = link && (await findAccountById(tx, link.accountId));
  return stillGood(link, account) ? { ...link!, account } : undefined;
}
