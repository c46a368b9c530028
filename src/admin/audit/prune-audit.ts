// audit.prune: delete the audit events older than the retention period (or a given date); the
// chain that remains still verifies (from its retention anchor), and the pruning is itself audited.
import { AppError } from '../../http/app-error.ts';
import { AuditChainBrokenError, pruneAuditEvents } from '../../security/audit/audit-queries.ts';
import { date } from '../operation/cli-binding.ts';
import { defineOperation } from '../operation/define.ts';
import { auditPruneInput } from './audit-input.ts';
import { auditPruneAnswer, type AuditPruneOutput } from './audit-view.ts';

const DAY_MS = 86_400_000;

export const pruneAudit = defineOperation({
  name: 'audit.prune',
  summary: 'delete audit events older than the retention period (or --before); the rest stays verifiable',
  input: auditPruneInput,
  output: auditPruneAnswer,
  cli: {
    command: 'audit prune',
    summary: 'delete audit events older than AUDIT_RETENTION_DAYS (or --before); the rest stays verifiable',
    flags: { before: { type: 'string', value: 'iso-date', help: 'prune events that occurred before this date instead', field: 'before' } },
    print(pruned, output) {
      if (pruned.before === null) {
        output.out('Audit retention is off (AUDIT_RETENTION_DAYS=0): nothing pruned. Use --before to prune anyway.');
        return;
      }
      output.out(`Pruned ${pruned.pruned} audit event(s) that occurred before ${date(pruned.before)}.`);
      if (pruned.anchor) output.out(`The chain now starts after seq ${pruned.anchor.seq} (pruned ${date(pruned.anchor.prunedAt)}).`);
    },
  },
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
