// Pure rules for registering a resource server (an API): identifier, scopes, token lifetime.
import { z } from 'zod';
import { OIDC_SCOPES } from '../oidc/oidc-scopes.ts';

/** RFC 6749 §3.3 scope-token characters. */
export const SCOPE_NAME = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const MIN_TOKEN_TTL = 30;
export const MAX_TOKEN_TTL = 86_400;

/** Why a resource identifier is refused: RFC 8707 wants an absolute URI without a fragment. */
export function resourceIdentifierProblem(identifier: string): string | undefined {
  if (identifier.length === 0) return 'must not be empty';
  if (identifier.length > 2048) return 'must be at most 2048 characters';
  if (/[\s\u0000-\u001f\u007f]/.test(identifier)) return 'must not contain spaces or control characters';
  if (!URL.parse(identifier)) return 'must be an absolute URI (e.g. https://api.example.com)';
  if (identifier.includes('#')) return 'must not contain a fragment';
  return undefined;
}

export function scopeNameProblem(name: string): string | undefined {
  if (name.length === 0) return 'must not be empty';
  if (name.length > 128) return 'must be at most 128 characters';
  if (!SCOPE_NAME.test(name)) return 'may contain only printable ASCII characters other than space, " and \\';
  if (OIDC_SCOPES.has(name)) return 'is an OpenID Connect scope, reserved by the server';
  return undefined;
}

const scopeInput = z.strictObject({
  name: z.string(),
  description: z.string().trim().max(500, 'must be at most 500 characters').default(''),
});

export const resourceCreateInput = z
  .strictObject({
    identifier: z.string(),
    name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
    scopes: z.array(scopeInput).max(200, 'at most 200 allowed').default([]),
    tokenTtl: z
      .number({ error: `must be a whole number of seconds between ${MIN_TOKEN_TTL} and ${MAX_TOKEN_TTL}` })
      .int(`must be a whole number of seconds between ${MIN_TOKEN_TTL} and ${MAX_TOKEN_TTL}`)
      .min(MIN_TOKEN_TTL, `must be at least ${MIN_TOKEN_TTL} seconds`)
      .max(MAX_TOKEN_TTL, `must be at most ${MAX_TOKEN_TTL} seconds`)
      .nullable()
      .default(null),
  })
  .superRefine((input, ctx) => {
    const identifierProblem = resourceIdentifierProblem(input.identifier);
    if (identifierProblem) ctx.addIssue({ code: 'custom', path: ['identifier'], message: `"${input.identifier}" ${identifierProblem}` });
    const seen = new Set<string>();
    for (const scope of input.scopes) {
      const problem = scopeNameProblem(scope.name);
      if (problem) ctx.addIssue({ code: 'custom', path: ['scopes'], message: `"${scope.name}" ${problem}` });
      else if (seen.has(scope.name)) ctx.addIssue({ code: 'custom', path: ['scopes'], message: `"${scope.name}" is listed twice` });
      seen.add(scope.name);
    }
  });

export type ResourceCreateInput = z.output<typeof resourceCreateInput>;
