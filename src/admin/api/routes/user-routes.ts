// The admin API routes of /users: every one also needs admin:users. An answer that describes the
// user carries its ETag (over the user as GET shows it), for the next PATCH's If-Match.
import type { Account } from '../../../storage/accounts.ts';
import { entityTag } from '../../operations/entity-tags.ts';
import { userView } from '../../operations/user-ref.ts';
import { ADMIN_SCOPES } from '../../operations/admin-scopes.ts';
import { BODY_ERRORS, IF_MATCH, UPDATE_ERRORS, type AdminRoute } from '../route-spec.ts';

const { read, write, users } = ADMIN_SCOPES;

/** The tag of the user as GET shows it (an answer's extra members, such as `revoked`, left out). */
const userTag = (result: Record<string, unknown>) => entityTag(userView(result as unknown as Account));

export const USER_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', path: '/users', operation: 'users.list', summary: 'List the users; query searches email and name, status filters, a page at a time (limit, cursor)', tag: 'users', scopes: [read, users], body: 'none', query: { numbers: ['limit'] }, status: 200, response: 'UserList', errors: [] },
  {
    method: 'POST', path: '/users', operation: 'users.create', summary: 'Create a user with a password', tag: 'users',
    scopes: [write, users], body: 'json', status: 201, response: 'User', location: (user) => `/users/${encodeURIComponent(String(user.id))}`, etag: userTag, errors: [...BODY_ERRORS, 409],
  },
  { method: 'GET', path: '/users/{user}', operation: 'users.show', summary: 'Show a user, by id or email', tag: 'users', scopes: [read, users], body: 'none', status: 200, response: 'User', etag: userTag, errors: [404] },
  {
    method: 'PATCH', path: '/users/{user}', operation: 'users.update', tag: 'users', scopes: [write, users], body: 'json', headers: [IF_MATCH], status: 200, response: 'User', etag: userTag,
    summary: 'Change any subset of email (unique in any case: 409), name (null removes it), emailVerified, mfaRequired and isAdmin. A new email is unverified unless emailVerified is given. An administrator cannot remove their own administrator role (409)',
    errors: [...UPDATE_ERRORS, 409],
  },
  {
    method: 'DELETE', path: '/users/{user}', operation: 'users.delete', tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'DeletedUser',
    summary: 'Delete a user with their sessions, grants, tokens, second factors and failed-login state, at once in every process. An administrator cannot delete their own account (409)',
    errors: [404, 409],
  },
  {
    method: 'POST', path: '/users/{user}/password', operation: 'users.set-password', tag: 'users', scopes: [write, users], body: 'json', status: 200, response: 'PasswordSet', etag: userTag,
    summary: 'Set a user\'s password (the password policy applies: 400 naming password). Ends their sessions, grants and tokens, and clears a failed-login lock. mustChange: they must choose a new password at their next sign-in',
    errors: [404, ...BODY_ERRORS],
  },
  {
    method: 'POST', path: '/users/{user}/require-password-change', operation: 'users.require-password-change', tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'User', etag: userTag,
    summary: 'Make a user choose a new password at their next sign-in, after their password and second factor and before the sign-in finishes. Sessions already open stay (see sign-out-everywhere)',
    errors: [404, ...BODY_ERRORS],
  },
  { method: 'POST', path: '/users/{user}/disable', operation: 'users.disable', summary: 'Disable a user and end their sessions, grants and refresh tokens', tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'DisabledUser', etag: userTag, errors: [404, ...BODY_ERRORS] },
  { method: 'POST', path: '/users/{user}/enable', operation: 'users.enable', summary: 'Enable a disabled user', tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'User', etag: userTag, errors: [404, ...BODY_ERRORS] },
  { method: 'POST', path: '/users/{user}/unlock', operation: 'users.unlock', summary: "Clear a user's failed-login count and lock", tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'UnlockedUser', errors: [404, ...BODY_ERRORS] },
  { method: 'POST', path: '/users/{user}/reset-mfa', operation: 'users.reset-mfa', summary: "Remove a user's second factors", tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'MfaReset', errors: [404, ...BODY_ERRORS] },
];
