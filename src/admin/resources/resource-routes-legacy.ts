// The admin API routes of /resources (the API registry).
import { entityTag } from '../operation/entity-tags.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { BODY_ERRORS, IF_MATCH, UPDATE_ERRORS, type AdminRoute } from '../operation/http-binding.ts';

const { read, write } = ADMIN_SCOPES;

/** The tag of the resource server as GET shows it (every answer below is that view). */
const resourceTag = (result: Record<string, unknown>) => entityTag(result);
const at = (server: Record<string, unknown>) => `/resources/${encodeURIComponent(String(server.identifier))}`;

export const RESOURCE_ROUTES: readonly AdminRoute[] = [
  {
    method: 'GET',
    path: '/resources',
    operation: 'resources.list',
    tag: 'resources',
    scopes: [read],
    body: 'none',
    query: { numbers: ['limit'] },
    status: 200,
    response: 'ResourceServerList',
    errors: [],
    summary:
      'List the resource servers (APIs), a page at a time (limit, cursor); overdue=true lists only those whose review is overdue (false: the others)',
  },
  {
    method: 'POST',
    path: '/resources',
    operation: 'resources.create',
    tag: 'resources',
    scopes: [write],
    body: 'json',
    status: 201,
    response: 'ResourceServer',
    location: at,
    etag: resourceTag,
    errors: [...BODY_ERRORS, 409],
    summary:
      "Register a resource server (an API): its scopes, owner, purpose, classification (public | internal | confidential | restricted), live date and next review date (YYYY-MM-DD; default a year on), and its introspecting clients (the only clients besides a token's own that may introspect its access tokens)",
  },
  {
    method: 'GET',
    path: '/resources/{identifier}',
    operation: 'resources.show',
    summary: 'Show a resource server; the identifier is URL-encoded in the path',
    tag: 'resources',
    scopes: [read],
    body: 'none',
    status: 200,
    response: 'ResourceServer',
    etag: resourceTag,
    errors: [404],
  },
  {
    method: 'PATCH',
    path: '/resources/{identifier}',
    operation: 'resources.update',
    tag: 'resources',
    scopes: [write],
    body: 'json',
    headers: [IF_MATCH],
    status: 200,
    response: 'ResourceServer',
    etag: resourceTag,
    summary:
      "Change any subset of a resource server's registry entry, token lifetime (null: the server default), scopes (the whole new list) and introspecting clients (the whole new list). A scope left out is taken from every client allowed it, at once. The admin API's own scopes cannot be changed (409)",
    errors: [...UPDATE_ERRORS, 409],
  },
  {
    method: 'POST',
    path: '/resources/{identifier}/review',
    operation: 'resources.review',
    tag: 'resources',
    scopes: [write],
    body: 'json',
    status: 200,
    response: 'ResourceServer',
    etag: resourceTag,
    summary:
      'Record that the resource server was reviewed now, and the date of its next review (YYYY-MM-DD, in the future); the note goes to the audit trail',
    errors: [404, ...BODY_ERRORS],
  },
  {
    method: 'DELETE',
    path: '/resources/{identifier}',
    operation: 'resources.delete',
    summary: 'Delete a resource server; clients lose their permissions on it (the admin API itself cannot be deleted)',
    tag: 'resources',
    scopes: [write],
    body: 'none',
    status: 200,
    response: 'DeletedResourceServer',
    errors: [404, 409],
  },
];
