// What a password reset carries from one step to the next in this browser: which link (the SHA-256
// of its token, never the token), which account at which credential epoch, whether the account's
// second factor was proven for this link, and the passkey challenge last offered. Sealed (AES-256-GCM
// under the sign-in state key, associated data of its own so no other sealed cookie can stand in for
// it), nothing kept server-side, worth 10 minutes. It proves nothing without the link itself: the
// final step redeems the link, and a state for another link, account or epoch is worth nothing.
import { createHash } from 'node:crypto';
import type { Context } from 'koa';
import { decrypt, encrypt } from '../../security/encryption.ts';

export interface ResetState {
  /** base64url SHA-256 of the link's token. */
  link: string;
  accountId: string;
  epoch: number;
  /** The second factor proven for this link (RFC 8176 methods), empty before. */
  amr: string[];
  /** The WebAuthn challenge of the passkey assertion last offered. */
  challenge?: string;
  /** Epoch ms at which it was written. */
  since: number;
}

export const RESET_STATE_TTL_MS = 10 * 60_000;
const ASSOCIATED_DATA = 'password-reset';

/** What a state is bound to: the link (by its token's hash). */
export const linkFingerprint = (token: string): string => createHash('sha256').update(token, 'utf8').digest('base64url');

export interface ResetStates {
  /** This browser's state for the link `token`, unless absent, expired, tampered with, or for another link. */
  read(ctx: Context, token: string): ResetState | undefined;
  write(ctx: Context, state: Omit<ResetState, 'since'>): void;
  clear(ctx: Context): void;
}

export function createResetStates(key: Buffer, now: () => number = Date.now): ResetStates {
  // As the account page's cookie (account-session.ts): __Host- on https, kept to the reset page
  // without it; SameSite=Strict, HttpOnly.
  const nameFor = (ctx: Context) => (ctx.secure ? '__Host-portcullis-reset' : 'portcullis-reset');
  const options = (ctx: Context, maxAge: number) => ({
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: ctx.secure,
    path: ctx.secure ? '/' : '/account/reset-password',
    signed: false,
    overwrite: true,
    maxAge,
  });

  return {
    read(ctx, token) {
      const sealed = ctx.cookies.get(nameFor(ctx), { signed: false });
      if (!sealed || sealed.length > 4096) return undefined;
      try {
        const state = JSON.parse(decrypt(key, sealed, ASSOCIATED_DATA)) as ResetState;
        const fresh = typeof state.since === 'number' && now() < state.since + RESET_STATE_TTL_MS;
        return fresh && state.link === linkFingerprint(token) ? state : undefined;
      } catch {
        return undefined; // tampered with, or sealed under an earlier SECRET_KEY
      }
    },
    write(ctx, state) {
      ctx.cookies.set(
        nameFor(ctx),
        encrypt(key, JSON.stringify({ ...state, since: now() }), ASSOCIATED_DATA),
        options(ctx, RESET_STATE_TTL_MS),
      );
    },
    clear(ctx) {
      ctx.cookies.set(nameFor(ctx), '', options(ctx, 0));
    },
  };
}
