// The first sign-in after an invitation, without typing the new password a second time: accepting an
// invitation for a client leaves in this browser a sealed cookie (AES-256-GCM with associated data of
// its own; nothing kept server-side) naming the account, its credential epoch right after the new
// password was set, and the client, worth 10 minutes. When that client's sign-in page opens in this
// browser within them, the password counts as proven there (it was typed minutes ago, here), and the
// sign-in goes on as after a password: a second factor when one is needed, then the application.
//
// It works for that client only, while the account is enabled and at that epoch (any reset since voids
// it), never for a sign-in that asks for a fresh login (`prompt=login`, `max_age`) or hints at another
// address. It is cleared from the browser at its first use; nothing server-side records that use, so
// a copy lifted from the browser would work until it expires, as a copy of the session cookie would.
// HttpOnly, SameSite=Lax (the client's redirect to /auth is a top-level navigation), kept to the
// sign-in pages' path.
import type { Context } from 'koa';
import { decrypt, encrypt } from '../security/encryption.ts';

const ASSOCIATED_DATA = 'invitation-sign-in';
export const INVITATION_SIGN_IN_TTL_MS = 10 * 60_000;

export interface InvitationSignIn {
  accountId: string;
  epoch: number;
  clientId: string;
  /** Epoch ms after which it is worthless. */
  until: number;
}

const nameFor = (ctx: Context) => (ctx.secure ? '__Host-portcullis-invitation' : 'portcullis-invitation');
const options = (ctx: Context, maxAge: number) => ({
  httpOnly: true,
  sameSite: 'lax' as const,
  secure: ctx.secure,
  // the __Host- prefix requires Path=/; without https the cookie is kept to the sign-in pages
  path: ctx.secure ? '/' : '/interaction',
  signed: false,
  overwrite: true,
  maxAge,
});

export function giveInvitationSignIn(ctx: Context, key: Buffer, proof: Omit<InvitationSignIn, 'until'>, nowMs: number): void {
  const sealed = encrypt(key, JSON.stringify({ ...proof, until: nowMs + INVITATION_SIGN_IN_TTL_MS }), ASSOCIATED_DATA);
  ctx.cookies.set(nameFor(ctx), sealed, options(ctx, INVITATION_SIGN_IN_TTL_MS));
}

/** This browser's invitation sign-in for `clientId`, cleared as it is read; undefined when absent, stale, forged or for another client. */
export function takeInvitationSignIn(ctx: Context, key: Buffer, clientId: string, nowMs: number): InvitationSignIn | undefined {
  const sealed = ctx.cookies.get(nameFor(ctx), { signed: false });
  if (!sealed) return undefined;
  ctx.cookies.set(nameFor(ctx), '', options(ctx, 0));
  if (sealed.length > 2048) return undefined;
  try {
    const proof = JSON.parse(decrypt(key, sealed, ASSOCIATED_DATA)) as InvitationSignIn;
    return proof.clientId === clientId && typeof proof.until === 'number' && nowMs < proof.until ? proof : undefined;
  } catch {
    return undefined;
  }
}
