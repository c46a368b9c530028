// Pure rules for registering a resource server (an API): identifier, scopes, token lifetime, and
// its registry entry (owner, purpose, classification, live and review dates).
import { z } from 'zod';
import { OIDC_SCOPES } from '../../oidc/oidc-scopes.ts';
import { RISK_LEVELS, RISK_TREATMENTS } from '../../storage/resource-reviews.ts';
import { CLASSIFICATIONS } from '../../storage/resource-servers.ts';
import { DEFAULT_ACCESS_TOKEN_ALG, SIGNING_ALGORITHMS } from '../../security/signing-algorithms.ts';
import { ifMatchInput } from '../operation/entity-tags.ts';

/** RFC 6749 §3.3 scope-token characters. */
export const SCOPE_NAME = /^[\x21\x23-\x5B\x5D-\x7E]+$/;
export const MIN_TOKEN_TTL = 30;
export const MAX_TOKEN_TTL = 86_400;
export const MAX_REVIEW_NOTE = 500;

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

// ---------------------------------------------------------------- dates

/** A calendar date, `YYYY-MM-DD`, a real one (zod's ISO date knows month lengths and leap years). */
export const calendarDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, 'must be a date written YYYY-MM-DD')
  .pipe(z.iso.date({ error: 'is not a real date' }))
  .refine((date) => date >= '1900-01-01', 'must be in 1900 or later');

/** The UTC calendar date of `now`. */
export const calendarDay = (now: Date): string => now.toISOString().slice(0, 10);

/** `date` plus whole years (29 February becomes 1 March in other years). */
export function addYears(date: string, years: number): string {
  const day = new Date(`${date}T00:00:00Z`);
  day.setUTCFullYear(day.getUTCFullYear() + years);
  return calendarDay(day);
}

// ---------------------------------------------------------------- fields

/** Control characters would let a stored value rewrite an admin's terminal when it is shown. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f\u0080-\u009f]/;
const LINE_BREAK = /[\n\t]/;

const freeText = (max: number) =>
  z
    .string()
    .trim()
    .max(max, `must be at most ${max} characters`)
    .refine((value) => !CONTROL.test(value), 'must not contain control characters');
const oneLine = (max: number) => freeText(max).refine((value) => !LINE_BREAK.test(value), 'must be one line');

const name = oneLine(200).pipe(z.string().min(1, 'must not be empty'));
const description = freeText(2000);
const owner = oneLine(200).pipe(z.string().min(1, 'must not be empty (a team or person to contact about the API)'));
const purpose = freeText(1000);
const classification = z.enum(CLASSIFICATIONS, { error: `must be one of ${CLASSIFICATIONS.join(', ')}` });
const tokenTtl = z
  .number({ error: `must be a whole number of seconds between ${MIN_TOKEN_TTL} and ${MAX_TOKEN_TTL}` })
  .int(`must be a whole number of seconds between ${MIN_TOKEN_TTL} and ${MAX_TOKEN_TTL}`)
  .min(MIN_TOKEN_TTL, `must be at least ${MIN_TOKEN_TTL} seconds`)
  .max(MAX_TOKEN_TTL, `must be at most ${MAX_TOKEN_TTL} seconds`)
  .nullable();

/** The JWS algorithm of the API's access tokens: what its token library verifies (RFC 9068 requires RS256 to be offered). */
const tokenAlg = z.enum(SIGNING_ALGORITHMS, { error: `must be one of ${SIGNING_ALGORITHMS.join(', ')}` });

const scopeInput = z.strictObject({
  name: z.string(),
  description: freeText(500).default(''),
});
const scopes = z.array(scopeInput).max(200, 'at most 200 allowed');
/**
 * Clients (by id) that may introspect the API's access tokens besides each token's own client: the
 * API's own back end, a gateway. The whole list; a client listed twice counts once.
 */
