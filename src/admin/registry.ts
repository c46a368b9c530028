// The registry: every admin operation, area by area, in the order the CLI's help and the OpenAPI
// document list them. The only module that knows the areas; the transports (api/ router and
// OpenAPI document, cli/ parser and help, control/ socket) take the operations from here and know
// no area themselves.
import { AppError } from '../http/app-error.ts';
import type { AdminRoute, HttpBinding } from './operation/http-binding.ts';
import { answerId } from './operation/answer-schemas.ts';
import { commandOf, type CommandSpec } from './operation/cli-binding.ts';
import { areaOf, formatIssues, type Operation, type OperationContext } from './operation/define.ts';
import { ADMINISTRATOR_OPERATIONS } from './administrators/administrator-operations.ts';
import { AUDIT_OPERATIONS } from './audit/audit-operations.ts';
import { CLIENT_OPERATIONS } from './clients/client-operations.ts';
import { KEY_OPERATIONS } from './keys/key-operations.ts';
import { RESOURCE_OPERATIONS } from './resources/resource-operations.ts';
import { SESSION_OPERATIONS } from './sessions/session-operations.ts';
import { USER_OPERATIONS } from './users/user-operations.ts';

export type { Operation, OperationContext } from './operation/define.ts';

/** The areas, in the help's order; each lists its operations in that order too. */
const AREAS: readonly (readonly Operation[])[] = [
  CLIENT_OPERATIONS,
  RESOURCE_OPERATIONS,
  USER_OPERATIONS,
  SESSION_OPERATIONS,
  KEY_OPERATIONS,
  AUDIT_OPERATIONS,
  ADMINISTRATOR_OPERATIONS,
];

export const OPERATIONS: ReadonlyMap<string, Operation> = new Map(AREAS.flat().map((operation) => [operation.name, operation]));

/** The admin API's routes: every operation with an HTTP binding. */
export const ADMIN_ROUTES: readonly AdminRoute[] = AREAS.flat().flatMap((operation) =>
  operation.http ? [routeOf(operation, operation.http)] : [],
);

/** The CLI's commands: every operation with a CLI binding (`migrate`, the CLI's own, is added by cli/commands.ts). */
export const OPERATION_COMMANDS: readonly CommandSpec[] = AREAS.flat().flatMap((operation) =>
  operation.cli ? [commandOf(operation.name, operation.cli)] : [],
);

function routeOf(operation: Operation, http: HttpBinding): AdminRoute {
  const response = answerId(operation.output);
  if (!response)
    throw new Error(`operation ${operation.name}: its output schema has no answer() name, which the admin API's document needs`);
  return { ...http, operation: operation.name, tag: areaOf(operation.name), response };
}

/** Validates `input` against the operation's schema and runs it. Refusals are AppErrors naming the field. */
export async function runOperation(ctx: OperationContext, name: string, input: unknown): Promise<unknown> {
  const operation = OPERATIONS.get(name);
  if (!operation) throw new AppError('unknown_operation', `unknown operation "${name}"`, 404);
  const parsed = operation.input.safeParse(input ?? {}, {
    error: (issue) => {
      if (issue.code !== 'invalid_type') return undefined;
      if (issue.input === undefined) return 'is required';
      return `must be ${/^[aeiou]/.test(issue.expected) ? 'an' : 'a'} ${issue.expected}`;
    },
  });
  if (!parsed.success) throw new AppError('invalid_input', formatIssues(parsed.error.issues), 400);
  return operation.run(ctx, parsed.data);
}
