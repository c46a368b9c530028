// The admin API routes of /keys.
import { ADMIN_SCOPES } from '../../operation/admin-scopes.ts';
import { BODY_ERRORS, type AdminRoute } from '../../operation/http-binding.ts';

const { read, write } = ADMIN_SCOPES;

export const KEY_ROUTES: readonly AdminRoute[] = [
  {
    method: 'GET',
    path: '/keys',
    operation: 'keys.list',
    summary: 'List the signing keys',
    tag: 'keys',
    scopes: [read],
    body: 'none',
    status: 200,
    response: 'SigningKeyList',
    errors: [],
  },
  {
    method: 'POST',
    path: '/keys/rotate',
    operation: 'keys.rotate',
    summary: 'Rotate the signing keys: next becomes current, current is retired until its tokens expire',
    tag: 'keys',
    scopes: [write],
    body: 'none',
    status: 200,
    response: 'SigningKeyList',
    errors: [...BODY_ERRORS],
  },
];
