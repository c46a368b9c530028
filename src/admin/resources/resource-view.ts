// What an admin sees of a resource server, declared once: the answer schema (its TypeScript type
// and the OpenAPI component `ResourceServer` come from it), the view built from a stored record,
// and how the CLI prints it. The review is judged overdue by the server's clock on the day asked;
// the ETag is a hash of this view, so it changes on the day a review falls overdue too (what the
// admin saw has changed).
import { z } from 'zod';
import { RISK_LEVELS, RISK_TREATMENTS } from '../../storage/resource-reviews.ts';
import { CLASSIFICATIONS, type ResourceServerRecord } from '../../storage/resource-servers.ts';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from '../../security/signing-algorithms.ts';
import { redactActorId } from '../../security/audit/audit-redaction.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer, dateTime, pageOf } from '../operation/answer-schemas.ts';
import { date } from '../operation/cli-binding.ts';
import { keyValues, orDash, type Output } from '../operation/cli-output.ts';
import type { OperationContext } from '../operation/define.ts';
import { entityTag } from '../operation/entity-tags.ts';
import { calendarDay } from './resource-input.ts';

const calendarDate = z.iso.date();

/** The risk assessment fields, as a review records them (resource-input.ts' riskAssessmentInput). */
export const riskAssessmentFields = {
  riskLevel: z.enum(RISK_LEVELS).describe('how bad a compromise of the API would be'),
  impactedSystems: z.array(z.string()).describe('the systems a compromise of the API would reach'),
  impactedData: z.array(z.string()).describe('the kinds of data a compromise of the API would expose'),
  treatment: z.enum(RISK_TREATMENTS).describe('the risk treatment chosen (ISO/IEC 27005)'),
  treatmentPlan: z.string().describe('how the risk is treated: the plan, its owner and dates'),
  controls: z.array(z.string()).describe('the controls that treat the risk'),
};

export const riskAssessmentAnswer = answer(
  'RiskAssessment',
  z.object({
    ...riskAssessmentFields,
    assessedAt: dateTime.describe('when the review that recorded it was made'),
    assessedBy: z.string().describe("the admin who recorded it (audit actor id; a user's id only with admin:users)"),
  }),
);

export const resourceServerAnswer = answer(
  'ResourceServer',
  z.object({
    identifier: z.string().describe("absolute URI: the audience of the API's access tokens"),
    name: z.string(),
    description: z.string(),
    owner: z
      .string()
      .nullable()
      .describe('the team or person to contact about the API; null: not recorded (registered before the registry)'),
    purpose: z.string(),
    classification: z
      .enum(CLASSIFICATIONS)
      .nullable()
      .describe('data classification: public < internal < confidential < restricted; null: not recorded'),
    liveDate: calendarDate.nullable().describe('when the API went (or goes) live; null: not recorded'),
    nextReviewDate: calendarDate,
    reviewOverdue: z.boolean().describe("the next review date is before today (the server's UTC date)"),
    lastReviewedAt: dateTime.nullable().describe('when the last review was recorded; null: never'),
    scopes: z.array(z.object({ name: z.string(), description: z.string() })),
    tokenTtl: z.number().int().nullable().describe('access-token lifetime in seconds; null: the server default (ACCESS_TOKEN_TTL)'),
    tokenAlg: z.enum(SIGNING_ALGORITHMS).describe("the JWS algorithm of the API's access tokens"),
    introspectingClients: z
      .array(z.string())
      .describe("clients (ids) that may introspect the API's access tokens besides each token's own client"),
    riskAssessment: riskAssessmentAnswer.nullable().describe("the latest review's risk assessment; null: not assessed yet"),
    createdAt: dateTime,
    updatedAt: dateTime,
  }),
);

export type ResourceServerView = z.output<typeof resourceServerAnswer>;

export const resourceServerPage = pageOf('ResourceServerList', resourceServerAnswer);

/** Today's date (UTC) by the clock of the process running the operation. */
export const today = (ctx: Pick<OperationContext, 'now'>): string => calendarDay(ctx.now?.() ?? new Date());

