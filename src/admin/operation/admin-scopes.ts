// The admin API's audience and scopes (migrations/0005_admin_api.sql registers them). Beside the
// operations, which check them (authority.ts), so the API above imports them and not the reverse.
export const ADMIN_AUDIENCE = 'urn:portcullis:admin';

export const ADMIN_SCOPES = {
  /** Read clients, APIs, keys and the audit trail. */
  read: 'admin:read',
  /** Create, change and delete clients and APIs; rotate keys. */
  write: 'admin:write',
  /** Users: needed besides read / write for anything under /users. */
  users: 'admin:users',
} as const;

export type AdminScope = (typeof ADMIN_SCOPES)[keyof typeof ADMIN_SCOPES];
