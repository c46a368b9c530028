// users.grants: a user's unexpired grants (what each client may do for them), newest first, a page at a time.
import { listUserGrants } from '../../storage/user-sessions.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { allPages } from '../operation/cli-binding.ts';
import { LISTING } from '../operation/http-binding.ts';
import { defineOperation } from '../operation/define.ts';
import { toPage } from '../operation/pagination.ts';
import { resolveAccount } from '../users/user-ref.ts';
import { userFlags, userTarget } from '../users/user-flags.ts';
import { listingPosition, seconds, userListingInput } from './session-input.ts';
import { grantPage, printGrants, toGrantView, type GrantView } from './session-view.ts';

export const listGrants = defineOperation({
  name: 'users.grants',
  summary: "list a user's unexpired grants (what each client may do for them), newest first, a page at a time",
  input: userListingInput,
  output: grantPage,
  http: {
    ...LISTING,
    path: '/users/{user}/grants',
    scopes: [ADMIN_SCOPES.read, ADMIN_SCOPES.users],
    errors: [404],
    summary:
      "List a user's unexpired grants: client, OpenID Connect scopes, API scopes per resource, created and expiry times (a page at a time)",
  },
  cli: {
    command: 'users grants',
    summary: "list a user's grants: the client, the scopes granted (per API), created and expiry times",
    target: userTarget,
    flags: userFlags,
    examples: ['portcullis users grants alice@example.com --json'],
    run: allPages((items, output) => printGrants(items as GrantView[], output)),
  },
  async run(ctx, input) {
    const account = await resolveAccount(ctx.db, input.user);
    const rows = await listUserGrants(ctx.db, account.id, { after: listingPosition(input.cursor), limit: input.limit + 1 });
    return toPage(rows, input.limit, (grant) => [seconds(grant.payload.iat), grant.id], toGrantView);
  },
});
