// The scopes of OpenID Connect itself, granted with the login rather than by a resource server.
// A module of its own, without imports, so the CLI can validate input without loading oidc-provider.
export const OIDC_SCOPES: ReadonlySet<string> = new Set(['openid', 'offline_access', 'profile', 'email']);
