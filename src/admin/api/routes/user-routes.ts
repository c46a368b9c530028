// The admin API routes of /users: every one also needs admin:users.
import { ADMIN_SCOPES } from '../admin-scopes.ts';
import { BODY_ERRORS, type AdminRoute } from '../route-spec.ts';

const { read, write, users } = ADMIN_SCOPES;

export const USER_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', path: '/users', operation: 'users.list', summary: 'List the users; query searches email and name, status filters, a page at a time (limit, cursor)', tag: 'users', scopes: [read, users], body: 'none', query: { numbers: ['limit'] }, status: 200, response: 'UserList', errors: [] },
  {
    method: 'POST', path: '/users', operation: 'users.create', summary: 'Create a user with a password', tag: 'users',
    scopes: [write, users], body: 'json', status: 201, response: 'User', location: (user) => `/users/${encodeURIComponent(String(user.id))}`, errors: [...BODY_ERRORS, 409],
  },
  { method: 'GET', path: '/users/{user}', operation: 'users.show', summary: 'Show a user, by id or email', tag: 'users', scopes: [read, users], body: 'none', status: 200, response: 'User', errors: [404] },
  { method: 'POST', path: '/users/{user}/disable', operation: 'users.disable', summary: 'Disable a user and end their sessions, grants and refresh tokens', tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'DisabledUser', errors: [404, ...BODY_ERRORS] },
  { method: 'POST', path: '/users/{user}/enable', operation: 'users.enable', summary: 'Enable a disabled user', tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'User', errors: [404, ...BODY_ERRORS] },
  { method: 'POST', path: '/users/{user}/unlock', operation: 'users.unlock', summary: "Clear a user's failed-login count and lock", tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'UnlockedUser', errors: [404, ...BODY_ERRORS] },
  { method: 'POST', path: '/users/{user}/reset-mfa', operation: 'users.reset-mfa', summary: "Remove a user's second factors", tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'MfaReset', errors: [404, ...BODY_ERRORS] },
];
