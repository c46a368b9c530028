// audit.export: one page of the events of a period, in chain order (with their hashes).
// `portcullis audit export` calls it page by page and prints JSON lines.
import { exportAuditEvents } from '../../security/audit/audit-queries.ts';
import type { CommandContext, FlagSpec } from '../operation/cli-binding.ts';
import { defineOperation } from '../operation/define.ts';
import { AUDIT_PAGE, sinceFlag } from './audit-flags.ts';
import { auditExportInput } from './audit-input.ts';
import { auditExportPage, printAuditEvents, type AuditExportPageView } from './audit-view.ts';

const untilFlag: FlagSpec = { type: 'string', value: 'iso-date', help: 'events that occurred before (exclusive)', field: 'until' };

async function runAuditExport(context: CommandContext): Promise<number> {
  const range = context.input as Record<string, unknown>;
  let afterSeq: number | undefined;
  for (;;) {
    if (context.signal.aborted) return 130;
    const page = (await context.call({
      ...range,
      ...(afterSeq === undefined ? {} : { afterSeq }),
      limit: AUDIT_PAGE,
    })) as AuditExportPageView;
    // JSON lines, with or without --json: one event per line, in chain order.
    printAuditEvents(page.events, true, context.output);
    if (page.next === null) return 0;
    afterSeq = page.next;
  }
}

export const exportAudit = defineOperation({
  name: 'audit.export',
  summary: 'one page of the audit events in [since, until), in chain order',
  input: auditExportInput,
  output: auditExportPage,
  cli: {
    command: 'audit export',
    summary: 'print the audit events of a period as JSON lines, in chain order (with their hashes)',
    flags: { since: sinceFlag, until: untilFlag },
    examples: ['portcullis audit export --since 2025-01-01 --until 2025-02-01 > audit-2025-01.jsonl'],
    run: runAuditExport,
  },
  run: (ctx, input): Promise<AuditExportPageView> => exportAuditEvents(ctx.db, input),
});
