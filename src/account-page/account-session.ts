// The proof that this browser's user re-authenticated for their own security page: which account,
// how far (password only so far, or everything the account has), and since when. Sealed like a
// sign-in state (AES-256-GCM under the sign-in state key, nothing kept server-side), with associated
// data of its own, so neither kind of cookie can stand in for the other. It is worth 10 minutes from
// the proof: changing the factors that guard an account needs a recent proof, not an old session.
// It also carries the account's credential epoch at the proof: any reset since voids it.
import type { Context } from 'koa';
import { decrypt, encrypt } from '../security/encryption.ts';

export interface AccountSession {
  accountId: string;
  /** `password`: the password is proven and a second factor is still to come; `proven`: done. */
  stage: 'password' | 'proven';
  /**
   * The methods proven (RFC 8176 values): `pwd` alone proves no factor, and a `proven` session of
   * that kind stands only while the account has none (adding or removing a factor of an account
   * that has one needs one of its factors proven).
   */
  amr: string[];
  /** The account's credential epoch when the password was checked (src/accounts/credential-epoch.ts). */
  epoch: number;
  /** Epoch ms at which this stage was reached; the session is worthless TTL_MS later. */
  since: number;
  /** The WebAuthn challenge of the passkey assertion last offered. */
  challenge?: string;
  /** The WebAuthn challenge of the passkey registration last offered ("Add a passkey"). */
  registrationChallenge?: string;
  /** The authenticator-app key being added on this page: this session's alone, it expires with it. */
  pendingTotp?: string;
  /** Where the re-authentication leads once done (return-to.ts); the security page when absent. */
  returnTo?: string;
  /** Epoch ms at which the first of the two confirmations of "Delete my account" was given. */
  deletionConfirmedAt?: number;
}

/** Whether the session proved one of the account's second factors (not only the password). */
export const provedAFactor = (session: Pick<AccountSession, 'amr'>): boolean => session.amr.some((method) => method !== 'pwd');

export const ACCOUNT_SESSION_TTL_MS = 10 * 60_000;
const ASSOCIATED_DATA = 'account-session';

export interface AccountSessions {
  /** The session of this browser, unless absent, expired, tampered with or sealed under another key. */
  read(ctx: Context): AccountSession | undefined;
  /** Seals `session`; `since` defaults to now (a new stage), and is kept as given otherwise. */
  write(ctx: Context, session: Omit<AccountSession, 'since'> & { since?: number }): void;
  clear(ctx: Context): void;
}

export function createAccountSessions(key: Buffer, now: () => number = Date.now): AccountSessions {
  // On https the __Host- prefix binds the cookie to this exact origin (no subdomain can set or
  // shadow it); browsers only accept such a cookie with Path=/. Without https there is no prefix, and
  // the cookie is kept to the pages that use it. SameSite=Strict: no other site can make the
  // browser send it, not even with a top-level link.
  const nameFor = (ctx: Context) => (ctx.secure ? '__Host-portcullis-account' : 'portcullis-account');
  const options = (ctx: Context, maxAge: number) => ({
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: ctx.secure,
    path: ctx.secure ? '/' : '/account',
    signed: false,
    overwrite: true,
    maxAge,
  });

  return {
    read(ctx) {
      const sealed = ctx.cookies.get(nameFor(ctx), { signed: false });
      if (!sealed || sealed.length > 4096) return undefined;
      try {
        const session = JSON.parse(decrypt(key, sealed, ASSOCIATED_DATA)) as AccountSession;
        return typeof session.since === 'number' && now() < session.since + ACCOUNT_SESSION_TTL_MS ? session : undefined;
      } catch {
        return undefined; // a tampered cookie, or one sealed under an earlier SECRET_KEY
      }
    },
    write(ctx, session) {
      const full: AccountSession = { ...session, since: session.since ?? now() };
      const maxAge = Math.max(0, full.since + ACCOUNT_SESSION_TTL_MS - now());
      ctx.cookies.set(nameFor(ctx), encrypt(key, JSON.stringify(full), ASSOCIATED_DATA), options(ctx, maxAge));
    },
    clear(ctx) {
      ctx.cookies.set(nameFor(ctx), '', options(ctx, 0));
    },
  };
}
