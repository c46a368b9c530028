// audit.list | export | verify | prune
import { z } from 'zod';
import { AppError } from '../../http/app-error.ts';
import {
  AuditChainBrokenError,
  exportAuditEvents,
  listAuditEvents,
  MAX_PAGE,
  pruneAuditEvents,
  verifyAuditChain,
  type AuditExportPage,
  type AuditPage,
  type AuditPruneResult,
  type AuditVerification,
} from '../../security/audit/audit-queries.ts';
import { redactPersonalFields } from '../../security/audit/audit-redaction.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { assertHolds } from '../operation/authority.ts';
import { defineLegacyOperation } from '../operation/define.ts';

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

const isoDate = z
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

const seq = z.number().int('must be a whole number').min(0, 'must be 0 or more').max(Number.MAX_SAFE_INTEGER);
const limit = z.number().int('must be a whole number').min(1, 'must be at least 1').max(MAX_PAGE, `must be at most ${MAX_PAGE}`);
const id = z.string().trim().min(1, 'must not be empty').max(512, 'must be at most 512 characters');

const range = { since: isoDate.optional(), until: isoDate.optional() };
const orderedRange = (input: { since?: Date | undefined; until?: Date | undefined }, ctx: z.RefinementCtx) => {
  if (input.since && input.until && input.until <= input.since)
    ctx.addIssue({ code: 'custom', path: ['until'], message: 'must be later than since' });
};

const listInput = z
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

export const listAudit = defineLegacyOperation({
  name: 'audit.list',
  summary: 'list audit events: the latest ones, or those after a seq (filters: type, user, client, time)',
  input: listInput,
  async run(ctx, input): Promise<AuditPage> {
    // Who the users are is admin:users' to see, here as at /users: without it the trail cannot be
    // searched by user, and user ids, email and IP addresses are redacted.
    const seesUsers = ctx.scopes.has(ADMIN_SCOPES.users);
    if (input.userId !== undefined) assertHolds(ctx.scopes, [ADMIN_SCOPES.users], 'userId: filtering the audit trail by user');
    const page = await listAuditEvents(ctx.db, input);
    return seesUsers ? page : { ...page, events: page.events.map(redactPersonalFields) };
  },
});

export const exportAudit = defineLegacyOperation({
  name: 'audit.export',
  summary: 'one page of the audit events in [since, until), in chain order',
  input: z.strictObject({ ...range, afterSeq: seq.optional(), limit: limit.optional() }).superRefine(orderedRange),
  run: (ctx, input): Promise<AuditExportPage> => exportAuditEvents(ctx.db, input),
});

export const verifyAudit = defineLegacyOperation({
  name: 'audit.verify',
  summary: 'walk the audit hash chain and name the first broken event',
  input: z.strictObject({}),
  run: (ctx): Promise<AuditVerification> => verifyAuditChain(ctx.db, ctx.keys.auditKey),
});

export interface AuditPruneOutput extends AuditPruneResult {
  /** Events that occurred before this were pruned (null: retention is off and no date was given). */
  before: string | null;
  retentionDays: number | null;
}

const DAY_MS = 86_400_000;

export const pruneAudit = defineLegacyOperation({
  name: 'audit.prune',
  summary: 'delete audit events older than the retention period (or --before); the rest stays verifiable',
  input: z.strictObject({ before: isoDate.optional() }),
  async run(ctx, input): Promise<AuditPruneOutput> {
    const now = new Date();
    if (input.before && input.before > now) throw new AppError('invalid_input', 'before: must not be in the future', 400);
    const days = input.before ? null : ctx.config.auditRetentionDays;
    if (days === 0) return { pruned: 0, anchor: null, before: null, retentionDays: 0 };
    const before = input.before ?? new Date(now.getTime() - days! * DAY_MS);
    try {
      // recorded in the chain as an `audit.pruned` event by the admin who ran it
      const result = await pruneAuditEvents(ctx.db, ctx.keys.auditKey, before, { actor: ctx.actor });
      return { ...result, before: before.toISOString(), retentionDays: days };
    } catch (error) {
      if (error instanceof AuditChainBrokenError) {
        throw new AppError(
          'audit_chain_broken',
          `refusing to prune a broken chain (it would delete the evidence): ${error.message}; run "portcullis audit verify"`,
          409,
        );
      }
      throw error;
    }
  },
});

export const auditOperations = [listAudit, exportAudit, verifyAudit, pruneAudit];
