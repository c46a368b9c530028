// Cursor pagination for admin listings (keyset: stable under inserts and deletes, unlike offsets).
// A cursor is the sort key of the last object of a page, opaque to callers (base64url JSON). It
// grants nothing: it only says where a listing resumes, and the caller's scopes still decide what
// the listing may show.
import { z } from 'zod';
import { invalidInput } from './define.ts';

export const MAX_PAGE_SIZE = 200;
export const DEFAULT_PAGE_SIZE = 50;

/** The `limit` and `cursor` fields of a listing's input. */
export const pageInput = {
  limit: z
    .number()
    .int('must be a whole number')
    .min(1, 'must be at least 1')
    .max(MAX_PAGE_SIZE, `must be at most ${MAX_PAGE_SIZE}`)
    .default(DEFAULT_PAGE_SIZE),
  cursor: z.string().max(2000, 'must be at most 2000 characters').optional(),
};

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next page; null on the last one. */
  nextCursor: string | null;
}

export function encodeCursor(key: readonly string[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

/** The sort key a cursor resumes after (`parts` strings), or undefined for the first page. */
export function decodeCursor(cursor: string | undefined, parts: number): string[] | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  if (!Array.isArray(key) || key.length !== parts || !key.every((part) => typeof part === 'string')) {
    throw invalidInput('cursor', 'is not a cursor this listing returned');
  }
  return key;
}

/** A page from `rows`, which the query fetched `limit + 1` of (the extra one says more follow). */
export function toPage<Row, Item>(
  rows: readonly Row[],
  limit: number,
  keyOf: (row: Row) => readonly string[],
  view: (row: Row) => Item,
): Page<Item> {
  const shown = rows.slice(0, limit);
  const last = shown.at(-1);
  return { items: shown.map(view), nextCursor: rows.length > limit && last !== undefined ? encodeCursor(keyOf(last)) : null };
}
