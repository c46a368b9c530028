// audit.verify: walk the audit hash chain and name the first broken event. `portcullis audit
// verify` exits 1 when the chain is broken.
import { z } from 'zod';
import { verifyAuditChain } from '../../security/audit/audit-queries.ts';
import type { CommandContext } from '../operation/cli-binding.ts';
import { defineOperation } from '../operation/define.ts';
import { auditVerification, type AuditVerificationView } from './audit-view.ts';

async function runAuditVerify(context: CommandContext): Promise<number> {
  const result = (await context.call(context.input)) as AuditVerificationView;
  if (context.json) context.output.out(JSON.stringify(result, null, 2));
  if (!result.ok) {
    if (!context.json)
      context.output.err(
        `error: the audit chain is broken at seq ${result.brokenSeq}: ${result.reason} (${result.checked} event(s) verified before it)`,
      );
    return 1;
  }
  if (!context.json) {
    if (result.checked === 0)
      context.output.out(
        `The audit chain is intact: no events${result.anchorSeq === null ? '' : ` after the retention anchor at seq ${result.anchorSeq}`}.`,
      );
    else {
      context.output.out(`The audit chain is intact: ${result.checked} event(s) verified, seq ${result.firstSeq} to ${result.lastSeq}.`);
      if (result.anchorSeq !== null)
        context.output.out(`Events up to seq ${result.anchorSeq} were pruned (the retention anchor verifies).`);
      context.output.out(`Last hash: ${result.lastHash}`);
    }
  }
  return 0;
}

export const verifyAudit = defineOperation({
  name: 'audit.verify',
  summary: 'walk the audit hash chain and name the first broken event',
  input: z.strictObject({}),
  output: auditVerification,
  cli: {
    command: 'audit verify',
    summary: 'verify the audit hash chain; exits 1 naming the first broken event',
    flags: {},
    run: runAuditVerify,
  },
  run: (ctx): Promise<AuditVerificationView> => verifyAuditChain(ctx.db, ctx.keys.auditKey),
});
