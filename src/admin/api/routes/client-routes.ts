// The admin API routes of /clients.
import { ADMIN_SCOPES } from '../admin-scopes.ts';
import { BODY_ERRORS, type AdminRoute } from '../route-spec.ts';

const { read, write } = ADMIN_SCOPES;

export const CLIENT_ROUTES: readonly AdminRoute[] = [
  { method: 'GET', path: '/clients', operation: 'clients.list', summary: 'List the clients, a page at a time (limit, cursor)', tag: 'clients', scopes: [read], body: 'none', query: { numbers: ['limit'] }, status: 200, response: 'ClientList', errors: [] },
  {
    method: 'POST', path: '/clients', operation: 'clients.create', summary: 'Register a client; a generated secret is returned in this answer only', tag: 'clients',
    scopes: [write], body: 'json', status: 201, response: 'CreatedClient', location: (client) => `/clients/${encodeURIComponent(String(client.clientId))}`, errors: [...BODY_ERRORS, 409],
  },
  { method: 'GET', path: '/clients/{clientId}', operation: 'clients.show', summary: 'Show a client (never its secret)', tag: 'clients', scopes: [read], body: 'none', status: 200, response: 'Client', errors: [404] },
  { method: 'DELETE', path: '/clients/{clientId}', operation: 'clients.delete', summary: 'Delete a client with its grants and tokens', tag: 'clients', scopes: [write], body: 'none', status: 200, response: 'DeletedClient', errors: [404] },
];
