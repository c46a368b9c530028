// Pure rules for registering a client (no I/O): the input schema, redirect URI rules, and the
// plan turning validated input plus the registered resource servers into oidc-provider metadata.
import { z } from 'zod';
import type { ClientMetadata } from '../../storage/clients.ts';
import type { ResourceServer } from '../../storage/resource-servers.ts';
import { OIDC_SCOPES } from '../../oidc/oidc-scopes.ts';
import { DPOP_BOUND_ACCESS_TOKENS, EXTRA_CLIENT_PROPERTIES, PKCE_MODES } from '../../oidc/client-metadata.ts';
import { classifyAddress } from '../../oidc/outbound-requests.ts';
import { DEFAULT_ID_TOKEN_ALG, SIGNING_ALGORITHMS } from '../../security/signing-algorithms.ts';
import { invalidInput } from '../operation/define.ts';
import { ifMatchInput } from '../operation/entity-tags.ts';

export const GRANT_TYPES = ['authorization_code', 'refresh_token', 'client_credentials'] as const;
export type GrantType = (typeof GRANT_TYPES)[number];

export const AUTH_METHODS = ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'] as const;
export type AuthMethod = (typeof AUTH_METHODS)[number];

/** Auth methods for which the server generates a secret (shown once, stored as a keyed hash). */
export const SECRET_AUTH_METHODS: ReadonlySet<string> = new Set(['client_secret_basic', 'client_secret_post']);

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['localhost', '127.0.0.1', '[::1]']);
const MAX_URI_LENGTH = 2048;

/** RFC 8252 §7.3 loopback redirect hosts (http allowed); the issuer's own rule is config.ts' isLocalDevelopmentHost. */
export const isLoopbackRedirectHost = (hostname: string) => LOOPBACK_HOSTS.has(hostname.toLowerCase());

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
    return isLoopbackRedirectHost(url.hostname) ? undefined : 'must use https (http is allowed only on localhost, 127.0.0.1 and [::1])';
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
  // Never fetched whatever the outbound policy (checked again when fetched: a name can change its address).
  const kind = classifyAddress(url.hostname);
  if (kind === 'link-local' || kind === 'special') return `must not name a ${kind} address (the server never calls one)`;
  if (url.protocol === 'https:' && url.hostname) return undefined;
  if (url.protocol === 'http:' && isLoopbackRedirectHost(url.hostname)) return undefined;
  return 'must be an https URL';
}

/** The same ceiling as RATE_LIMIT_CLIENT_PER_MINUTE's. */
export const MAX_RATE_LIMIT_PER_MINUTE = 10_000_000;

const uriList = z.array(z.string().max(MAX_URI_LENGTH, `must be at most ${MAX_URI_LENGTH} characters`)).max(50, 'at most 50 allowed');

/** ID tokens: from a minute to a day (the server default is an hour). */
export const MIN_ID_TOKEN_TTL = 60;
export const MAX_ID_TOKEN_TTL = 86_400;
/** Refresh tokens: from a minute up to REFRESH_TOKEN_TTL (checked in planClient), never beyond a year. */
export const MIN_REFRESH_TOKEN_TTL = 60;
export const MAX_REFRESH_TOKEN_TTL = 365 * 86_400;

const seconds = (min: number, max: number) =>
  z
    .number({ error: `must be a whole number of seconds between ${min} and ${max}` })
    .int(`must be a whole number of seconds between ${min} and ${max}`)
    .min(min, `must be at least ${min} seconds`)
    .max(max, `must be at most ${max} seconds`);

/**
 * The fields of a client an admin sets, each validated on its own (cross-field rules are planClient's).
 * Create gives them defaults; update takes any subset.
 */
