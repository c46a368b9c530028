// users.sessions: a user's unexpired sessions (sign-ins), most recent first, a page at a time.
import { clientNames, grantIdsOf, listUserSessions, type StoredSession } from '../../storage/user-sessions.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { allPages } from '../operation/cli-binding.ts';
import { LISTING } from '../operation/http-binding.ts';
import { defineOperation } from '../operation/define.ts';
import { toPage } from '../operation/pagination.ts';
import { resolveAccount } from '../users/user-ref.ts';
import { userFlags, userTarget } from '../users/user-flags.ts';
import { listingPosition, seconds, userListingInput } from './session-input.ts';
import { printSessions, sessionPage, toSessionView, type SessionView } from './session-view.ts';

const grantIdsIn = (sessions: readonly StoredSession[]) =>
  sessions.flatMap((session) =>
    Object.values(session.payload.authorizations ?? {}).flatMap((authorization) => (authorization.grantId ? [authorization.grantId] : [])),
  );

export const listSessions = defineOperation({
  name: 'users.sessions',
  summary: "list a user's unexpired sessions (sign-ins), most recent first, a page at a time",
  input: userListingInput,
  output: sessionPage,
  http: {
    ...LISTING,
    path: '/users/{user}/sessions',
    scopes: [ADMIN_SCOPES.read, ADMIN_SCOPES.users],
    errors: [404],
    summary:
      "List a user's unexpired sessions, most recent sign-in first: handle, sign-in and expiry times, acr/amr, the clients signed in to (a page at a time)",
  },
  cli: {
    command: 'users sessions',
    summary: "list a user's sessions: sign-in and expiry times, acr/amr, the clients signed in to",
    target: userTarget,
    flags: userFlags,
    examples: ['portcullis users sessions alice@example.com'],
    run: allPages((items, output) => printSessions(items as SessionView[], output)),
  },
  async run(ctx, input) {
    const account = await resolveAccount(ctx.db, input.user);
    const rows = await listUserSessions(ctx.db, account.id, { after: listingPosition(input.cursor), limit: input.limit + 1 });
    const shown = rows.slice(0, input.limit);
    const names = await clientNames(ctx.db, [...new Set(shown.flatMap((session) => Object.keys(session.payload.authorizations ?? {})))]);
    const liveGrants = await grantIdsOf(ctx.db, account.id, grantIdsIn(shown), { live: true });
    return toPage(
      rows,
      input.limit,
      (session) => [seconds(session.payload.loginTs), session.uid],
      (session) => toSessionView(session, names, liveGrants),
    );
  },
});
