// Pure rules for registering a client (no I/O): the input schema, redirect URI rules, and the
// plan turning validated input plus the registered resource servers into oidc-provider metadata.
import { z } from 'zod';
import type { ClientMetadata } from '../storage/clients.ts';
import type { ResourceServer } from '../storage/resource-servers.ts';
import { OIDC_SCOPES } from '../oidc/oidc-scopes.ts';
import { invalidInput } from './operations/define.ts';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** Auth methods for which the server generates a secret (shown once, stored as a keyed hash). */
export const SECRET_AUTH_METHODS: ReadonlySet<string> = new Set(['client_secret_basic', 'client_secret_post']);

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_URI_LENGTH = 2048;

export const isLoopbackHost = (hostname: string) => LOOPBACK_HOSTS.has(hostname.toLowerCase());

/** A private-use URI scheme (RFC 8252 §7.1) in reverse-domain form, e.g. `com.example.app:`. */
export const isPrivateUseScheme = (uri: string) => {
  const protocol = URL.parse(uri)?.protocol;
  return protocol !== undefined && protocol !== 'http:' && protocol !== 'https:' && protocol.includes('.');
};

/**
 * Why a redirect URI is refused, or undefined when it is acceptable: absolute, matched exactly (no
 * `*`), no fragment, no credentials; `https`, `http` only on a loopback host, or a private-use
 * scheme containing a dot (native apps).
 */
export function redirectUriProblem(uri: string): string | undefined {
  if (uri.length === 0) return 'must not be empty';
  if (uri.length > MAX_URI_LENGTH) return `must be at most ${MAX_URI_LENGTH} characters`;
  if (uri.includes('*')) return 'must not contain a "*" wildcard (redirect URIs are matched exactly)';
  if (/[\s\u0000-\u001f\u007f]/.test(uri)) return 'must not contain spaces or control characters';
  const url = URL.parse(uri);
  if (!url) return 'must be an absolute URI';
  if (uri.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:') return url.hostname ? undefined : 'must name a host';
  if (url.protocol === 'http:') {
    return isLoopbackHost(url.hostname) ? undefined : 'must use https (http is allowed only on localhost, 127.0.0.1 and [::1])';
  }
  if (!url.protocol.slice(0, -1).includes('.')) {
    return 'must use https, http on a loopback host, or a private-use scheme in reverse-domain form (e.g. com.example.app:/callback)';
  }
  return undefined;
}

/** A URI the server calls or fetches (jwks_uri, backchannel_logout_uri): https, or http on loopback. */
export function serverUriProblem(uri: string): string | undefined {
  if (uri.length > MAX_URI_LENGTH) return `must be at most ${MAX_URI_LENGTH} characters`;
  const url = URL.parse(uri);
  if (!url) return 'must be an absolute URI';
  if (uri.includes('#')) return 'must not contain a fragment';
  if (url.username || url.password) return 'must not contain credentials';
  if (url.protocol === 'https:' && url.hostname) return undefined;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) return undefined;
  return 'must be an https URL';
}

/** The same ceiling as RATE_LIMIT_CLIENT_PER_MINUTE's. */
export const MAX_RATE_LIMIT_PER_MINUTE = 10_000_000;

const uriList = z.array(z.string().max(MAX_URI_LENGTH, `must be at most ${MAX_URI_LENGTH} characters`)).max(50, 'at most 50 allowed');

export const clientCreateInput = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  grantTypes: z
    .array(z.enum(GRANT_TYPES, { error: `must be one of ${GRANT_TYPES.join(', ')}` }))
    .min(1, 'at least one grant type is needed')
    .default(['authorization_code']),
  redirectUris: uriList.default([]),
  postLogoutRedirectUris: uriList.default([]),
  backchannelLogoutUri: z.string().optional(),
  resources: z.array(z.string().min(1, 'must not be empty')).max(50, 'at most 50 allowed').default([]),
  scopes: z.array(z.string().min(1, 'must not be empty')).max(200, 'at most 200 allowed').default([]),
  authMethod: z.enum(AUTH_METHODS, { error: `must be one of ${AUTH_METHODS.join(', ')}` }).default('client_secret_basic'),
  jwksUri: z.string().optional(),
  firstParty: z.boolean().default(false),
  /** Its users must sign in with a second factor (whatever MFA_POLICY says). */
  requireMfa: z.boolean().default(false),
  /** Overrides RATE_LIMIT_CLIENT_PER_MINUTE for this client (a busy service, or a client to hold back). */
  rateLimitPerMinute: z
    .number({ error: 'must be a whole number of requests per minute' })
    .int('must be a whole number of requests per minute')
    .min(1, 'must be at least 1')
    .max(MAX_RATE_LIMIT_PER_MINUTE, `must be at most ${MAX_RATE_LIMIT_PER_MINUTE.toLocaleString('en')}`)
    .optional(),
});

export type ClientCreateInput = z.output<typeof clientCreateInput>;

export interface ClientPlan {
  metadata: ClientMetadata;
  /** resource identifier -> the requested scopes that resource defines */
  resources: Record<string, string[]>;
  /** Whether the server generates a secret for this client. */
  issueSecret: boolean;
  /** The client's own requests-per-minute quota; null: the server default. */
  rateLimitPerMinute: number | null;
}


const unique = <T>(values: readonly T[]) => [...new Set(values)];