const clientFields = {
  name: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters'),
  grantTypes: z
    .array(z.enum(GRANT_TYPES, { error: `must be one of ${GRANT_TYPES.join(', ')}` }))
    .min(1, 'at least one grant type is needed'),
  redirectUris: uriList,
  postLogoutRedirectUris: uriList,
  backchannelLogoutUri: z.string(),
  resources: z.array(z.string().min(1, 'must not be empty')).max(50, 'at most 50 allowed'),
  scopes: z.array(z.string().min(1, 'must not be empty')).max(200, 'at most 200 allowed'),
  authMethod: z.enum(AUTH_METHODS, { error: `must be one of ${AUTH_METHODS.join(', ')}` }),
  jwksUri: z.string(),
  firstParty: z.boolean(),
  /** Its users must sign in with a second factor (whatever MFA_POLICY says). */
  requireMfa: z.boolean(),
  /** Its access tokens are always DPoP-bound (RFC 9449): the token endpoint refuses it without a proof. */
  requireDpop: z.boolean(),
  /**
   * `optional`: a confidential code-flow client may leave PKCE out (for a library that cannot send
   * it); it must then send a nonce and the openid scope (src/oidc/legacy-client-nonce.ts).
   */
  pkce: z.enum(PKCE_MODES, { error: `must be one of ${PKCE_MODES.join(', ')}` }),
  /** Overrides RATE_LIMIT_CLIENT_PER_MINUTE for this client (a busy service, or a client to hold back). */
  rateLimitPerMinute: z
    .number({ error: 'must be a whole number of requests per minute' })
    .int('must be a whole number of requests per minute')
    .min(1, 'must be at least 1')
    .max(MAX_RATE_LIMIT_PER_MINUTE, `must be at most ${MAX_RATE_LIMIT_PER_MINUTE.toLocaleString('en')}`),
  /** The JWS algorithm of its ID tokens (`id_token_signed_response_alg`): what the relying party's library verifies. */
  idTokenAlg: z.enum(SIGNING_ALGORITHMS, { error: `must be one of ${SIGNING_ALGORITHMS.join(', ')}` }),
  /** Lifetime of the client's ID tokens; null: the server default (an hour). */
  idTokenTtl: seconds(MIN_ID_TOKEN_TTL, MAX_ID_TOKEN_TTL).nullable(),
  /** Lifetime of the client's refresh tokens; null: REFRESH_TOKEN_TTL. */
  refreshTokenTtl: seconds(MIN_REFRESH_TOKEN_TTL, MAX_REFRESH_TOKEN_TTL).nullable(),
};

export const clientIdField = z.string().min(1, 'must not be empty').max(200, 'must be at most 200 characters');

/** The input of the operations on one client. */
export const clientIdInput = z.strictObject({ clientId: clientIdField });

export const clientCreateInput = z.strictObject({
  name: clientFields.name,
  grantTypes: clientFields.grantTypes.default(['authorization_code']),
  redirectUris: clientFields.redirectUris.default([]),
  postLogoutRedirectUris: clientFields.postLogoutRedirectUris.default([]),
  backchannelLogoutUri: clientFields.backchannelLogoutUri.optional(),
  resources: clientFields.resources.default([]),
  scopes: clientFields.scopes.default([]),
  authMethod: clientFields.authMethod.default('client_secret_basic'),
  jwksUri: clientFields.jwksUri.optional(),
  firstParty: clientFields.firstParty.default(false),
  requireMfa: clientFields.requireMfa.default(false),
  requireDpop: clientFields.requireDpop.default(false),
  pkce: clientFields.pkce.default('required'),
  rateLimitPerMinute: clientFields.rateLimitPerMinute.optional(),
  idTokenAlg: clientFields.idTokenAlg.default(DEFAULT_ID_TOKEN_ALG),
  idTokenTtl: clientFields.idTokenTtl.optional(),
  refreshTokenTtl: clientFields.refreshTokenTtl.optional(),
});

export type ClientCreateInput = z.output<typeof clientCreateInput>;

/**
 * clients.update: any subset of the settings (the authentication method only between the two
 * secret methods; see planClientUpdate). `null` puts an optional setting back to the server default
 * (backchannelLogoutUri, rateLimitPerMinute, idTokenTtl, refreshTokenTtl). `resources` and `scopes`
 * replace the client's permissions; given one alone, the other keeps its current value.
 */
