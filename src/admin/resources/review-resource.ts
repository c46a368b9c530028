// resources.review: an admin records that an API was reviewed (today, by the server's clock), when
// it is next due, and the API's risk assessment: what its compromise would impact (systems, data),
// the risk level, the treatment and its controls. Fields of the assessment left out keep the values
// in force (the latest review's); the first review gives them all. The review is kept (the history
// of resources.reviews) and audited with its assessment and note.
import { findResourceServer, findResourceServerForUpdate, recordResourceReview } from '../../storage/resource-servers.ts';
import { resourceReviewInput, reviewBeforeLiveProblem } from './resource-input.ts';
import { adminChange, defineOperation, invalidInput, notFound } from '../operation/define.ts';
import { insertResourceReview, RISK_LEVELS, RISK_TREATMENTS, type RiskAssessment } from '../../storage/resource-reviews.ts';
import type { CurrentRiskAssessment } from '../../storage/resource-servers.ts';
import { ADMIN_AUDIENCE, ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { assertHolds, EVERY_ADMIN_SCOPE } from '../operation/authority.ts';
import { assertIfMatch } from '../operation/entity-tags.ts';
import { BODY_ERRORS, IF_MATCH, type HeaderInput } from '../operation/http-binding.ts';
import { identifierFlag, resourceTarget, riskFlags } from './resource-flags.ts';
import { resourceServerAnswer, resourceServerTag, today, toResourceView, viewerOf, type ResourceServerView } from './resource-view.ts';

/**
 * A review re-affirms the assessment in force for every field it leaves out: with If-Match, the
 * reviewer signs off exactly what they read, and a change made meanwhile by another admin is a 412
 * instead of an assessment recorded under their name unseen. Optional, so a first review needs no read.
 */
const REVIEW_IF_MATCH: HeaderInput = {
  ...IF_MATCH,
  required: false,
  description:
    'optional: the ETag of the resource server as last read; 412 when it (or its assessment) has changed since, 428 for `*` (which names no version)',
};

export const reviewResource = defineOperation({
  name: 'resources.review',
  summary: 'record that a resource server was reviewed now, and the date of its next review (in the future)',
  input: resourceReviewInput,
  output: resourceServerAnswer,
  http: {
    method: 'POST',
    path: '/resources/{identifier}/review',
    scopes: [ADMIN_SCOPES.write],
    body: 'json',
    headers: [REVIEW_IF_MATCH],
    status: 200,
    etag: resourceServerTag,
    summary:
      'Record that the resource server was reviewed now, the date of its next review (YYYY-MM-DD, in the future) and its risk assessment: what a compromise would impact (impactedSystems, impactedData), riskLevel (low | medium | high | critical), treatment (mitigate | accept | transfer | avoid), treatmentPlan and controls. Fields left out keep the assessment in force; the first review gives them all. The review and its note are kept (GET .../reviews) and audited',
    errors: [404, 412, 428, ...BODY_ERRORS],
  },
  cli: {
    command: 'resources review',
    summary: 'record that a resource server was reviewed today, its risk assessment, and when it is next due',
    target: resourceTarget,
    flags: {
      identifier: identifierFlag,
      'next-review-date': {
        type: 'string',
        value: 'YYYY-MM-DD',
        help: 'when the API is next due for review, in the future (required)',
        field: 'nextReviewDate',
      },
      note: { type: 'string', value: 'text', help: 'what the review found (kept with the review and in the audit trail)', field: 'note' },
      ...riskFlags,
      'if-match': {
        type: 'string',
        value: 'etag',
        help: 'record the review only if the resource server (and its assessment) is unchanged since this ETag was read',
        field: 'ifMatch',
      },
    },
    examples: [
      'portcullis resources review https://api.example.com --next-review-date 2026-09-01 --note "scopes and owners checked" \\\n' +
        '      --risk-level high --impacted-system "order database" --impacted-data "customer addresses" \\\n' +
        '      --treatment mitigate --treatment-plan "Payments team, by 2026-06" --control "mTLS from the gateway" --control "per-client quotas"',
      'portcullis resources review https://api.example.com --next-review-date 2027-09-01   # the assessment in force, re-affirmed',
    ],
    print: (server, output) => output.out(`Recorded the review of ${server.identifier}; next review due ${server.nextReviewDate}`),
  },
  async run(ctx, input): Promise<ResourceServerView> {
    const now = ctx.now?.() ?? new Date();
    const day = today({ now: () => now });
    if (input.nextReviewDate <= day) throw invalidInput('nextReviewDate', `must be in the future (after ${day})`);
    const viewer = viewerOf({ now: () => now, scopes: ctx.scopes });
    return adminChange(ctx, async (tx) => {
      const current = await findResourceServerForUpdate(tx, input.identifier);
      if (!current) throw notFound('identifier', `no resource server "${input.identifier}"`);
      // The admin API's own risk is what every admin scope guards: judging it takes them all, as changing it does.
      if (current.identifier === ADMIN_AUDIENCE)
        assertHolds(ctx.scopes, EVERY_ADMIN_SCOPE, `reviewing ${ADMIN_AUDIENCE} (the admin API itself)`);
      const problem = reviewBeforeLiveProblem(current.liveDate, input.nextReviewDate);
      if (problem) throw invalidInput('nextReviewDate', problem);
      assertIfMatch(input.ifMatch, toResourceView(current, viewer));
      const assessment = assessRisk(input, current.riskAssessment);
      await recordResourceReview(tx, input.identifier, { reviewedAt: now, nextReviewDate: input.nextReviewDate });
      await insertResourceReview(tx, input.identifier, {
        ...assessment,
        reviewedAt: now.toISOString(),
        reviewedBy: ctx.actor.id,
        nextReviewDate: input.nextReviewDate,
        note: input.note ?? '',
      });
      const details = {
        previousReviewDate: current.nextReviewDate,
        nextReviewDate: input.nextReviewDate,
        ...(input.note ? { note: input.note } : {}),
        riskAssessment: assessment,
        ...(current.riskAssessment && current.riskAssessment.riskLevel !== assessment.riskLevel
          ? { previousRiskLevel: current.riskAssessment.riskLevel }
          : {}),
      };
      return {
        result: toResourceView((await findResourceServer(tx, input.identifier))!, viewer),
        event: { type: 'resource.reviewed', target: { type: 'resource', id: input.identifier }, details },
      };
    });
  },
});

/** The assessment this review records: the fields given over the one in force; refused when incomplete. */
export function assessRisk(input: Partial<RiskAssessment>, inForce: CurrentRiskAssessment | null): RiskAssessment {
  const riskLevel = input.riskLevel ?? inForce?.riskLevel;
  if (riskLevel === undefined)
    throw invalidInput('riskLevel', `is required: a review records the API's risk assessment (${RISK_LEVELS.join(', ')})`);
  const treatment = input.treatment ?? inForce?.treatment;
  if (treatment === undefined) throw invalidInput('treatment', `is required: how the risk is treated (${RISK_TREATMENTS.join(', ')})`);
  const assessment: RiskAssessment = {
    riskLevel,
    impactedSystems: input.impactedSystems ?? inForce?.impactedSystems ?? [],
    impactedData: input.impactedData ?? inForce?.impactedData ?? [],
    treatment,
    treatmentPlan: input.treatmentPlan ?? inForce?.treatmentPlan ?? '',
    controls: input.controls ?? inForce?.controls ?? [],
  };
  if (assessment.impactedSystems.length + assessment.impactedData.length === 0)
    throw invalidInput(
      'impactedSystems',
      'name at least one system, or kind of data (impactedData), that a compromise of the API would impact',
    );
  if (assessment.treatment === 'mitigate' && assessment.controls.length === 0)
    throw invalidInput('controls', 'name at least one control: a mitigation is carried out by its controls');
  return assessment;
}
