// The admin API routes of /resources (the API registry).
import { ADMIN_SCOPES } from '../admin-scopes.ts';
import { BODY_ERRORS, type AdminRoute } from '../route-spec.ts';

const { read, write } = ADMIN_SCOPES;

export const RESOURCE_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', path: '/resources', operation: 'resources.list', summary: 'List the resource servers (APIs), a page at a time (limit, cursor)', tag: 'resources', scopes: [read], body: 'none', query: { numbers: ['limit'] }, status: 200, response: 'ResourceServerList', errors: [] },
  {
    method: 'POST', path: '/resources', operation: 'resources.create', summary: 'Register a resource server (an API) and its scopes', tag: 'resources',
    scopes: [write], body: 'json', status: 201, response: 'ResourceServer', location: (server) => `/resources/${encodeURIComponent(String(server.identifier))}`, errors: [...BODY_ERRORS, 409],
  },
  { method: 'GET', path: '/resources/{identifier}', operation: 'resources.show', summary: 'Show a resource server; the identifier is URL-encoded in the path', tag: 'resources', scopes: [read], body: 'none', status: 200, response: 'ResourceServer', errors: [404] },
  {
    method: 'DELETE', path: '/resources/{identifier}', operation: 'resources.delete', summary: 'Delete a resource server; clients lose their permissions on it (the admin API itself cannot be deleted)', tag: 'resources',
    scopes: [write], body: 'none', status: 200, response: 'DeletedResourceServer', errors: [404, 409],
  },
];
