// The emails of sign-up and invitations, each queued inside the transaction of the change it tells
// about (a link is issued and its email queued together, or neither): the verification link, the
// notice to the owner of an address someone tried to sign up with, the invitation.
import { issueLink, LINK_LIFETIME_SECONDS } from '../accounts/account-links.ts';
import type { EmailQueue } from '../email/email-queue.ts';
import type { Queryable } from '../storage/database.ts';

export const VERIFY_EMAIL_PATH = '/account/verify-email';
export const INVITATION_PATH = '/account/invitation';
export const SIGN_UP_PATH = '/account/sign-up';
/** The forgotten-password page (the "reset" work builds it); the notice to an existing owner points there. */
export const FORGOT_PASSWORD_PATH = '/account/forgot-password';

/** What the product calls itself in emails when no person is named. */
export const PRODUCT_NAME = 'Portcullis';

interface Recipient {
  id: string;
  email: string;
  name: string | null;
  credentialEpoch: number;
}

/** A fresh verification link (voids the previous one) and its email. */
export async function queueVerification(
  tx: Queryable,
  deps: { emails: EmailQueue; issuer: string },
  account: Recipient,
  options: { now: Date; returnTo?: string | undefined },
): Promise<void> {
  // the address it proves (an email changed since makes the link void), and the sign-in the person
  // came from, to offer a way back once verified (the same browser, usually)
  const detail = { email: account.email, ...(options.returnTo ? { returnTo: options.returnTo } : {}) };
  const token = await issueLink(tx, account, 'verify_email', { now: options.now, detail });
  await deps.emails.enqueue(tx, {
    to: account.email,
    template: 'verify-email',
    data: { name: account.name ?? account.email, link: `${deps.issuer}${VERIFY_EMAIL_PATH}?token=${token}` },
  });
}

/** Someone tried to sign up with the address of an existing account: its owner is told, nobody else. */
export async function queueAccountExists(
  tx: Queryable,
  deps: { emails: EmailQueue; issuer: string },
  account: Pick<Recipient, 'email' | 'name'>,
): Promise<void> {
  await deps.emails.enqueue(tx, {
    to: account.email,
    template: 'account-exists',
    data: {
      name: account.name ?? account.email,
      signInUrl: `${deps.issuer}/account`,
      resetUrl: `${deps.issuer}${FORGOT_PASSWORD_PATH}`,
    },
  });
}

/** An invitation link (voids the previous one) and its email. */
export async function queueInvitation(
  tx: Queryable,
  deps: { emails: EmailQueue; issuer: string },
  account: Recipient,
  options: { now: Date; inviter: string; clientId?: string | undefined },
): Promise<void> {
  const detail = { email: account.email, ...(options.clientId ? { clientId: options.clientId } : {}) };
  const token = await issueLink(tx, account, 'invite', { now: options.now, detail });
  await deps.emails.enqueue(tx, {
    to: account.email,
    template: 'invite',
    data: {
      name: account.name ?? account.email,
      inviter: options.inviter,
      link: `${deps.issuer}${INVITATION_PATH}?token=${token}`,
      expiresInDays: String(LINK_LIFETIME_SECONDS.invite / 86_400),
    },
  });
}
