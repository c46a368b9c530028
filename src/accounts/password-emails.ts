// The password emails, queued in the caller's transaction. The reset email: a one-time link
// (account-links.ts: 30 minutes, single use, void after a newer one or any password change), one home
// for both senders (the "Forgot your password?" page and the administrators' `users
// send-password-reset`). The "your password was changed" notice, one home for every way a user
// changes their own password (a reset, the account page).
import type { EmailQueue } from '../email/email-queue.ts';
import type { Queryable } from '../storage/database.ts';
import type { AccountWithCredentials } from '../storage/accounts.ts';
import { issueLink, LINK_LIFETIME_SECONDS } from './account-links.ts';

/** The page a reset link opens (GET shows a form; only the final POST uses the link). */
export const RESET_PASSWORD_PATH = '/account/reset-password';

/** How an email greets its reader: their name, or their address when they gave none. */
export function greetingName(account: Pick<AccountWithCredentials, 'name' | 'email'>): string {
  const name = account.name?.trim() ?? '';
  return name === '' ? account.email : name;
}

export interface PasswordResetEmailOptions {
  issuer: string;
  now: Date;
  /** The sign-in (interaction uid) the user came from, to lead them back to it afterwards. */
  interaction?: string | undefined;
}

/** Issues a reset link for `account` and queues its email, both in `tx`. Returns when the link expires. */
export async function queuePasswordResetEmail(
  tx: Queryable,
  emails: Pick<EmailQueue, 'enqueue'>,
  account: Pick<AccountWithCredentials, 'id' | 'credentialEpoch' | 'email' | 'name'>,
  options: PasswordResetEmailOptions,
): Promise<{ expiresAt: Date }> {
  const token = await issueLink(tx, account, 'reset_password', {
    now: options.now,
    ...(options.interaction ? { detail: { interaction: options.interaction } } : {}),
  });
  const lifetime = LINK_LIFETIME_SECONDS.reset_password;
  await emails.enqueue(tx, {
    to: account.email,
    template: 'password-reset',
    data: {
      name: greetingName(account),
      link: `${options.issuer}${RESET_PASSWORD_PATH}?token=${token}`,
      expiresInMinutes: String(lifetime / 60),
    },
  });
  return { expiresAt: new Date(options.now.getTime() + lifetime * 1000) };
}

/** `2025-01-31 14:05 UTC`. */
const readableTime = (time: Date) => `${time.toISOString().slice(0, 16).replace('T', ' ')} UTC`;

/** Queues "your password was changed" to the account's address, in `tx` (the change's transaction). */
export async function queuePasswordChangedNotice(
  tx: Queryable,
  emails: Pick<EmailQueue, 'enqueue'>,
  account: Pick<AccountWithCredentials, 'email' | 'name'>,
  options: { issuer: string; now: Date },
): Promise<void> {
  await emails.enqueue(tx, {
    to: account.email,
    template: 'password-changed',
    // the account page (its path is the account page's own constant, which lives above this layer)
    data: { name: greetingName(account), time: readableTime(options.now), accountUrl: `${options.issuer}/account` },
  });
}
