// Device cookies (the OWASP "device cookies" pattern against lockout abuse): a browser that completed
// a sign-in to an account (password, and the second factor when one was needed) keeps a cookie
// naming that account, its credential epoch and a random nonce, with an HMAC under a key derived from
// SECRET_KEY. The epoch binds the cookie to the account's credentials as they were: any reset (a new
// password, sign-out-everywhere, disabling) moves the account's epoch on and voids every device
// cookie issued before it, so a browser that signed in while someone knew the old password is not
// worth anything after the reset (the budget is only spent at the account's current epoch). At the
// next password attempt for that same account it is a known browser: the account-wide lock, which
// anyone who knows the email can set off, does not hold it; the cookie's own small failure budget
// does (src/accounts/lockout.ts). The cookie holds no email, only the account id; it cannot be
// forged without the key, and it is worth nothing for any other account.
import { createHmac, randomBytes, type KeyObject } from 'node:crypto';
import type { Context } from 'koa';
import { constantTimeEqual } from '../security/constant-time.ts';

/**
 * What a genuine device cookie says: this browser signed in to `accountId` at its credential `epoch`;
 * `nonce` names its failure budget.
 */
export interface DeviceClaim {
  accountId: string;
  epoch: number;
  nonce: string;
}

/**
 * How long a browser stays known without signing in (each completed sign-in starts it again). A
 * spent budget is kept as long (storage/login-failures.ts), so pruning cannot give it back.
 */
export const DEVICE_COOKIE_LIFETIME_SECONDS = 180 * 86_400;

export interface DeviceCookies {
  /** The claim of the device cookie this browser sent, if the cookie is one this server made. */
  read(ctx: Context): DeviceClaim | undefined;
  /**
   * A sign-in to `accountId`, proven at its credential `epoch`, completed: the browser keeps its
   * cookie for that account and epoch (its lifetime starts again) or gets a new one (a browser knows
   * one account: the last it signed in to).
   */
  issue(ctx: Context, accountId: string, epoch: number): void;
}

const ACCOUNT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const NONCE = /^[0-9a-f]{32}$/;
const EPOCH = /^(0|[1-9][0-9]{0,14})$/;

export function createDeviceCookies(key: KeyObject): DeviceCookies {
  // __Host- binds the cookie to this exact origin (only possible on https); Strict: it is only ever
  // needed by the sign-in form's own POST, never on a navigation from another site
  const nameFor = (ctx: Context) => (ctx.secure ? '__Host-portcullis-device' : 'portcullis-device');
  const tag = (accountId: string, epoch: string, nonce: string) =>
    createHmac('sha256', key).update(`device:${accountId}.${epoch}.${nonce}`, 'utf8').digest('base64url');

  function parse(value: string | undefined): (DeviceClaim & { mac: string }) | undefined {
    if (!value || value.length > 160) return undefined;
    const [accountId, epoch, nonce, mac, ...rest] = value.split('.');
    if (
      rest.length > 0 ||
      !accountId ||
      !epoch ||
      !nonce ||
      !mac ||
      !ACCOUNT_ID.test(accountId) ||
      !EPOCH.test(epoch) ||
      !NONCE.test(nonce)
    )
      return undefined;
    return constantTimeEqual(tag(accountId, epoch, nonce), mac) ? { accountId, epoch: Number(epoch), nonce, mac } : undefined;
  }

  return {
    read(ctx) {
      const claim = parse(ctx.cookies.get(nameFor(ctx), { signed: false }));
      return claim && { accountId: claim.accountId, epoch: claim.epoch, nonce: claim.nonce };
    },
    issue(ctx, accountId, epoch) {
      const current = parse(ctx.cookies.get(nameFor(ctx), { signed: false }));
      // the browser's cookie for this account and epoch is sent back as it is (a new lifetime): its
      // MAC, just verified, is the one a new tag would compute
      const kept = current?.accountId === accountId && current.epoch === epoch ? current : undefined;
      const nonce = kept ? kept.nonce : randomBytes(16).toString('hex');
      const mac = kept ? kept.mac : tag(accountId, String(epoch), nonce);
      ctx.cookies.set(nameFor(ctx), `${accountId}.${epoch}.${nonce}.${mac}`, {
        httpOnly: true,
        sameSite: 'strict',
        secure: ctx.secure,
        path: '/',
        signed: false,
        overwrite: true,
        maxAge: DEVICE_COOKIE_LIFETIME_SECONDS * 1000,
      });
    },
  };
}
