// The admin API routes of /clients.
import { entityTag } from '../../operation/entity-tags.ts';
import { withoutSecret } from '../../operations/clients-view.ts';
import { ADMIN_SCOPES } from '../../operation/admin-scopes.ts';
import { BODY_ERRORS, IF_MATCH, UPDATE_ERRORS, type AdminRoute } from '../../operation/http-binding.ts';

const { read, write } = ADMIN_SCOPES;

/** The tag of the client as GET shows it (an answer carrying a one-time secret is tagged without it). */
const clientTag = (result: Record<string, unknown>) => entityTag(withoutSecret(result));

export const CLIENT_ROUTES: readonly AdminRoute[] = [
  {
    method: 'GET',
    path: '/clients',
    operation: 'clients.list',
    summary: 'List the clients, a page at a time (limit, cursor)',
    tag: 'clients',
    scopes: [read],
    body: 'none',
    query: { numbers: ['limit'] },
    status: 200,
    response: 'ClientList',
    errors: [],
  },
  {
    method: 'POST',
    path: '/clients',
    operation: 'clients.create',
    summary: 'Register a client; a generated secret is returned in this answer only',
    tag: 'clients',
    scopes: [write],
    body: 'json',
    status: 201,
    response: 'CreatedClient',
    location: (client) => `/clients/${encodeURIComponent(String(client.clientId))}`,
    etag: clientTag,
    errors: [...BODY_ERRORS, 409],
  },
  {
    method: 'GET',
    path: '/clients/{clientId}',
    operation: 'clients.show',
    summary: 'Show a client (never its secret)',
    tag: 'clients',
    scopes: [read],
    body: 'none',
    status: 200,
    response: 'Client',
    etag: clientTag,
    errors: [404],
  },
  {
    method: 'PATCH',
    path: '/clients/{clientId}',
    operation: 'clients.update',
    tag: 'clients',
    scopes: [write],
    body: 'json',
    headers: [IF_MATCH],
    status: 200,
    response: 'Client',
    etag: clientTag,
    summary:
      "Change any subset of a client's settings; null puts an optional one back to the server default. The result must pass the same checks as a registration. The authentication method can only be swapped between client_secret_basic and client_secret_post (409 otherwise)",
    errors: [...UPDATE_ERRORS, 409],
  },
  {
    method: 'DELETE',
    path: '/clients/{clientId}',
    operation: 'clients.delete',
    summary: 'Delete a client with its grants and tokens',
    tag: 'clients',
    scopes: [write],
    body: 'none',
    status: 200,
    response: 'DeletedClient',
    errors: [404],
  },
  {
    method: 'POST',
    path: '/clients/{clientId}/secret/rotate',
    operation: 'clients.rotate-secret',
    tag: 'clients',
    scopes: [write],
    body: 'optional-json',
    status: 200,
    response: 'RotatedClientSecret',
    etag: clientTag,
    summary:
      'Issue a new client secret, returned in this answer only; the replaced one keeps working for previousSecretTtl seconds (default 86400, 0 ends it at once). An older previous secret still active is dropped: never more than two. 409 for a client without a secret (public, private_key_jwt)',
    errors: [404, 409, ...BODY_ERRORS],
  },
  {
    method: 'DELETE',
    path: '/clients/{clientId}/secret/previous',
    operation: 'clients.revoke-previous-secret',
    tag: 'clients',
    scopes: [write],
    body: 'none',
    status: 200,
    response: 'Client',
    etag: clientTag,
    summary: 'End the previous client secret (the one the last rotation replaced) now; 404 when there is none',
    errors: [404, 409],
  },
];
