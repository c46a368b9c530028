// Optimistic concurrency for admin updates (RFC 9110 ETag / If-Match). An object's entity tag is a
// hash of its admin view, so any change to what an admin sees (including updatedAt) changes the tag,
// whichever path made it, with no version column to keep in step. An update names the tag it was
// based on; the operation compares it with the current view inside the transaction that changes the
// row (locked), so two admins who read the same version cannot both write.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { AppError } from '../../http/app-error.ts';

/** JSON with object keys sorted, so the tag does not depend on key order. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, item]) => item !== undefined);
    return `{${entries
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`)
      .join(',')}}`;
  }
  return JSON.stringify(value);
}

/** The strong entity tag of an object's view, quoted as in an `ETag` header. */
export function entityTag(view: object): string {
  return `"${createHash('sha256').update(canonicalJson(view)).digest('base64url').slice(0, 27)}"`;
}

/** The `ifMatch` input of an update: an `If-Match` header value (one or more entity tags; `*` is refused). */
export const ifMatchInput = z.string().max(1000, 'must be at most 1000 characters').optional();

/**
 * Refuses the update with 412 unless `ifMatch` (when given) matches the object's current view.
 * Strong comparison (RFC 9110 §13.1.1): a weak tag `W/"…"` never matches. `*` is refused with 428:
 * it matches whatever version is there now, so it would skip the very guard If-Match is for; an
 * update names the entity tag it read.
 */
export function assertIfMatch(ifMatch: string | undefined, current: object): void {
  if (ifMatch === undefined) return;
  const tags = ifMatch.split(',').map((tag) => tag.trim());
  if (tags.includes('*')) {
    throw new AppError(
      'precondition_required',
      'ifMatch: "*" does not say which version was read; send the ETag of the object as last read (RFC 9110), so no change made meanwhile is overwritten',
      428,
    );
  }
  if (tags.includes(entityTag(current))) return;
  throw new AppError(
    'precondition_failed',
    'ifMatch: the object has changed since it was read; read it again (its ETag) and retry the change',
    412,
  );
}
