// What the session and grant operations take: the user (by id or email, as every users operation),
// a session or grant handle, and the listings' page and cursor.
import { z } from 'zod';
import { invalidInput } from '../operation/define.ts';
import { decodeCursor, pageInput } from '../operation/pagination.ts';
import { userRefInput } from '../users/user-ref.ts';

/** oidc-provider's ids (nanoid): letters, digits, `_` and `-`. */
const handleField = (what: string) =>
  z
    .string()
    .trim()
    .min(1, 'must not be empty')
    .max(128, 'must be at most 128 characters')
    .regex(/^[\w-]+$/, `is not a ${what} id (the ids users.${what}s lists)`);

/** users.sessions and users.grants: the user, a page at a time. */
export const userListingInput = z.strictObject({ user: userRefInput.shape.user, ...pageInput });

export const sessionRefInput = z.strictObject({ user: userRefInput.shape.user, sessionId: handleField('session') });

export const grantRefInput = z.strictObject({ user: userRefInput.shape.user, grantId: handleField('grant') });

/** A listing cursor: [seconds, id], the seconds a whole number. */
export function listingPosition(cursor: string | undefined): [string, string] | undefined {
  const position = decodeCursor(cursor, 2) as [string, string] | undefined;
  if (position && !/^\d{1,15}$/.test(position[0])) throw invalidInput('cursor', 'is not a cursor this listing returned');
  return position;
}

/** The seconds of a listing position: a whole number (0 when unknown). */
export const seconds = (value: unknown) => String(typeof value === 'number' && Number.isFinite(value) ? Math.floor(value) : 0);
