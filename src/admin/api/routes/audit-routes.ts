// The admin API routes of /audit.
import { ADMIN_SCOPES } from '../admin-scopes.ts';
import { type AdminRoute } from '../route-spec.ts';

const { read } = ADMIN_SCOPES;

export const AUDIT_ROUTES: readonly AdminRoute[] = [
  {
    method: 'GET', path: '/audit/events', operation: 'audit.list', summary: 'The latest audit events, or those after a seq; filters: type (or prefix), user, client, time', tag: 'audit',
    scopes: [read], body: 'none', query: { numbers: ['afterSeq', 'limit'] }, status: 200, response: 'AuditPage', errors: [],
  },
];