/** Who looks, and when: the review is judged overdue on `today`; a reviewer's user id is admin:users' to see. */
export interface Viewer {
  today: string;
  seesUsers: boolean;
}

export const viewerOf = (ctx: Pick<OperationContext, 'now' | 'scopes'>): Viewer => ({
  today: today(ctx),
  seesUsers: ctx.scopes.has(ADMIN_SCOPES.users),
});

/** The admin who recorded a review, as `viewer` may see them (audit-redaction.ts, as the audit listing does). */
export const reviewerAs = (viewer: Viewer, actorId: string): string => (viewer.seesUsers ? actorId : redactActorId(actorId));

export function toResourceView(server: ResourceServerRecord, viewer: Viewer): ResourceServerView {
  const risk = server.riskAssessment;
  return {
    identifier: server.identifier,
    name: server.name,
    description: server.description,
    owner: server.owner,
    purpose: server.purpose,
    classification: server.classification,
    liveDate: server.liveDate,
    nextReviewDate: server.nextReviewDate,
    reviewOverdue: server.nextReviewDate < viewer.today,
    lastReviewedAt: server.lastReviewedAt,
    scopes: server.scopes,
    tokenTtl: server.tokenTtl,
    // The column's CHECK holds it to SIGNING_ALGORITHMS (migration 0013).
    tokenAlg: server.tokenAlg as SigningAlgorithm,
    introspectingClients: server.introspectingClients,
    riskAssessment: risk && { ...risk, assessedBy: reviewerAs(viewer, risk.assessedBy) },
    createdAt: server.createdAt,
    updatedAt: server.updatedAt,
  };
}

/** The answer's ETag and Location, for the routes that answer a resource server. */
export const resourceServerTag = (server: ResourceServerView) => entityTag(server);
export const resourceServerLocation = (server: ResourceServerView) => `/resources/${encodeURIComponent(server.identifier)}`;

const tokenTtl = (server: ResourceServerView) => (server.tokenTtl === null ? 'server default (ACCESS_TOKEN_TTL)' : `${server.tokenTtl} s`);
const nextReview = (server: ResourceServerView) => `${server.nextReviewDate}${server.reviewOverdue ? '  OVERDUE' : ''}`;

/** The CLI's lines of a risk assessment. */
export function riskLines(risk: z.output<typeof riskAssessmentAnswer> | null): [string, string | string[]][] {
  if (risk === null) return [['risk', '- (not assessed: record it with `resources review`)']];
  return [
    ['risk', `${risk.riskLevel}, assessed ${date(risk.assessedAt)} by ${risk.assessedBy}`],
    ['impacted systems', risk.impactedSystems],
    ['impacted data', risk.impactedData],
    ['treatment', risk.treatmentPlan === '' ? risk.treatment : `${risk.treatment}: ${risk.treatmentPlan}`],
    ['controls', risk.controls],
  ];
}

/** The CLI's text of a resource server. */
export function printResourceServer(server: ResourceServerView, output: Output): void {
  const scopeWidth = Math.max(0, ...server.scopes.map((scope) => scope.name.length));
  for (const line of keyValues([
    ['identifier', server.identifier],
    ['name', server.name],
    ['description', orDash(server.description)],
    ['owner', server.owner ?? '- (not recorded)'],
    ['purpose', orDash(server.purpose)],
    ['classification', server.classification ?? '- (not recorded)'],
    ['live date', server.liveDate ?? '- (not recorded)'],
    ['next review', nextReview(server)],
    ['last reviewed', server.lastReviewedAt === null ? 'never' : date(server.lastReviewedAt)],
    ['token TTL', tokenTtl(server)],
    ['token algorithm', server.tokenAlg],
    ['introspected by', server.introspectingClients.length > 0 ? server.introspectingClients : "only each token's own client"],
    ...riskLines(server.riskAssessment),
    ['scopes', server.scopes.map((scope) => `${scope.name.padEnd(scopeWidth)}  ${scope.description}`.trimEnd())],
    ['created', date(server.createdAt)],
    ['updated', date(server.updatedAt)],
    // what `resources update --if-match` takes (the same as the admin API's ETag)
    ['etag', resourceServerTag(server)],
  ])) {
    output.out(line);
  }
}
