// The admin API routes of /audit.
import { ADMIN_SCOPES } from '../../operation/admin-scopes.ts';
import { type AdminRoute } from '../../operation/http-binding.ts';

const { read } = ADMIN_SCOPES;

export const AUDIT_ROUTES: readonly AdminRoute[] = [
  {
    method: 'GET',
    path: '/audit/events',
    operation: 'audit.list',
    tag: 'audit',
    summary:
      'The latest audit events, or those after a seq; filters: type (or prefix), user, client, time. Without admin:users, user ids, email and IP addresses and user agents are redacted, and the user filter is refused (403)',
    scopes: [read],
    body: 'none',
    query: { numbers: ['afterSeq', 'limit'] },
    status: 200,
    response: 'AuditPage',
    errors: [],
  },
];