export const clientUpdateInput = z.strictObject({
  clientId: clientIdField,
  ifMatch: ifMatchInput,
  name: clientFields.name.optional(),
  grantTypes: clientFields.grantTypes.optional(),
  redirectUris: clientFields.redirectUris.optional(),
  postLogoutRedirectUris: clientFields.postLogoutRedirectUris.optional(),
  backchannelLogoutUri: clientFields.backchannelLogoutUri.nullable().optional(),
  resources: clientFields.resources.optional(),
  scopes: clientFields.scopes.optional(),
  authMethod: clientFields.authMethod.optional(),
  jwksUri: clientFields.jwksUri.optional(),
  firstParty: clientFields.firstParty.optional(),
  requireMfa: clientFields.requireMfa.optional(),
  requireDpop: clientFields.requireDpop.optional(),
  pkce: clientFields.pkce.optional(),
  rateLimitPerMinute: clientFields.rateLimitPerMinute.nullable().optional(),
  idTokenAlg: clientFields.idTokenAlg.optional(),
  idTokenTtl: clientFields.idTokenTtl.optional(),
  refreshTokenTtl: clientFields.refreshTokenTtl.optional(),
});

export type ClientUpdateInput = z.output<typeof clientUpdateInput>;

/** Server settings a client's own values are checked against. */
export interface ClientLimits {
  /** REFRESH_TOKEN_TTL: a client's refresh tokens may be held shorter, never longer (their grant lives this long). */
  maxRefreshTokenTtl: number;
}

export interface ClientPlan {
  metadata: ClientMetadata;
  /** resource identifier -> the requested scopes that resource defines */
  resources: Record<string, string[]>;
  /** Whether the server generates a secret for this client. */
  issueSecret: boolean;
  /** The client's own requests-per-minute quota; null: the server default. */
  rateLimitPerMinute: number | null;
  /** The client's own token lifetimes in seconds; null: the server default. */
  idTokenTtl: number | null;
  refreshTokenTtl: number | null;
}

/**
 * The metadata keys planClient decides (set, or leaves out when unused). An update replaces exactly
 * these and keeps any other key a client's stored metadata carries.
 */
export const PLANNED_METADATA_KEYS: readonly string[] = [
  'client_name',
  'application_type',
  'grant_types',
  'response_types',
  'redirect_uris',
  'post_logout_redirect_uris',
  'backchannel_logout_uri',
  'token_endpoint_auth_method',
  'jwks_uri',
  DPOP_BOUND_ACCESS_TOKENS,
  'id_token_signed_response_alg',
  EXTRA_CLIENT_PROPERTIES.pkceOptional,
];

/** The plan of everything but the resources (an update that leaves them alone keeps them as stored). */
export type ClientSettingsPlan = Omit<ClientPlan, 'resources'>;

export const unique = <T>(values: readonly T[]) => [...new Set(values)];

/**
 * Checks the cross-field rules and builds the client's metadata. `servers` are the registered
 * resource servers (at least those named in `input.resources`). Throws an AppError naming the field.
 */
export function planClient(input: ClientCreateInput, servers: readonly ResourceServer[], limits?: ClientLimits): ClientPlan {
  const settings = planClientSettings(input, limits);
  return { ...settings, resources: planResources(unique(input.resources), unique(input.scopes), servers) };
}