/**
 * Checks the cross-field rules and builds the client's metadata. `servers` are the registered
 * resource servers (at least those named in `input.resources`). Throws an AppError naming the field.
 */
export function planClient(input: ClientCreateInput, servers: readonly ResourceServer[]): ClientPlan {
  const grantTypes = unique(input.grantTypes);
  const redirectUris = unique(input.redirectUris);
  const postLogoutRedirectUris = unique(input.postLogoutRedirectUris);
  const code = grantTypes.includes('authorization_code');

  for (const [field, uris] of [['redirectUris', redirectUris], ['postLogoutRedirectUris', postLogoutRedirectUris]] as const) {
    for (const uri of uris) {
      const problem = redirectUriProblem(uri);
      if (problem) throw invalidInput(field, `"${uri}" ${problem}`);
    }
  }
  // A private-use scheme makes it a native app; oidc-provider then refuses https on loopback hosts.
  const native = [...redirectUris, ...postLogoutRedirectUris].some(isPrivateUseScheme);
  if (native) {
    for (const [field, uris] of [['redirectUris', redirectUris], ['postLogoutRedirectUris', postLogoutRedirectUris]] as const) {
      const loopbackHttps = uris.find((uri) => {
        const url = URL.parse(uri);
        return url?.protocol === 'https:' && isLoopbackHost(url.hostname);
      });
      if (loopbackHttps) throw invalidInput(field, `"${loopbackHttps}": a native app (private-use scheme) must use http, not https, on a loopback host`);
    }
  }

  if (code && redirectUris.length === 0) throw invalidInput('redirectUris', 'the authorization_code grant needs at least one redirect URI');
  if (!code) {
    if (redirectUris.length > 0) throw invalidInput('redirectUris', 'redirect URIs are only used with the authorization_code grant');
    if (postLogoutRedirectUris.length > 0) throw invalidInput('postLogoutRedirectUris', 'post-logout redirect URIs are only used with the authorization_code grant');
    if (input.backchannelLogoutUri !== undefined) throw invalidInput('backchannelLogoutUri', 'back-channel logout is only used with the authorization_code grant');
    if (grantTypes.includes('refresh_token')) throw invalidInput('grantTypes', 'refresh_token is only issued with the authorization_code grant');
  }
  if (input.authMethod === 'none' && grantTypes.includes('client_credentials')) {
    throw invalidInput('grantTypes', 'a public client (auth method none) cannot use client_credentials');
  }
  if (input.authMethod === 'private_key_jwt') {
    if (input.jwksUri === undefined) throw invalidInput('jwksUri', 'private_key_jwt needs the URL of the client\'s JWKS');
    const problem = serverUriProblem(input.jwksUri);
    if (problem) throw invalidInput('jwksUri', `"${input.jwksUri}" ${problem}`);
    if (!input.jwksUri.startsWith('https:')) throw invalidInput('jwksUri', `"${input.jwksUri}" must be an https URL`);
  } else if (input.jwksUri !== undefined) {
    throw invalidInput('jwksUri', 'a JWKS URL is only used with the private_key_jwt auth method');
  }
  if (input.backchannelLogoutUri !== undefined) {
    const problem = serverUriProblem(input.backchannelLogoutUri);
    if (problem) throw invalidInput('backchannelLogoutUri', `"${input.backchannelLogoutUri}" ${problem}`);
  }

  const resources = planResources(unique(input.resources), unique(input.scopes), servers);

  const metadata: ClientMetadata = {
    client_name: input.name,
    ...(native ? { application_type: 'native' } : {}),
    grant_types: grantTypes,
    response_types: code ? ['code'] : [],
    redirect_uris: redirectUris,
    ...(postLogoutRedirectUris.length > 0 ? { post_logout_redirect_uris: postLogoutRedirectUris } : {}),
    ...(input.backchannelLogoutUri !== undefined ? { backchannel_logout_uri: input.backchannelLogoutUri } : {}),
    token_endpoint_auth_method: input.authMethod,
    ...(input.jwksUri !== undefined ? { jwks_uri: input.jwksUri } : {}),
  };
  return { metadata, resources, issueSecret: SECRET_AUTH_METHODS.has(input.authMethod), rateLimitPerMinute: input.rateLimitPerMinute ?? null };
}

/** Which scopes of which resource server the client may request: each scope on the resources defining it. */
export function planResources(resources: readonly string[], scopes: readonly string[], servers: readonly ResourceServer[]): Record<string, string[]> {
  const byIdentifier = new Map(servers.map((server) => [server.identifier, server]));
  const plan: Record<string, string[]> = {};
  for (const identifier of resources) {
    const server = byIdentifier.get(identifier);
    if (!server) throw invalidInput('resources', `no resource server is registered as "${identifier}"`);
    const defined = new Set(server.scopes.map((scope) => scope.name));
    plan[identifier] = scopes.filter((scope) => defined.has(scope));
  }
  for (const scope of scopes) {
    if (OIDC_SCOPES.has(scope)) {
      throw invalidInput('scopes', `"${scope}" is an OpenID Connect scope, available to every client; list only API scopes`);
    }
    if (!Object.values(plan).some((granted) => granted.includes(scope))) {
      const where = resources.length > 0 ? `by any of the given resources (${resources.join(', ')})` : 'by any resource (no resource was given)';
      throw invalidInput('scopes', `unknown scope "${scope}": not defined ${where}`);
    }
  }
  return plan;
}
