// The inputs of the audit operations: event filters, time ranges (ISO 8601 dates), seqs and page sizes.
import { z } from 'zod';
import { MAX_PAGE } from '../../security/audit/audit-queries.ts';

const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/i;
const DATE_MESSAGE = 'must be an ISO 8601 date (2025-01-31, UTC) or date-time with a zone (2025-01-31T12:00:00Z)';

/** `2025-01-31` (midnight UTC) or `2025-01-31T12:00:00+02:00`; an impossible day is refused. */
export function parseIsoDate(text: string): Date | undefined {
  const match = DATE_ONLY.exec(text) ?? DATE_TIME.exec(text);
  if (!match) return undefined;
  const [, year, month, day] = match.map(Number) as [number, number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  if (calendar.getUTCFullYear() !== year || calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day) return undefined;
  const date = new Date(DATE_ONLY.test(text) ? `${text}T00:00:00Z` : text);
  return Number.isNaN(date.getTime()) ? undefined : date;
}

export const isoDate = z
  .string()
  .trim()
  .transform((text, ctx) => {
    const date = parseIsoDate(text);
    if (!date) {
      ctx.addIssue({ code: 'custom', message: DATE_MESSAGE });
      return z.NEVER;
    }
    return date;
  });

export const seq = z.number().int('must be a whole number').min(0, 'must be 0 or more').max(Number.MAX_SAFE_INTEGER);
export const limit = z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_PAGE, `must be at most ${MAX_PAGE}`);
const id = z.string().trim().min(1, 'must not be empty').max(512, 'must be at most 512 characters');

export const range = { since: isoDate.optional(), until: isoDate.optional() };
export const orderedRange = (input: { since?: Date | undefined; until?: Date | undefined }, ctx: z.RefinementCtx) => {
  if (input.since && input.until && input.until <= input.since)
    ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be later than since' });
};

/** audit.list: filters (type or prefix, user, client, time) and where to start. */
export const auditListInput = z
  .strictObject({
    type: z
      .string()
      .trim()
      .max(100, 'must be at most 100 characters')
      .regex(
        /^[a-z][a-z0-9_]*(?:\.[a-z][a-z0-9_]*)*(?:\.\*)?$/,
        'must be an event type or prefix such as login.succeeded, login or login.*',
      )
      .optional(),
    userId: id.optional(),
    clientId: id.optional(),
    ...range,
    afterSeq: seq.optional(),
    limit: limit.optional(),
  })
  .superRefine(orderedRange);

/** audit.export: a period, a page at a time. */
export const auditExportInput = z.strictObject({ ...range, afterSeq: seq.optional(), limit: limit.optional() }).superRefine(orderedRange);

/** audit.prune: the cut-off (default: the retention period's). */
export const auditPruneInput = z.strictObject({ before: isoDate.optional() });
