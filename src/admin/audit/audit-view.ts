// What an admin sees of the audit trail, declared once: the answer schemas (the OpenAPI components
// `AuditEvent` and `AuditPage` come from them; export, verify and prune are CLI-only, so their
// schemas are not named) and how the CLI prints events.
import { z } from 'zod';
import { answer, dateTime } from '../operation/answer-schemas.ts';
import { date } from '../operation/cli-binding.ts';
import type { Output } from '../operation/cli-output.ts';

const reference = z.object({ type: z.string(), id: z.string() });

export const auditEventAnswer = answer(
  'AuditEvent',
  z.object({
    seq: z.number().int(),
    id: z.string(),
    occurredAt: dateTime,
    type: z.string(),
    outcome: z.string(),
    actor: reference.nullable(),
    target: reference.nullable(),
    clientId: z.string().nullable(),
    ip: z.string().nullable(),
    userAgent: z.string().nullable(),
    requestId: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    prevHash: z.string(),
    hash: z.string(),
  }),
);

export type AuditEventView = z.output<typeof auditEventAnswer>;

/** audit.list: oldest first. */
export const auditPageAnswer = answer(
  'AuditPage',
  z.object({
    events: z.array(auditEventAnswer),
    cursor: z.number().int().describe('pass as afterSeq for what follows'),
  }),
);

export type AuditPageView = z.output<typeof auditPageAnswer>;

/** audit.export: one page of a period, in chain order. */
export const auditExportPage = z.object({
  events: z.array(auditEventAnswer),
  next: z.number().int().nullable().describe('afterSeq of the next page; null: this was the last one'),
});

export type AuditExportPageView = z.output<typeof auditExportPage>;

/** audit.verify: the chain holds (what was checked), or where it breaks. */
export const auditVerification = z.discriminatedUnion('ok', [
  z.object({
    ok: z.literal(true),
    checked: z.number().int().describe('events whose link and hash were checked'),
    firstSeq: z.number().int().nullable(),
    lastSeq: z.number().int().nullable(),
    lastHash: z.string().nullable().describe('hash of the last event: keep it elsewhere to detect a later truncation of the tail'),
    anchorSeq: z.number().int().nullable().describe('seq of the last pruned event the chain starts after; null: never pruned'),
  }),
  z.object({
    ok: z.literal(false),
    checked: z.number().int(),
    brokenSeq: z.number().int().describe('the first event at which the chain does not hold'),
    reason: z.string(),
  }),
]);

export type AuditVerificationView = z.output<typeof auditVerification>;

/** audit.prune: what was deleted, and where the chain now starts. */
export const auditPruneAnswer = z.object({
  pruned: z.number().int().describe('events deleted'),
  anchor: z
    .object({ seq: z.number().int(), hash: z.string(), prunedAt: dateTime })
    .nullable()
    .describe('where the remaining chain now starts; null: nothing was ever pruned'),
  before: dateTime.nullable().describe('events that occurred before this were pruned; null: retention is off and no date was given'),
  retentionDays: z.number().int().nullable(),
});

export type AuditPruneOutput = z.output<typeof auditPruneAnswer>;

/** One line per audit event: seq, time, type, outcome, then whatever the event has. */
export function formatAuditEvent(event: AuditEventView): string {
  const parts = [`#${event.seq}`, date(event.occurredAt), event.type, event.outcome];
  if (event.actor) parts.push(`actor=${event.actor.type}:${event.actor.id}`);
  if (event.target) parts.push(`target=${event.target.type}:${event.target.id}`);
  if (event.clientId) parts.push(`client=${event.clientId}`);
  if (event.ip) parts.push(`ip=${event.ip}`);
  if (event.requestId) parts.push(`request=${event.requestId}`);
  if (event.details && Object.keys(event.details).length > 0) parts.push(JSON.stringify(event.details));
  return parts.join('  ');
}

/** Events one per line: as text, or (json) as JSON lines. */
export const printAuditEvents = (events: readonly AuditEventView[], json: boolean, output: Output) => {
  for (const event of events) output.out(json ? JSON.stringify(event) : formatAuditEvent(event));
};
