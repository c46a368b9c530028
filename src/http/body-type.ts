// What kind of body a request declares, decided once for the input guard and the admin API the way
// the body readers decide it (Koa's ctx.is, oidc-provider's parser: type-is), which ignore case,
// surrounding whitespace and parameters. A guard that read the header more strictly than a reader
// would let through a body it never looked at (`Application/x-www-form-urlencoded` with a NUL).
import type { Context } from 'koa';

/** The media type, lower-case, without parameters or surrounding whitespace ('' when absent). */
const mediaType = (ctx: Context): string => ctx.get('Content-Type').split(';', 1)[0]!.trim().toLowerCase();

export const isFormBody = (ctx: Context): boolean => mediaType(ctx) === 'application/x-www-form-urlencoded';

/** `application/json` or a `+json` type. */
export const isJsonBody = (ctx: Context): boolean => {
  const type = mediaType(ctx);
  return type === 'application/json' || /^application\/[\w.-]+\+json$/.test(type);
};
