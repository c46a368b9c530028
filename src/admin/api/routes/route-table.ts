// The admin API's route table, one file per area in ./routes/ (route-spec.ts says what a route is).
import type { AdminRoute } from '../../operation/http-binding.ts';
import { AUDIT_ROUTES } from './audit-routes.ts';
import { CLIENT_ROUTES } from './client-routes.ts';
import { KEY_ROUTES } from './key-routes.ts';
import { RESOURCE_ROUTES } from '../../resources/resource-routes-legacy.ts';
import { USER_ROUTES } from './user-routes.ts';
import { USER_SESSION_ROUTES } from './user-session-routes.ts';

export { ADMIN_API_PREFIX, pathParameters, type AdminRoute } from '../../operation/http-binding.ts';

export const ADMIN_ROUTES: readonly AdminRoute[] = [
  ...CLIENT_ROUTES,
  ...RESOURCE_ROUTES,
  ...USER_ROUTES,
  ...USER_SESSION_ROUTES,
  ...KEY_ROUTES,
  ...AUDIT_ROUTES,
];
