// The ticket behind "Send me a new link" on the page a not-yet-verified account gets at sign-in:
// which account, at which credential epoch, until when. Only a sign-in that proved the account's
// password gets one (authenticate.ts' `email_unverified`), so nobody else can make the server mail
// a verification link to an address; sealed (AES-256-GCM with associated data of its own, nothing
// kept server-side) so it can be neither forged nor read, and good for 15 minutes.
import { decrypt, encrypt } from '../security/encryption.ts';

const ASSOCIATED_DATA = 'verify-email-resend';
export const RESEND_TICKET_TTL_MS = 15 * 60_000;

export interface ResendTicket {
  accountId: string;
  epoch: number;
  /** The sign-in (interaction uid) to come back to. */
  uid: string;
  /** Epoch ms after which the ticket is worthless. */
  until: number;
}

export function sealResendTicket(key: Buffer, ticket: Omit<ResendTicket, 'until'>, nowMs: number): string {
  return encrypt(key, JSON.stringify({ ...ticket, until: nowMs + RESEND_TICKET_TTL_MS }), ASSOCIATED_DATA);
}

export function openResendTicket(key: Buffer, sealed: string, nowMs: number): ResendTicket | undefined {
  if (sealed.length > 2048) return undefined;
  try {
    const ticket = JSON.parse(decrypt(key, sealed, ASSOCIATED_DATA)) as ResendTicket;
    return typeof ticket.until === 'number' && nowMs < ticket.until && typeof ticket.accountId === 'string' ? ticket : undefined;
  } catch {
    return undefined; // tampered, or sealed under another SECRET_KEY
  }
}
