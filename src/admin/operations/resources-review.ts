// resources.review: an admin records that an API was reviewed (today, by the server's clock) and
// when it is next due. The note (what the review found) goes to the audit trail with the admin.
import { findResourceServer, findResourceServerForUpdate, recordResourceReview } from '../../storage/resource-servers.ts';
import { resourceReviewInput, reviewBeforeLiveProblem } from '../resource-input.ts';
import { defineOperation, invalidInput, notFound, recordAdminChange } from './define.ts';
import { today, toResourceView, type ResourceServerView } from './resources-view.ts';

export const reviewResourceOperation = defineOperation({
  name: 'resources.review',
  summary: 'record that a resource server was reviewed now, and the date of its next review (in the future)',
  input: resourceReviewInput,
  async run(ctx, input): Promise<ResourceServerView> {
    const now = ctx.now?.() ?? new Date();
    const day = today({ now: () => now });
    if (input.nextReviewDate <= day) throw invalidInput('nextReviewDate', `must be in the future (after ${day})`);
    const { previous, view } = await ctx.db.transaction(async (tx) => {
      const current = await findResourceServerForUpdate(tx, input.identifier);
      if (!current) throw notFound('identifier', `no resource server "${input.identifier}"`);
      const problem = reviewBeforeLiveProblem(current.liveDate, input.nextReviewDate);
      if (problem) throw invalidInput('nextReviewDate', problem);
      await recordResourceReview(tx, input.identifier, { reviewedAt: now, nextReviewDate: input.nextReviewDate });
      return { previous: current.nextReviewDate, view: toResourceView((await findResourceServer(tx, input.identifier))!, day) };
    });
    await recordAdminChange(ctx, 'resource.reviewed', { type: 'resource', id: input.identifier }, {
      previousReviewDate: previous,
      nextReviewDate: input.nextReviewDate,
      ...(input.note ? { note: input.note } : {}),
    });
    return view;
  },
});
