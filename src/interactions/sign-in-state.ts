// What a sign-in carries between its steps (password, second factor, a new password an administrator
// required): which account proved its password, in which interaction, and what the next step needs.
// Kept in the browser as an AES-256-GCM-sealed cookie bound to the interaction's uid, so any server
// process can continue the sign-in and nothing of it is stored server-side; it cannot be read, forged
// or moved to another sign-in. Only finishing the interaction creates a session: a half-finished
// sign-in is worth nothing.
import type { Context } from 'koa';
import { decrypt, encrypt } from '../security/encryption.ts';

export interface SignInState {
  uid: string;
  accountId: string;
  /** The methods proven so far (RFC 8176 values): `pwd` after the password. */
  amr: string[];
  /**
   * The account's credential epoch when the password was checked (or, for a step-up, when the
   * session was taken up): a reset since voids this sign-in (src/accounts/credential-epoch.ts).
   */
  epoch: number;
  /**
   * The password was typed in this sign-in. False for a step-up of a session (which proved it
   * earlier): such a sign-in may prove a factor the account has, but neither enrol one nor choose a
   * new password, which need the password proven here.
   */
  passwordProven: boolean;
  /** The second factor proven during an enrolment, before its recovery codes were shown. */
  enrolled?: string;
  /** The WebAuthn challenge of the passkey assertion last offered. */
  challenge?: string;
  /** The WebAuthn challenge of the passkey registration last offered (enrolment only). */
  registrationChallenge?: string;
  /** The authenticator-app key this sign-in's enrolment page shows: it belongs to this sign-in alone, and expires with it. */
  pendingTotp?: string;
  /**
   * Set once every factor the sign-in needs is proven (`amr` holds them all) and only the new password
   * an administrator required is left: the login then finishes with this acr. Without it, the
   * password-change page refuses the state, so it cannot be used to skip a second factor.
   */
  passwordChange?: { acr: string; secondFactor?: string };
  /** Epoch ms after which the state is worthless. */
  expiresAt: number;
}

/** Long enough to find the phone; short enough that a forgotten tab is not a standing half-login. */
const TTL_MS = 10 * 60_000;

/** The challenge of the passkey sign-in a login page offers, until it is answered or expires. */
export interface PasskeyChallenge {
  uid: string;
  challenge: string;
  /** Epoch ms after which the challenge is worthless. */
  expiresAt: number;
}

export interface SignInStates {
  read(ctx: Context, uid: string): SignInState | undefined;
  write(ctx: Context, state: Omit<SignInState, 'expiresAt'> & { expiresAt?: number }): void;
  clear(ctx: Context): void;
  /**
   * Keeps the challenge of the passkey sign-in the login page of interaction `uid` offers, sealed
   * and bound to that interaction like the state. A cookie of its own: before a passkey answers
   * there is no account, and a sign-in state always names one (sign-in-step.ts relies on it).
   * A later login page of the same interaction replaces it: only the newest challenge is answerable.
   */
  writePasskeyChallenge(ctx: Context, uid: string, challenge: string): void;
  /** That challenge (undefined when absent, expired, another interaction's or tampered), its cookie dropped. */
  takePasskeyChallenge(ctx: Context, uid: string): PasskeyChallenge | undefined;
}

export function createSignInStates(key: Buffer, now: () => number = Date.now): SignInStates {
  // __Host- binds the cookie to this exact origin (only possible on https)
  const nameFor = (ctx: Context) => (ctx.secure ? '__Host-portcullis-signin' : 'portcullis-signin');
  const options = (ctx: Context, maxAge: number) => ({
    httpOnly: true,
    sameSite: 'lax' as const,
    secure: ctx.secure,
    path: '/',
    signed: false,
    overwrite: true,
    maxAge,
  });

  const challengeCookie = (ctx: Context) => (ctx.secure ? '__Host-portcullis-passkey' : 'portcullis-passkey');

  return {
    writePasskeyChallenge(ctx, uid, challenge) {
      const sealed: PasskeyChallenge = { uid, challenge, expiresAt: now() + TTL_MS };
      ctx.cookies.set(challengeCookie(ctx), encrypt(key, JSON.stringify(sealed), `passkey-sign-in:${uid}`), options(ctx, TTL_MS));
    },
    takePasskeyChallenge(ctx, uid) {
      const sealed = ctx.cookies.get(challengeCookie(ctx), { signed: false });
      if (sealed) ctx.cookies.set(challengeCookie(ctx), '', options(ctx, 0));
      if (!sealed || sealed.length > 1024) return undefined;
      try {
        const held = JSON.parse(decrypt(key, sealed, `passkey-sign-in:${uid}`)) as PasskeyChallenge;
        return held.uid === uid && typeof held.challenge === 'string' && held.expiresAt > now() ? held : undefined;
      } catch {
        return undefined; // another interaction's challenge, a tampered or an outdated cookie
      }
    },
    read(ctx, uid) {
      const sealed = ctx.cookies.get(nameFor(ctx), { signed: false });
      if (!sealed || sealed.length > 4096) return undefined;
      try {
        const state = JSON.parse(decrypt(key, sealed, `sign-in:${uid}`)) as SignInState;
        return state.uid === uid && state.expiresAt > now() ? state : undefined;
      } catch {
        return undefined; // another sign-in's state, a tampered or an outdated cookie
      }
    },
    write(ctx, state) {
      const full: SignInState = { ...state, expiresAt: state.expiresAt ?? now() + TTL_MS };
      ctx.cookies.set(
        nameFor(ctx),
        encrypt(key, JSON.stringify(full), `sign-in:${state.uid}`),
        options(ctx, Math.max(0, full.expiresAt - now())),
      );
    },
    clear(ctx) {
      ctx.cookies.set(nameFor(ctx), '', options(ctx, 0));
    },
  };
}
