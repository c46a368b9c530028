// audit.list: the latest audit events, or those after a seq, with filters. `portcullis audit tail`
// shows them, and with --follow keeps calling it for new ones until Ctrl-C.
import { listAuditEvents } from '../../security/audit/audit-queries.ts';
import { redactPersonalFields } from '../../security/audit/audit-redaction.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { assertHolds } from '../operation/authority.ts';
import { integer, none, text, type CommandContext } from '../operation/cli-binding.ts';
import { defineOperation } from '../operation/define.ts';
import { AUDIT_PAGE, sinceFlag } from './audit-flags.ts';
import { auditListInput } from './audit-input.ts';
import { auditPageAnswer, printAuditEvents, type AuditPageView } from './audit-view.ts';

const FOLLOW_INTERVAL_MS = 1_000;

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
  const first = (await context.call(filters)) as AuditPageView;
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
      const page = (await context.call({ ...filter, afterSeq: cursor, limit: AUDIT_PAGE })) as AuditPageView;
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

export const listAudit = defineOperation({
  name: 'audit.list',
  summary: 'list audit events: the latest ones, or those after a seq (filters: type, user, client, time)',
  input: auditListInput,
  output: auditPageAnswer,
  http: {
    method: 'GET',
    path: '/audit/events',
    summary:
      'The latest audit events, or those after a seq; filters: type (or prefix), user, client, time. Without admin:users, user ids, email and IP addresses and user agents are redacted, and the user filter is refused (403)',
    scopes: [ADMIN_SCOPES.read],
    body: 'none',
    query: { numbers: ['afterSeq', 'limit'] },
    status: 200,
    errors: [],
  },
  cli: {
    command: 'audit tail',
    summary: 'show the latest audit events; --follow keeps printing new ones (--json: one event per line)',
    flags: {
      // not an input of the operation: the command takes it out before calling (runAuditTail)
      follow: { type: 'boolean', help: 'keep printing new events (checked every second) until Ctrl-C' },
      type: {
        type: 'string',
        value: 'type',
        help: 'an event type, or a prefix: login matches login.succeeded and login.failed',
        field: 'type',
      },
      user: { type: 'string', value: 'id', help: 'only events whose actor or target is this user', field: 'userId' },
      client: { type: 'string', value: 'client-id', help: 'only events of this client', field: 'clientId' },
      since: sinceFlag,
      limit: {
        type: 'string',
        value: 'n',
        help: `how many of the latest events to show first (1..${AUDIT_PAGE}, default 50)`,
        field: 'limit',
        parse: (value) => integer(text(value)),
      },
    },
    examples: ['portcullis audit tail --follow --type login', 'portcullis audit tail --user 3f2c… --limit 200 --json'],
    run: (context) => runAuditTail(context, context.flags.follow === true),
  },
  async run(ctx, input): Promise<AuditPageView> {
    // Who the users are is admin:users' to see, here as at /users: without it the trail cannot be
    // searched by user, and user ids, email and IP addresses are redacted.
    const seesUsers = ctx.scopes.has(ADMIN_SCOPES.users);
    if (input.userId !== undefined) assertHolds(ctx.scopes, [ADMIN_SCOPES.users], 'userId: filtering the audit trail by user');
    const page = await listAuditEvents(ctx.db, input);
    return seesUsers ? page : { ...page, events: page.events.map(redactPersonalFields) };
  },
});
