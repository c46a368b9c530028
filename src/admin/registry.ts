// The registry: every admin operation, area by area, in the order the CLI's help and the OpenAPI
// document list them. The only module that knows the areas; the transports (api/ router and
// OpenAPI document, cli/ parser and help, control/ socket) take the operations from here and know
// no area themselves.
import { AppError } from '../http/app-error.ts';
import type { AdminRoute } from './operation/http-binding.ts';
import { answerId } from './operation/answer-schemas.ts';
import { commandOf, type CommandSpec } from './operation/cli-binding.ts';
import { areaOf, formatIssues, type Operation, type OperationContext } from './operation/define.ts';
import { RESOURCE_OPERATIONS } from './resources/resource-operations.ts';
import { KEY_OPERATIONS } from './keys/key-operations.ts';
import { AUDIT_OPERATIONS } from './audit/audit-operations.ts';
import { ADMINISTRATOR_OPERATIONS } from './administrators/administrator-operations.ts';
// TRANSITION: areas not yet converted to definitions (their routes and commands are listed by hand).
import { clientOperations } from './operations/clients.ts';
import { userOperations } from './operations/users.ts';
import { userLockoutOperations } from './operations/user-lockout.ts';
import { userMfaOperations } from './operations/user-mfa.ts';
import { userSessionOperations } from './operations/user-sessions.ts';
import { CLIENT_ROUTES } from './api/routes/client-routes.ts';
import { USER_ROUTES } from './api/routes/user-routes.ts';
import { USER_SESSION_ROUTES } from './api/routes/user-session-routes.ts';
import { CLIENT_COMMANDS } from './cli/client-commands.ts';
import { USER_COMMANDS } from './cli/user-commands.ts';
import { USER_SESSION_COMMANDS } from './cli/user-session-commands.ts';

export type { Operation, OperationContext } from './operation/define.ts';

/** An area's operations; TRANSITION: with its hand-written routes and commands until converted. */
interface Area {
  operations: readonly Operation[];
  routes?: readonly AdminRoute[];
  commands?: readonly CommandSpec[];
}

const AREAS: readonly Area[] = [
  { operations: clientOperations, routes: CLIENT_ROUTES, commands: CLIENT_COMMANDS },
  { operations: RESOURCE_OPERATIONS },
  { operations: [...userOperations, ...userLockoutOperations, ...userMfaOperations], routes: USER_ROUTES, commands: USER_COMMANDS },
  { operations: userSessionOperations, routes: USER_SESSION_ROUTES, commands: USER_SESSION_COMMANDS },
  { operations: KEY_OPERATIONS },
  { operations: AUDIT_OPERATIONS },
  { operations: ADMINISTRATOR_OPERATIONS },
];

export const OPERATIONS: ReadonlyMap<string, Operation> = new Map(
  AREAS.flatMap((area) => area.operations).map((operation) => [operation.name, operation]),
);

/** The admin API's routes: every operation with an HTTP binding. */
export const ADMIN_ROUTES: readonly AdminRoute[] = AREAS.flatMap(
  (area) => area.routes ?? area.operations.flatMap((operation) => (operation.http ? [routeOf(operation)] : [])),
);

/** The CLI's commands: every operation with a CLI binding (`migrate`, the CLI's own, is added by cli/commands.ts). */
export const OPERATION_COMMANDS: readonly CommandSpec[] = AREAS.flatMap(
  (area) => area.commands ?? area.operations.flatMap((operation) => (operation.cli ? [commandOf(operation.name, operation.cli)] : [])),
);

function routeOf(operation: Operation): AdminRoute {
  const response = answerId(operation.output);
  if (!response)
    throw new Error(`operation ${operation.name}: its output schema has no answer() name, which the admin API's document needs`);
  return { ...(operation.http as AdminRoute), operation: operation.name, tag: areaOf(operation.name), response };
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
