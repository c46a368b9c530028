// resources.review: an admin records that an API was reviewed (today, by the server's clock) and
// when it is next due. The note (what the review found) goes to the audit trail with the admin.
import { findResourceServer, findResourceServerForUpdate, recordResourceReview } from '../../storage/resource-servers.ts';
import { resourceReviewInput, reviewBeforeLiveProblem } from './resource-input.ts';
import { adminChange, defineOperation, invalidInput, notFound } from '../operation/define.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { identifierFlag, resourceTarget } from './resource-flags.ts';
import { resourceServerAnswer, resourceServerTag, today, toResourceView, type ResourceServerView } from './resource-view.ts';

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
    status: 200,
    etag: resourceServerTag,
    summary:
      'Record that the resource server was reviewed now, and the date of its next review (YYYY-MM-DD, in the future); the note goes to the audit trail',
    errors: [404, ...BODY_ERRORS],
  },
  cli: {
    command: 'resources review',
    summary: 'record that a resource server was reviewed today, and when it is next due',
    target: resourceTarget,
    flags: {
      identifier: identifierFlag,
      'next-review-date': {
        type: 'string',
        value: 'YYYY-MM-DD',
        help: 'when the API is next due for review, in the future (required)',
        field: 'nextReviewDate',
      },
      note: { type: 'string', value: 'text', help: 'what the review found (kept in the audit trail)', field: 'note' },
    },
    examples: ['portcullis resources review https://api.example.com --next-review-date 2026-09-01 --note "scopes and owners checked"'],
    print: (server, output) => output.out(`Recorded the review of ${server.identifier}; next review due ${server.nextReviewDate}`),
  },
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