const introspectingClients = z
  .array(z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters'))
  .max(50, 'at most 50 allowed')
  .transform((ids) => [...new Set(ids)].sort());

/** The identifier of an existing resource server (a lookup: the URI rules apply at registration). */
export const identifierLookup = z.string().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters');

/** The input of the operations on one resource server. */
export const identifierInput = z.strictObject({ identifier: identifierLookup });

/** Refuses bad or repeated scope names, naming the `scopes` field. */
function checkScopes(list: readonly { name: string }[] | undefined, ctx: z.RefinementCtx): void {
  const seen = new Set<string>();
  for (const scope of list ?? []) {
    const problem = scopeNameProblem(scope.name);
    if (problem) ctx.addIssue({ code: 'custom', path: ['scopes'], message: `"${scope.name}" ${problem}` });
    else if (seen.has(scope.name)) ctx.addIssue({ code: 'custom', path: ['scopes'], message: `"${scope.name}" is listed twice` });
    seen.add(scope.name);
  }
}

/** The next review may not come before the API goes live (the database checks it too). */
export function reviewBeforeLiveProblem(liveDate: string | null | undefined, nextReviewDate: string | undefined): string | undefined {
  if (!liveDate || !nextReviewDate || nextReviewDate >= liveDate) return undefined;
  return `must not be before the live date (${liveDate})`;
}

// ---------------------------------------------------------------- operations' inputs

export const resourceCreateInput = z
  .strictObject({
    identifier: z.string(),
    name: name.optional(),
    description: description.default(''),
    /** Optional so that registrations predating the registry keep working; shown as unknown. */
    owner: owner.optional(),
    purpose: purpose.default(''),
    classification: classification.optional(),
    liveDate: calendarDate.optional(),
    /** Default: a year after registration (or after going live, when that is later). */
    nextReviewDate: calendarDate.optional(),
    scopes: scopes.default([]),
    tokenTtl: tokenTtl.default(null),
    tokenAlg: tokenAlg.default(DEFAULT_ACCESS_TOKEN_ALG),
    introspectingClients: introspectingClients.default([]),
  })
  .superRefine((input, ctx) => {
    const identifierProblem = resourceIdentifierProblem(input.identifier);
    if (identifierProblem) ctx.addIssue({ code: 'custom', path: ['identifier'], message: `"${input.identifier}" ${identifierProblem}` });
    checkScopes(input.scopes, ctx);
    const reviewProblem = reviewBeforeLiveProblem(input.liveDate, input.nextReviewDate);
    if (reviewProblem) ctx.addIssue({ code: 'custom', path: ['nextReviewDate'], message: reviewProblem });
  });

export type ResourceCreateInput = z.output<typeof resourceCreateInput>;

/** PATCH: any subset; `scopes` is the whole new list; null puts tokenTtl back to the default, liveDate to unknown. */
export const resourceUpdateInput = z
  .strictObject({
    identifier: identifierLookup,
    ifMatch: ifMatchInput,
    name: name.optional(),
    description: description.optional(),
    owner: owner.optional(),
    purpose: purpose.optional(),
    classification: classification.optional(),
    liveDate: calendarDate.nullable().optional(),
    nextReviewDate: calendarDate.optional(),
    tokenTtl: tokenTtl.optional(),
    tokenAlg: tokenAlg.optional(),
    scopes: scopes.optional(),
    introspectingClients: introspectingClients.optional(),
  })
  .superRefine((input, ctx) => checkScopes(input.scopes, ctx));

export type ResourceUpdateInput = z.output<typeof resourceUpdateInput>;

/** Named systems, kinds of data or controls: one line each, a name listed twice counts once. */
const namedItems = z
  .array(oneLine(200).pipe(z.string().min(1, 'must not be empty')))
  .max(50, 'at most 50 allowed')
  .transform((items) => [...new Set(items)]);

/**
 * The risk assessment a review records. Each field left out keeps the value of the assessment in
 * force (the latest review's); the first review must give them all (the operation checks, as it
 * knows the current one).
 */
export const riskAssessmentInput = {
  /** How bad a compromise of the API would be. */
  riskLevel: z.enum(RISK_LEVELS, { error: `must be one of ${RISK_LEVELS.join(', ')}` }).optional(),
  /** The systems a compromise would reach (the whole new list). */
  impactedSystems: namedItems.optional(),
  /** The kinds of data a compromise would expose (the whole new list). */
  impactedData: namedItems.optional(),
  /** ISO/IEC 27005's options: mitigate (with controls), accept, transfer, avoid. */
  treatment: z.enum(RISK_TREATMENTS, { error: `must be one of ${RISK_TREATMENTS.join(', ')}` }).optional(),
  /** Bounded as the note is, within what an audit detail keeps whole (MAX_STRING): the event says all that was recorded. */
  treatmentPlan: freeText(MAX_REVIEW_NOTE).optional(),
  /** The controls that treat the risk (the whole new list); a mitigation needs at least one. */
  controls: namedItems.optional(),
};

export const resourceReviewInput = z.strictObject({
  identifier: identifierLookup,
  /** Optional: signs off exactly the entry (and assessment in force) that was read, else 412. */
  ifMatch: ifMatchInput,
  /** Must be after today (the server's UTC date); checked by the operation, which knows the clock. */
  nextReviewDate: calendarDate,
  /** What the review found; kept with the review and in the audit trail (`resource.reviewed`). */
  note: freeText(MAX_REVIEW_NOTE).optional(),
  ...riskAssessmentInput,
});

export type ResourceReviewInput = z.output<typeof resourceReviewInput>;

/** `overdue` of a listing: a boolean, or the query string's "true" / "false". */
export const overdueFilter = z
  .union([z.boolean(), z.enum(['true', 'false'])], { error: 'must be true or false' })
  .transform((value) => value === true || value === 'true');
