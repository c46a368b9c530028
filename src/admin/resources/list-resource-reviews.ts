// resources.reviews: the reviews of one API, newest first, each with the risk assessment it
// recorded: how the API's risk was judged over time, and by whom.
import { z } from 'zod';
import { pageResourceReviews } from '../../storage/resource-reviews.ts';
import { findResourceServer } from '../../storage/resource-servers.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer, dateTime, pageOf } from '../operation/answer-schemas.ts';
import { allPages, date } from '../operation/cli-binding.ts';
import { table } from '../operation/cli-output.ts';
import { LISTING } from '../operation/http-binding.ts';
import { defineOperation, invalidInput, notFound } from '../operation/define.ts';
import { decodeCursor, pageInput, toPage } from '../operation/pagination.ts';
import { identifierFlag, resourceTarget } from './resource-flags.ts';
import { identifierLookup } from './resource-input.ts';
import { reviewerAs, riskAssessmentFields, viewerOf } from './resource-view.ts';

const resourceReview = answer(
  'ResourceReview',
  z.object({
    reviewedAt: dateTime,
    reviewedBy: z.string().describe("the admin who recorded it (audit actor id; a user's id only with admin:users)"),
    nextReviewDate: z.iso.date().describe('the next review date it set'),
    note: z.string().describe('what the review found'),
    ...riskAssessmentFields,
  }),
);
const resourceReviewPage = pageOf('ResourceReviewList', resourceReview);

export const listResourceReviews = defineOperation({
  name: 'resources.reviews',
  summary: "list a resource server's reviews, newest first, each with the risk assessment it recorded",
  input: z.strictObject({ identifier: identifierLookup, ...pageInput }),
  output: resourceReviewPage,
  http: {
    ...LISTING,
    path: '/resources/{identifier}/reviews',
    scopes: [ADMIN_SCOPES.read],
    errors: [404],
    summary: "List a resource server's reviews, newest first (limit, cursor), each with the risk assessment it recorded",
  },
  cli: {
    command: 'resources reviews',
    summary: "list a resource server's reviews and the risk assessment each recorded, newest first",
    target: resourceTarget,
    flags: { identifier: identifierFlag },
    run: allPages((items, output) => {
      const reviews = items as z.output<typeof resourceReview>[];
      if (reviews.length === 0) {
        output.out('Not reviewed yet.');
        return;
      }
      const rows = reviews.map((review) => [
        date(review.reviewedAt),
        review.reviewedBy,
        review.riskLevel,
        review.treatment,
        [...review.impactedSystems, ...review.impactedData].join(', '),
        review.controls.join(', ') || '-',
        review.nextReviewDate,
        review.note || '-',
      ]);
      for (const line of table(['reviewed', 'by', 'risk', 'treatment', 'impact', 'controls', 'next review', 'note'], rows))
        output.out(line);
    }),
  },
  async run(ctx, input): Promise<z.output<typeof resourceReviewPage>> {
    if (!(await findResourceServer(ctx.db, input.identifier))) throw notFound('identifier', `no resource server "${input.identifier}"`);
    const viewer = viewerOf(ctx);
    const after = decodeCursor(input.cursor, 1)?.[0];
    // A review's id is a bigint: anything else did not come from this listing.
    if (after !== undefined && !/^\d{1,18}$/.test(after)) throw invalidInput('cursor', 'is not a cursor this listing returned');
    const rows = await pageResourceReviews(ctx.db, input.identifier, {
      after,
      limit: input.limit + 1,
    });
    return toPage(
      rows,
      input.limit,
      (review) => [review.id],
      ({ id: _id, ...review }) => ({ ...review, reviewedBy: reviewerAs(viewer, review.reviewedBy) }),
    );
  },
});
