// `portcullis audit ...`: tail (and follow), export, verify, prune
import type { AuditEvent, AuditExportPage, AuditPage, AuditVerification } from '../../security/audit/audit-queries.ts';
import type { Output } from '../operation/cli-output.ts';
import type { AuditPruneOutput } from '../operations/audit.ts';
import { date, defined, integer, none, text, type CommandContext, type CommandSpec, type FlagSpec } from '../operation/cli-binding.ts';

/** One line per audit event: seq, time, type, outcome, then whatever the event has. */
export function formatAuditEvent(event: AuditEvent): string {
  const parts = [`#${event.seq}`, date(event.occurredAt), event.type, event.outcome];
  if (event.actor) parts.push(`actor=${event.actor.type}:${event.actor.id}`);
  if (event.target) parts.push(`target=${event.target.type}:${event.target.id}`);
  if (event.clientId) parts.push(`client=${event.clientId}`);
  if (event.ip) parts.push(`ip=${event.ip}`);
  if (event.requestId) parts.push(`request=${event.requestId}`);
  if (event.details && Object.keys(event.details).length > 0) parts.push(JSON.stringify(event.details));
  return parts.join('  ');
}

const printAuditEvents = (events: readonly AuditEvent[], json: boolean, output: Output) => {
  for (const event of events) output.out(json ? JSON.stringify(event) : formatAuditEvent(event));
};

const FOLLOW_INTERVAL_MS = 1_000;
const AUDIT_PAGE = 1_000;

/** Resolves after `ms`, or false at once when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<boolean>((resolve) => {
    if (signal.aborted) {
      resolve(false);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

async function runAuditTail(context: CommandContext, follow: boolean): Promise<number> {
  const { output, json, signal } = context;
  const filters = context.input as Record<string, unknown>;
  const first = (await context.call(filters)) as AuditPage;
  printAuditEvents(first.events, json, output);
  if (!follow) {
    if (first.events.length === 0 && !json) none(output, 'audit events');
    return 0;
  }
  const { limit: _limit, ...filter } = filters;
  let cursor = first.cursor;
  let failing = false;
  let full = false;
  while (full || (await pause(FOLLOW_INTERVAL_MS, signal))) {
    if (signal.aborted) break;
    try {
      const page = (await context.call({ ...filter, afterSeq: cursor, limit: AUDIT_PAGE })) as AuditPage;
      if (failing) output.err('audit tail: reading again');
      failing = false;
      printAuditEvents(page.events, json, output);
      cursor = page.cursor;
      full = page.events.length === AUDIT_PAGE;
    } catch (error) {
      if (!failing) output.err(`audit tail: ${error instanceof Error ? error.message : String(error)}; retrying every second`);
      failing = true;
      full = false;
    }
  }
  return 0;
}

async function runAuditExport(context: CommandContext): Promise<number> {
  const range = context.input as Record<string, unknown>;
  let afterSeq: number | undefined;
  for (;;) {
    if (context.signal.aborted) return 130;
    const page = (await context.call({ ...range, ...(afterSeq === undefined ? {} : { afterSeq }), limit: AUDIT_PAGE })) as AuditExportPage;
    // JSON lines, with or without --json: one event per line, in chain order.
    printAuditEvents(page.events, true, context.output);
    if (page.next === null) return 0;
    afterSeq = page.next;
  }
}

async function runAuditVerify(context: CommandContext): Promise<number> {
  const result = (await context.call(context.input)) as AuditVerification;
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

const auditUserFlag: FlagSpec = { type: 'string', value: 'id', help: 'only events whose actor or target is this user', field: 'userId' };
const auditClientFlag: FlagSpec = { type: 'string', value: 'client-id', help: 'only events of this client', field: 'clientId' };
const sinceFlag: FlagSpec = {
  type: 'string',
  value: 'iso-date',
  help: 'events that occurred at or after (2025-01-31 or 2025-01-31T12:00:00Z)',
  field: 'since',
};
const untilFlag: FlagSpec = { type: 'string', value: 'iso-date', help: 'events that occurred before (exclusive)', field: 'until' };

export const AUDIT_COMMANDS: readonly CommandSpec[] = [
  {
    command: 'audit tail',
    operation: 'audit.list',
    summary: 'show the latest audit events; --follow keeps printing new ones (--json: one event per line)',
    flags: {
      follow: { type: 'boolean', help: 'keep printing new events (checked every second) until Ctrl-C' },
      type: {
        type: 'string',
        value: 'type',
        help: 'an event type, or a prefix: login matches login.succeeded and login.failed',
        field: 'type',
      },
      user: auditUserFlag,
      client: auditClientFlag,
      since: sinceFlag,
      limit: {
        type: 'string',
        value: 'n',
        help: `how many of the latest events to show first (1..${AUDIT_PAGE}, default 50)`,
        field: 'limit',
      },
    },
    examples: ['portcullis audit tail --follow --type login', 'portcullis audit tail --user 3f2c… --limit 200 --json'],
    input: (values) =>
      defined({
        type: text(values.type),
        userId: text(values.user),
        clientId: text(values.client),
        since: text(values.since),
        limit: integer(text(values.limit)),
        follow: values.follow === true ? true : undefined,
      }),
    print: (result, output) => printAuditEvents((result as AuditPage).events, false, output),
    run(context) {
      const { follow, ...input } = context.input as { follow?: boolean };
      return runAuditTail({ ...context, input }, follow === true);
    },
  },
  {
    command: 'audit export',
    operation: 'audit.export',
    summary: 'print the audit events of a period as JSON lines, in chain order (with their hashes)',
    flags: { since: sinceFlag, until: untilFlag },
    examples: ['portcullis audit export --since 2025-01-01 --until 2025-02-01 > audit-2025-01.jsonl'],
    input: (values) => defined({ since: text(values.since), until: text(values.until) }),
    print: (result, output) => printAuditEvents((result as AuditExportPage).events, true, output),
    run: runAuditExport,
  },
  {
    command: 'audit verify',
    operation: 'audit.verify',
    summary: 'verify the audit hash chain; exits 1 naming the first broken event',
    flags: {},
    input: () => ({}),
    print: () => {},
    run: runAuditVerify,
  },
  {
    command: 'audit prune',
    operation: 'audit.prune',
    summary: 'delete audit events older than AUDIT_RETENTION_DAYS (or --before); the rest stays verifiable',
    flags: { before: { type: 'string', value: 'iso-date', help: 'prune events that occurred before this date instead', field: 'before' } },
    input: (values) => defined({ before: text(values.before) }),
    print(result, output) {
      const pruned = result as AuditPruneOutput;
      if (pruned.before === null) {
        output.out('Audit retention is off (AUDIT_RETENTION_DAYS=0): nothing pruned. Use --before to prune anyway.');
        return;
      }
      output.out(`Pruned ${pruned.pruned} audit event(s) that occurred before ${date(pruned.before)}.`);
      if (pruned.anchor) output.out(`The chain now starts after seq ${pruned.anchor.seq} (pruned ${date(pruned.anchor.prunedAt)}).`);
    },
  },
];
