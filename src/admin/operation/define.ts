// What an admin operation is, declared once: its name, its input and output (zod), `run`, its REST
// route (http-binding.ts) and its CLI command (cli-binding.ts). The registry (../registry.ts) lists
// them; the admin API's router, its OpenAPI document, the CLI parser and `--help` are all derived
// from these definitions. The same operation runs in the CLI's process (direct mode), the server's
// (control socket, admin API), so validation lives here, at the edge of `run`.
import type { z } from 'zod';
import type { CliBinding } from './cli-binding.ts';
import type { HttpBinding } from './http-binding.ts';
import type { Config } from '../../config.ts';
import { AppError } from '../../http/app-error.ts';
import type { DerivedKeys } from '../../security/derived-keys.ts';
import type { Database, Queryable } from '../../storage/database.ts';
import type { AuditActor, AuditEventInput, AuditTarget, AuditTrail } from '../../security/audit/audit-event.ts';

export interface OperationContext {
  db: Database;
  keys: DerivedKeys;
  config: Config;
  /** Where admin changes are recorded, durably: a change whose event cannot be stored fails. */
  audit: AuditTrail;
  /** Who runs the operation (the CLI's operating-system user). */
  actor: AuditActor;
  /**
   * The admin scopes the caller holds: its token's over the admin API, every one at the CLI
   * (EVERY_ADMIN_SCOPE). Nobody grants what they do not hold (authority.ts).
   */
  scopes: ReadonlySet<string>;
  /** The server's clock (tests move it); the real one when absent. */
  now?: () => Date;
}

/** The audit event of an admin change (the admin who made it is the context's actor). */
export interface AdminChangeEvent {
  type: string;
  target: AuditTarget;
  details?: AuditEventInput['details'];
}

/** What a change's work returns: its result, and its event (none when nothing was changed). */
export interface AdminChangeOutcome<T> {
  result: T;
  event?: AdminChangeEvent | undefined;
}

/**
 * Every admin change runs through here: one transaction -> the change -> its audit event, in the
 * same transaction -> commit -> notify. The event commits with the change or neither does: when it
 * cannot be stored the change is rolled back and the caller gets the error (the README's promise).
 * Cache notifications sent by the change (pg_notify) are delivered by PostgreSQL at commit only, so
 * no process sees a change that was not audited. Inside `work`, every statement goes through `tx`.
 */
export function adminChange<T>(ctx: OperationContext, work: (tx: Queryable) => Promise<AdminChangeOutcome<T>>): Promise<T> {
  return ctx.db.transaction(async (tx) => {
    const { result, event } = await work(tx);
    if (event) {
      await ctx.audit.recordWithin(tx, {
        type: event.type,
        outcome: 'success',
        actor: ctx.actor,
        target: event.target,
        ...(event.details ? { details: event.details } : {}),
      });
    }
    return result;
  });
}

/** The actor of a CLI command run by this operating-system user. */
export function cliActor(username: string | undefined): AuditActor {
  const name = (username ?? '').replace(/[^\w.@-]/g, '').slice(0, 64) || 'unknown';
  return { type: 'admin', id: `cli:${name}` };
}

export interface Operation<Input extends z.ZodType = z.ZodType, Output extends z.ZodType = z.ZodType> {
  /** `area.verb`: the area (before the dot) is the OpenAPI tag. */
  readonly name: string;
  /** One line: what it does. */
  readonly summary: string;
  /** What a caller sends (the API's body, query and path; the CLI's flags), validated before `run`. */
  readonly input: Input;
  /** What `run` answers, named with `answer()` (answer-schemas.ts) when the admin API serves it. */
  readonly output: Output;
  /** Its REST route; none: not served over the admin API. */
  readonly http?: HttpBinding<z.output<Output>>;
  /** Its `portcullis` command; none: not a CLI command. */
  readonly cli?: CliBinding<z.output<Output>>;
  run(ctx: OperationContext, input: z.output<Input>): Promise<z.output<Output>>;
}

export function defineOperation<Input extends z.ZodType, Output extends z.ZodType>(
  operation: Operation<Input, Output>,
): Operation<Input, Output> {
  return operation;
}

/** The area of an operation: the part of its name before the dot (`resources.create` -> `resources`). */
export const areaOf = (name: string): string => name.slice(0, name.indexOf('.'));

/** Refuses input; `field` is the input property at fault (the CLI shows it as its flag). */
export function invalidInput(field: string, message: string): AppError {
  return new AppError('invalid_input', `${field}: ${message}`, 400);
}

export function notFound(field: string, message: string): AppError {
  return new AppError('not_found', `${field}: ${message}`, 404);
}

export function conflict(field: string, message: string): AppError {
  return new AppError('conflict', `${field}: ${message}`, 409);
}

// the stores' error codes, for the operations that translate them (one home: storage/store-errors.ts)
export { sqlState } from '../../storage/store-errors.ts';

/** Formats zod issues as `field: message` lines, the first field naming the input property. */
export function formatIssues(issues: readonly z.core.$ZodIssue[]): string {
  return issues
    .map((issue) => {
      const path = issue.path
        .map((segment, index) => (typeof segment === 'number' ? `[${segment}]` : `${index > 0 ? '.' : ''}${String(segment)}`))
        .join('');
      if (issue.code === 'unrecognized_keys')
        return `${path || 'input'}: unknown field(s) ${issue.keys.map((key) => `"${key}"`).join(', ')}`;
      return `${path || 'input'}: ${issue.message}`;
    })
    .join('; ');
}
