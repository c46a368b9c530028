// The client a request says it comes from, before anyone checked: read the way oidc-provider reads
// it (HTTP Basic, else `client_id`, else the `sub` of a client assertion). Only the id is read;
// secrets and assertions are neither verified nor kept. A quota is only ever *checked* under a
// claimed id (a forged claim can at most be refused), never spent.
import type { Context } from 'koa';
import { peekFormBody } from '../../http/peek-body.ts';

/** The client id of an `Authorization: Basic` header (RFC 6749 §2.3.1: form-encoded id and secret). */
export function basicClientId(authorization: string | undefined): string | undefined {
  const match = /^basic ([A-Za-z0-9+/]+={0,2})$/i.exec(authorization?.trim() ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon <= 0) return undefined;
  try {
    return decodeURIComponent(decoded.slice(0, colon).replaceAll('+', '%20')) || undefined;
  } catch {
    return undefined;
  }
}

/** `client_id`, else the subject of `client_assertion` (decoded, not verified). */
export function formClientId(form: URLSearchParams): string | undefined {
  const clientId = form.get('client_id');
  if (clientId) return clientId;
  const assertion = form.get('client_assertion');
  const payload = assertion?.split('.')[1];
  if (!payload) return undefined;
  try {
    const { sub } = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { sub?: unknown };
    return typeof sub === 'string' && sub ? sub : undefined;
  } catch {
    return undefined;
  }
}

/** The claimed client of a request to a client endpoint; the form body is peeked, never consumed. */
export async function claimedClientId(ctx: Context): Promise<string | undefined> {
  const authorization = ctx.get('Authorization');
  if (authorization) return basicClientId(authorization);
  if (!ctx.is('application/x-www-form-urlencoded')) return undefined;
  const body = await peekFormBody(ctx.req);
  return body === undefined ? undefined : formClientId(new URLSearchParams(body));
}
