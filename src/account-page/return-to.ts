// Where the account pages' one re-authentication (security-routes.ts) leads once it is done: the
// security page, the account page, or the confirmation of an email change whose link was opened
// before the browser had proved anything. Only these exact shapes are accepted (nothing the form
// says is followed elsewhere: no open redirect), and the token of a link is only carried, never used,
// on the way.
export const ACCOUNT_PATH = '/account';
export const CONFIRM_EMAIL_PATH = '/account/confirm-email';

/** A one-time link's token as account-links.ts issues it (43 base64url characters). */
export const LINK_TOKEN_SHAPE = /^[A-Za-z0-9_-]{43}$/;

/** `value` when it is a place the re-authentication may return to; undefined otherwise. */
export function returnPath(value: unknown): string | undefined {
  if (value === ACCOUNT_PATH) return value;
  if (typeof value !== 'string' || !value.startsWith(`${CONFIRM_EMAIL_PATH}?token=`)) return undefined;
  return LINK_TOKEN_SHAPE.test(value.slice(CONFIRM_EMAIL_PATH.length + '?token='.length)) ? value : undefined;
}
