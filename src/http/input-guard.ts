// The one guard at the edge against input no endpoint can store or compare: a NUL byte (PostgreSQL
// text cannot hold one), a lone surrogate or bytes that are not UTF-8 (no valid text), and bodies in
// another charset (oidc-provider would decode a `charset=utf-16` body into exactly such text), and
// against bodies past their endpoint's limit (413, on the declared length, before a byte is read).
// It runs before the rate limits read a body and before any store, over the path, the query string,
// the Origin header, HTTP Basic client credentials, and urlencoded form and JSON bodies, and answers a clear 4xx
// (`invalid_request`, which the error handler shows as our JSON error, an OAuth error object, or the
// error page to browsers on a page).
import type { Context, Middleware } from 'koa';
import { AppError } from './app-error.ts';
import { isFormBody, isJsonBody } from './body-type.ts';
import { peekBody, PEEK_LIMIT_BYTES } from './peek-body.ts';
import { isStorableText } from '../storage/storable-text.ts';

const utf8 = new TextDecoder('utf-8', { fatal: true });

const refuse = (where: string, status = 400) =>
  new AppError('invalid_request', `${where} contains a NUL character or text that is not valid UTF-8`, status);

/** Percent-decodes like URLSearchParams (a stray `%` stays as it is), to bytes, then reads them as strict UTF-8. */
function decodeComponent(component: string, plusIsSpace: boolean): string | undefined {
  const text = plusIsSpace ? component.replaceAll('+', ' ') : component;
  if (!text.includes('%')) return isStorableText(text) ? text : undefined;
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x25 && /^[0-9a-fA-F]{2}$/.test(text.slice(i + 1, i + 3))) {
      bytes.push(Number.parseInt(text.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (code < 0x80) {
      bytes.push(code);
    } else {
      // already-decoded text (a raw non-ASCII character): its own UTF-8 bytes
      const char = String.fromCodePoint(text.codePointAt(i)!);
      if (!char.isWellFormed()) return undefined;
      bytes.push(...Buffer.from(char, 'utf8'));
      i += char.length - 1;
    }
  }
  try {
    const decoded = utf8.decode(Uint8Array.from(bytes));
    return decoded.includes('\u0000') ? undefined : decoded;
  } catch {
    return undefined;
  }
}

/**
 * ASCII without NUL and without `%`: clean text as it stands, and whatever it decodes to. Nearly every
 * path, query, form and credential is this, and one native regex test settles it.
 */
const PLAIN_ASCII = /^[\x01-\x24\x26-\x7f]*$/;

/** Every name and value of an `a=b&c=d` string is clean text. */
const isCleanForm = (form: string) =>
  PLAIN_ASCII.test(form) || form.split('&').every((pair) => pair.split('=').every((part) => decodeComponent(part, true) !== undefined));

/**
 * Every string of a JSON value, keys included, at any depth, is clean text. Walked with a list, not
 * recursion: JSON.parse accepts nesting far deeper than the call stack (`[[[[...` 30,000 deep).
 */
function isCleanJson(root: unknown): boolean {
  const pending: unknown[] = [root];
  while (pending.length > 0) {
    const value = pending.pop();
    if (typeof value === 'string') {
      if (!isStorableText(value)) return false;
    } else if (Array.isArray(value)) {
      for (const item of value) pending.push(item);
    } else if (value && typeof value === 'object') {
      for (const [key, item] of Object.entries(value)) {
        if (!isStorableText(key)) return false;
        pending.push(item);
      }
    }
  }
  return true;
}

/**
 * HTTP Basic client credentials (RFC 6749 §2.3.1): base64 of `client_id:client_secret`, each
 * form-urlencoded before. Both the decoded bytes and each percent-decoded part must be clean text; a
 * header that is not Basic, or not base64 at all, is the endpoint's to judge.
 */
function isCleanBasic(authorization: string): boolean {
  const match = /^basic +([A-Za-z0-9+/=_-]+) *$/i.exec(authorization);
  if (!match) return true;
  let text: string;
  try {
    text = utf8.decode(Buffer.from(match[1]!, 'base64'));
  } catch {
    return false;
  }
  return PLAIN_ASCII.test(text) || (isStorableText(text) && text.split(':').every((part) => decodeComponent(part, true) !== undefined));
}

/**
 * An Origin header is `null` or a serialized origin (RFC 6454 §7): scheme, host, optional port, no
 * path, at most a hostname's length. Browsers send nothing else; oidc-provider echoes the header in
 * Access-Control-Allow-Origin, so anything else (16 KB of text, a path) is refused, never echoed.
 */
const isOrigin = (origin: string) => origin === 'null' || (origin.length <= 300 && URL.parse(origin)?.origin === origin);

export interface InputGuardOptions {
  /** The largest body (bytes) the reader of this path's urlencoded form (`form`) or JSON body accepts. */
  bodyLimit: (path: string, form: boolean) => number;
}

async function checkBody(ctx: Context, bodyLimit: InputGuardOptions['bodyLimit']): Promise<void> {
  const hasBody = ctx.request.length > 0 || ctx.get('Transfer-Encoding') !== '';
  if (!hasBody) return;
  // whatever the type: a reader decoding another charset would make text this guard never saw
  const charset = ctx.request.charset.toLowerCase();
  if (charset && charset !== 'utf-8' && charset !== 'utf8') {
    throw new AppError('invalid_request', `request bodies must be UTF-8 (got charset ${charset.slice(0, 40)})`, 415);
  }
  const form = isFormBody(ctx);
  if (!form && !isJsonBody(ctx)) return; // other types are refused by the endpoints that read bodies
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- Koa types it number, but it is undefined without Content-Length
  if (ctx.request.length === undefined) {
    // a body read here is read before the endpoint: it must declare its size
    throw new AppError('invalid_request', 'a form or JSON body needs a Content-Length', 411);
  }
  // the endpoint's limit, on the declared length: nothing past it is read, by us or by the endpoint
  if (ctx.request.length > Math.min(bodyLimit(ctx.path, form), PEEK_LIMIT_BYTES))
    throw new AppError('payload_too_large', 'the request body is too large', 413);
  const bytes = await peekBody(ctx.req);
  if (bytes === undefined) return; // the stream is already being read by someone else: nothing to add
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw refuse('the request body');
  }
  if (form) {
    if (!isCleanForm(text)) throw refuse('a form field');
    return;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return; // not JSON at all: the endpoint answers that in its own words
  }
  if (!isCleanJson(parsed)) throw refuse('the JSON body');
}

export function inputGuard(options: InputGuardOptions): Middleware {
  return async (ctx, next) => {
    const path = ctx.path;
    if (!PLAIN_ASCII.test(path) && !path.split('/').every((segment) => decodeComponent(segment, false) !== undefined))
      throw refuse('the path');
    if (ctx.querystring && !isCleanForm(ctx.querystring)) throw refuse('the query string');
    const origin = ctx.get('Origin');
    if (origin && !isOrigin(origin)) throw new AppError('invalid_request', 'the Origin header is not a web origin', 400);
    const authorization = ctx.get('Authorization');
    if (authorization && !isCleanBasic(authorization)) throw refuse('the HTTP Basic client credentials');
    await checkBody(ctx, options.bodyLimit);
    await next();
  };
}
