// resources.review: an admin records that an API was reviewed (today, by the server's clock) and
// when it is next due. The note (what the review found) goes to the audit trail with the admin.
import { findResourceServer, findResourceServerForUpdate, recordResourceReview } from '../../storage/resource-servers.ts';
import { resourceReviewInput, reviewBeforeLiveProblem } from './resource-input.ts';
import { adminChange, defineOperation, invalidInput, notFound } from '../operation/define.ts';
import { today, toResourceView, type ResourceServerView } from './resource-view.ts';

export const reviewResourceOperation = defineOperation({
  name: 'resources.review',
  summary: 'record that a resource server was reviewed now, and the date of its next review (in the future)',
  input: resourceReviewInput,
  async run(ctx, input): Promise<ResourceServerView> {
    const now = ctx.now?.() ?? new Date();
    const day = today({ now: () => now });
    if (input.nextReviewDate <= day) throw invalidInput('nextReviewDate', `must be in the future (after ${day})`);
    return adminChange(ctx, async (tx) => {
      const current = await findResourceServerForUpdate(tx, input.identifier);
      if (!current) throw notFound('identifier', `no resource server "${input.identifier}"`);
      const problem = reviewBeforeLiveProblem(current.liveDate, input.nextReviewDate);
      if (problem) throw invalidInput('nextReviewDate', problem);
      await recordResourceReview(tx, input.identifier, { reviewedAt: now, nextReviewDate: input.nextReviewDate });
      const details = {
        previousReviewDate: current.nextReviewDate,
        nextReviewDate: input.nextReviewDate,
        ...(input.note ? { note: input.note } : {}),
      };
      return {
        result: toResourceView((await findResourceServer(tx, input.identifier))!, day),
        event: { type: 'resource.reviewed', target: { type: 'resource', id: input.identifier }, details },
      };
    });
  },
});
