// The admin API's route table: REST onto the operation registry (src/admin/operations.ts). The
// router (router.ts) and the OpenAPI document (openapi.ts) are both built from it, so the document
// cannot describe a route that does not exist, nor miss one.
import { ADMIN_SCOPES, type AdminScope } from './admin-scopes.ts';
import type { ResponseSchemaName } from './response-schemas.ts';

export const ADMIN_API_PREFIX = '/admin/v1';

export interface AdminRoute {
  method: 'GET' | 'POST' | 'DELETE';
  /** OpenAPI style, relative to the prefix: `/clients/{clientId}`; each parameter is an input field. */
  path: string;
  operation: string;
  summary: string;
  tag: 'clients' | 'resources' | 'users' | 'keys' | 'audit';
  scopes: readonly AdminScope[];
  /** `json`: the JSON body is the operation's input; `none`: the request takes no body. */
  body: 'json' | 'none';
  /** The query string is (part of) the input; these fields are whole numbers. */
  query?: { numbers: readonly string[] };
  status: 200 | 201;
  response: ResponseSchemaName;
  /** Where the created object now lives (201 answers). */
  location?: (result: Record<string, unknown>) => string;
  /** Answers besides 400, 401, 403 and 2xx. */
  errors: readonly (404 | 409 | 413 | 415)[];
}

const { read, write, users } = ADMIN_SCOPES;
const POST_ERRORS = [413, 415] as const;

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', path: '/clients', operation: 'clients.list', summary: 'List the clients', tag: 'clients', scopes: [read], body: 'none', status: 200, response: 'ClientList', errors: [] },
  {
    method: 'POST', path: '/clients', operation: 'clients.create', summary: 'Register a client; a generated secret is returned in this answer only', tag: 'clients',
    scopes: [write], body: 'json', status: 201, response: 'CreatedClient', location: (client) => `/clients/${encodeURIComponent(String(client.clientId))}`, errors: [...POST_ERRORS, 409],
  },
  { method: 'GET', path: '/clients/{clientId}', operation: 'clients.show', summary: 'Show a client (never its secret)', tag: 'clients', scopes: [read], body: 'none', status: 200, response: 'Client', errors: [404] },
  { method: 'DELETE', path: '/clients/{clientId}', operation: 'clients.delete', summary: 'Delete a client with its grants and tokens', tag: 'clients', scopes: [write], body: 'none', status: 200, response: 'DeletedClient', errors: [404] },

  { method: 'GET', path: '/resources', operation: 'resources.list', summary: 'List the resource servers (APIs)', tag: 'resources', scopes: [read], body: 'none', status: 200, response: 'ResourceServerList', errors: [] },
  {
    method: 'POST', path: '/resources', operation: 'resources.create', summary: 'Register a resource server (an API) and its scopes', tag: 'resources',
    scopes: [write], body: 'json', status: 201, response: 'ResourceServer', location: (server) => `/resources/${encodeURIComponent(String(server.identifier))}`, errors: [...POST_ERRORS, 409],
  },
  { method: 'GET', path: '/resources/{identifier}', operation: 'resources.show', summary: 'Show a resource server; the identifier is URL-encoded in the path', tag: 'resources', scopes: [read], body: 'none', status: 200, response: 'ResourceServer', errors: [404] },
  {
    method: 'DELETE', path: '/resources/{identifier}', operation: 'resources.delete', summary: 'Delete a resource server; clients lose their permissions on it (the admin API itself cannot be deleted)', tag: 'resources',
    scopes: [write], body: 'none', status: 200, response: 'DeletedResourceServer', errors: [404, 409],
  },

  { method: 'GET', path: '/users', operation: 'users.list', summary: 'List the users', tag: 'users', scopes: [read, users], body: 'none', status: 200, response: 'UserList', errors: [] },
  {
    method: 'POST', path: '/users', operation: 'users.create', summary: 'Create a user with a password', tag: 'users',
    scopes: [write, users], body: 'json', status: 201, response: 'User', location: (user) => `/users/${encodeURIComponent(String(user.id))}`, errors: [...POST_ERRORS, 409],
  },
  { method: 'GET', path: '/users/{user}', operation: 'users.show', summary: 'Show a user, by id or email', tag: 'users', scopes: [read, users], body: 'none', status: 200, response: 'User', errors: [404] },
  { method: 'POST', path: '/users/{user}/disable', operation: 'users.disable', summary: 'Disable a user and end their sessions, grants and refresh tokens', tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'DisabledUser', errors: [404, ...POST_ERRORS] },
  { method: 'POST', path: '/users/{user}/enable', operation: 'users.enable', summary: 'Enable a disabled user', tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'User', errors: [404, ...POST_ERRORS] },
  { method: 'POST', path: '/users/{user}/unlock', operation: 'users.unlock', summary: "Clear a user's failed-login count and lock", tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'UnlockedUser', errors: [404, ...POST_ERRORS] },
  { method: 'POST', path: '/users/{user}/reset-mfa', operation: 'users.reset-mfa', summary: "Remove a user's second factors", tag: 'users', scopes: [write, users], body: 'none', status: 200, response: 'MfaReset', errors: [404, ...POST_ERRORS] },

  { method: 'GET', path: '/keys', operation: 'keys.list', summary: 'List the signing keys', tag: 'keys', scopes: [read], body: 'none', status: 200, response: 'SigningKeyList', errors: [] },
  { method: 'POST', path: '/keys/rotate', operation: 'keys.rotate', summary: 'Rotate the signing keys: next becomes current, current is retired until its tokens expire', tag: 'keys', scopes: [write], body: 'none', status: 200, response: 'SigningKeyList', errors: [...POST_ERRORS] },

  {
    method: 'GET', path: '/audit/events', operation: 'audit.list', summary: 'The latest audit events, or those after a seq; filters: type (or prefix), user, client, time', tag: 'audit',
    scopes: [read], body: 'none', query: { numbers: ['afterSeq', 'limit'] }, status: 200, response: 'AuditPage', errors: [],
  },
];

/** The path's parameter names, in order. */
export const pathParameters = (path: string): string[] => [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]!);
