// The registry of admin operations. The CLI runs them in its own process (PostgreSQL, or the
// embedded database when no server holds it) or asks a running server to run them through its
// control socket; later the admin API serves the same registry.
import { AppError } from '../http/app-error.ts';
import { adminOperations } from './operations/admin-bootstrap.ts';
import { auditOperations } from './operations/audit.ts';
import { clientOperations } from './operations/clients.ts';
import { formatIssues, type Operation, type OperationContext } from './operation/define.ts';
import { keyOperations } from './operations/keys.ts';
import { resourceOperations } from './resources/resource-operations.ts';
import { userOperations } from './operations/users.ts';
import { userLockoutOperations } from './operations/user-lockout.ts';
import { userMfaOperations } from './operations/user-mfa.ts';
import { userSessionOperations } from './operations/user-sessions.ts';

export type { Operation, OperationContext } from './operation/define.ts';

const ALL: readonly Operation[] = [
  ...clientOperations,
  ...resourceOperations,
  ...userOperations,
  ...userLockoutOperations,
  ...userMfaOperations,
  ...userSessionOperations,
  ...keyOperations,
  ...auditOperations,
  ...adminOperations,
];

export const OPERATIONS: ReadonlyMap<string, Operation> = new Map(ALL.map((operation) => [operation.name, operation]));

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
