// The audit area (the audit trail): its operations, in the order the CLI's help lists them.
import { exportAudit } from './export-audit.ts';
import { listAudit } from './list-audit-events.ts';
import { pruneAudit } from './prune-audit.ts';
import { verifyAudit } from './verify-audit.ts';

export const AUDIT_OPERATIONS = [listAudit, exportAudit, verifyAudit, pruneAudit];
