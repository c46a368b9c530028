// The admin API routes of a user's sessions and grants: like every /users route, they also need
// admin:users. A session or grant is looked up among the path's user's own only (another user's id
// is a 404), so an admin cannot reach user B's session through user A's path.
import { ADMIN_SCOPES } from '../../operation/admin-scopes.ts';
import { BODY_ERRORS, type AdminRoute } from '../../operation/http-binding.ts';

const { read, write, users } = ADMIN_SCOPES;

export const USER_SESSION_ROUTES: readonly AdminRoute[] = [
  {
    method: 'GET',
    path: '/users/{user}/sessions',
    operation: 'users.sessions',
    tag: 'users',
    scopes: [read, users],
    body: 'none',
    query: { numbers: ['limit'] },
    status: 200,
    response: 'UserSessionList',
    errors: [404],
    summary:
      "List a user's unexpired sessions, most recent sign-in first: handle, sign-in and expiry times, acr/amr, the clients signed in to (a page at a time)",
  },
  {
    method: 'DELETE',
    path: '/users/{user}/sessions/{sessionId}',
    operation: 'users.revoke-session',
    tag: 'users',
    scopes: [write, users],
    body: 'none',
    status: 200,
    response: 'UserSessionRevoked',
    errors: [404],
    summary: 'End a session; the grants made through it end too, except those with offline access (as at sign-out)',
  },
  {
    method: 'GET',
    path: '/users/{user}/grants',
    operation: 'users.grants',
    tag: 'users',
    scopes: [read, users],
    body: 'none',
    query: { numbers: ['limit'] },
    status: 200,
    response: 'UserGrantList',
    errors: [404],
    summary:
      "List a user's unexpired grants: client, OpenID Connect scopes, API scopes per resource, created and expiry times (a page at a time)",
  },
  {
    method: 'DELETE',
    path: '/users/{user}/grants/{grantId}',
    operation: 'users.revoke-grant',
    tag: 'users',
    scopes: [write, users],
    body: 'none',
    status: 200,
    response: 'UserGrantRevoked',
    errors: [404],
    summary: 'Revoke a grant with every code and token issued under it (refresh tokens are refused, access tokens introspect inactive)',
  },
  {
    method: 'POST',
    path: '/users/{user}/sign-out-everywhere',
    operation: 'users.sign-out-everywhere',
    tag: 'users',
    scopes: [write, users],
    body: 'none',
    status: 200,
    response: 'UserSignedOutEverywhere',
    errors: [404, ...BODY_ERRORS],
    summary: "End all of a user's sessions and grants, with their codes and tokens, without disabling the user",
  },
];
