// The sessions area: what a user is signed in to (sessions) and what each client may do for them
// (grants), and ending them without disabling the user. Its operations are named `users.*` (the
// OpenAPI tag `users`), and like every /users route they also need admin:users. A session or grant
// is looked up among the path's user's own only (another user's id is a 404), so an admin cannot
// reach user B's session through user A's path.
//
// Everything is deleted from SQL, where sessions, grants and tokens live. Redis holds only short-lived
// grant sources (authorization codes, at most 60 s); oidc-provider refuses any of them whose Grant is
// gone ("grant not found"), so they are dead at once and expire on their own.
//
// Its operations, in the order the CLI's help lists them.
import { listGrants } from './list-user-grants.ts';
import { listSessions } from './list-user-sessions.ts';
import { revokeGrant } from './revoke-user-grant.ts';
import { revokeSession } from './revoke-user-session.ts';
import { signOutEverywhere } from './sign-out-everywhere.ts';

export const SESSION_OPERATIONS = [listSessions, listGrants, revokeSession, revokeGrant, signOutEverywhere];