/** planClient without the resources: the metadata, the secret and the client's own limits. */
export function planClientSettings(input: Omit<ClientCreateInput, 'resources' | 'scopes'>, limits?: ClientLimits): ClientSettingsPlan {
  const grantTypes = unique(input.grantTypes);
  const redirectUris = unique(input.redirectUris);
  const postLogoutRedirectUris = unique(input.postLogoutRedirectUris);
  const code = grantTypes.includes('authorization_code');

  // Without PKCE a code is protected by the nonce and the client's own authentication (RFC 9700
  // §2.1.1): a public client has none, and PKCE matters only to the code flow. An update is planned
  // through here too, so an optional client cannot become public or code-less either.
  if (input.pkce === 'optional') {
    if (input.authMethod === 'none')
      throw invalidInput('pkce', 'optional only for a confidential client: a public client (auth method none) must always use PKCE');
    if (!code)
      throw invalidInput(
        'pkce',
        'optional only for a client with the authorization_code grant (PKCE protects its codes; there is nothing to make optional without it)',
      );
  }

  for (const [field, uris] of [
    ['redirectUris', redirectUris],
    ['postLogoutRedirectUris', postLogoutRedirectUris],
  ] as const) {
    for (const uri of uris) {
      const problem = redirectUriProblem(uri);
      if (problem) throw invalidInput(field, `"${uri}" ${problem}`);
    }
  }
  // A private-use scheme makes it a native app; oidc-provider then refuses https on loopback hosts.
  const native = [...redirectUris, ...postLogoutRedirectUris].some(isPrivateUseScheme);
  // A native app cannot keep a secret (RFC 8252 §8.5): another app claiming its scheme takes the code
  // and redeems it with the secret from the app's package; only PKCE stops that (RFC 7636 §1).
  if (input.pkce === 'optional' && native) {
    throw invalidInput(
      'pkce',
      'optional only for a confidential client: a native app (private-use redirect scheme) cannot keep its secret and must always use PKCE',
    );
  }
  if (native) {
    for (const [field, uris] of [
      ['redirectUris', redirectUris],
      ['postLogoutRedirectUris', postLogoutRedirectUris],
    ] as const) {
      const loopbackHttps = uris.find((uri) => {
        const url = URL.parse(uri);
        return url?.protocol === 'https:' && isLoopbackRedirectHost(url.hostname);
      });
      if (loopbackHttps)
        throw invalidInput(field, `"${loopbackHttps}": a native app (private-use scheme) must use http, not https, on a loopback host`);
    }
  }

  if (code && redirectUris.length === 0) throw invalidInput('redirectUris', 'the authorization_code grant needs at least one redirect URI');
  if (!code) {
    if (redirectUris.length > 0) throw invalidInput('redirectUris', 'redirect URIs are only used with the authorization_code grant');
    if (postLogoutRedirectUris.length > 0)
      throw invalidInput('postLogoutRedirectUris', 'post-logout redirect URIs are only used with the authorization_code grant');
    if (input.backchannelLogoutUri !== undefined)
      throw invalidInput('backchannelLogoutUri', 'back-channel logout is only used with the authorization_code grant');
    if (grantTypes.includes('refresh_token'))
      throw invalidInput('grantTypes', 'refresh_token is only issued with the authorization_code grant');
  }
  if (input.authMethod === 'none' && grantTypes.includes('client_credentials')) {
    throw invalidInput('grantTypes', 'a public client (auth method none) cannot use client_credentials');
  }
  if (input.authMethod === 'private_key_jwt') {
    if (input.jwksUri === undefined) throw invalidInput('jwksUri', "private_key_jwt needs the URL of the client's JWKS");
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

  if (limits && input.refreshTokenTtl != null && input.refreshTokenTtl > limits.maxRefreshTokenTtl) {
    throw invalidInput(
      'refreshTokenTtl',
      `must be at most ${limits.maxRefreshTokenTtl} seconds, the server's REFRESH_TOKEN_TTL (a client's refresh tokens may be held shorter, not longer)`,
    );
  }

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
    ...(input.requireDpop ? { [DPOP_BOUND_ACCESS_TOKENS]: true } : {}),
    // always written: the choice stays the client's if the server's default ever changes again
    id_token_signed_response_alg: input.idTokenAlg,
    ...(input.pkce === 'optional' ? { [EXTRA_CLIENT_PROPERTIES.pkceOptional]: true } : {}),
  };
  return {
    metadata,
    issueSecret: SECRET_AUTH_METHODS.has(input.authMethod),
    rateLimitPerMinute: input.rateLimitPerMinute ?? null,
    idTokenTtl: input.idTokenTtl ?? null,
    refreshTokenTtl: input.refreshTokenTtl ?? null,
  };
}

/** Which scopes of which resource server the client may request: each scope on the resources defining it. */
export function planResources(
  resources: readonly string[],
  scopes: readonly string[],
  servers: readonly ResourceServer[],
): Record<string, string[]> {
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
      const where =
        resources.length > 0 ? `by any of the given resources (${resources.join(', ')})` : 'by any resource (no resource was given)';
      throw invalidInput('scopes', `unknown scope "${scope}": not defined ${where}`);
    }
  }
  return plan;
}
