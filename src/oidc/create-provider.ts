// oidc-provider configured with Portcullis' secure defaults (DESIGN.md "Protocol defaults").
// Each concern lives in its own module; this file only wires them together.
import type { KeyObject } from 'node:crypto';
import Provider, { type Configuration, type KoaContextWithOIDC } from 'oidc-provider';
import type { JWK } from 'jose';
import type { CookieSigner } from '../http/cookie-signer.ts';
import type { Config } from '../config.ts';
import { createClientSecretVerifier } from '../security/client-secrets.ts';
import { clientAssertionRules } from './client-assertion-rules.ts';
import { DEFAULT_ID_TOKEN_TTL, EXTRA_CLIENT_PROPERTIES } from './client-metadata.ts';
import { CLAIMS_BY_SCOPE } from './find-account.ts';
import { ensureFirstPartyGrant } from './first-party-grant.ts';
import { pragmaNoCache } from './no-cache-pragma.ts';
import { clientBasedCors } from './cors-policy.ts';
import { isPageRoute } from '../http/provider-routes.ts';
import { guardStore } from './store-unavailable.ts';
import { createOutboundFetch } from './outbound-requests.ts';
import { OIDC_SCOPES } from './oidc-scopes.ts';
import { createResourcePolicy } from './resource-policy.ts';
import { interactionPolicyWithSecondFactor, type NeedsSecondFactor } from './session-reuse-policy.ts';
import { ACR_VALUES } from '../accounts/second-factor-requirement.ts';
import type { RegistryCache } from './registry-cache.ts';
import type { JwtReplayStore } from '../storage/jwt-replay.ts';
import { DPOP_ALGORITHMS } from './dpop-proof.ts';
import { DEFAULT_ID_TOKEN_ALG, SIGNING_ALGORITHMS } from '../security/signing-algorithms.ts';
import { checkLegacyClientNonce, pkceRequired } from './legacy-client-nonce.ts';
import { providerTokenKind, type IntrospectionPolicy } from './introspection-policy.ts';

export interface PageRenderer {
  error(ctx: KoaContextWithOIDC, out: { error: string; error_description?: string }): void;
  logout(ctx: KoaContextWithOIDC, form: string): void;
  loggedOut(ctx: KoaContextWithOIDC): Promise<void>;
}

export interface ProviderDeps {
  config: Config;
  jwks: { keys: JWK[] };
  /** Signs and verifies the provider's cookies (the app's own signer: one format, one set of keys). */
  cookieSigner: CookieSigner;
  clientSecretKey: KeyObject;
  adapter: NonNullable<Configuration['adapter']>;
  findAccount: NonNullable<Configuration['findAccount']>;
  cache: RegistryCache;
  pages: PageRenderer;
  /** The provider metadata of a client (the same object while the client is unchanged). */
  findClientMetadata: (clientId: string) => Promise<Record<string, unknown> | undefined>;
  /** Whether a session may be reused without a second factor (see session-reuse-policy.ts). */
  needsSecondFactor: NeedsSecondFactor;
  /** The clock that ends a rotated-out client secret (tests move it instead of waiting). */
  now?: () => Date;
  /** Once-only JWTs (DPoP proofs, client assertions), shared by every process. */
  jwtReplay: JwtReplayStore;
  /** Who may introspect which token (introspection-policy.ts). */
  introspection: IntrospectionPolicy;
}

/** An extra metadata property of a built oidc-provider Client (set under its own name). */
const clientProperty = (client: unknown, name: string): unknown => (client as Record<string, unknown> | undefined)?.[name];

/** A client's own lifetime for a token kind (a positive whole number of seconds), if it sets one. */
function clientTtl(client: unknown, name: string): number | undefined {
  const ttl = clientProperty(client, name);
  return typeof ttl === 'number' && Number.isInteger(ttl) && ttl > 0 ? ttl : undefined;
}

export function createProvider(deps: ProviderDeps): Provider {
  const { config } = deps;
  const https = config.issuer.startsWith('https:');
  const resources = createResourcePolicy({ cache: deps.cache, defaultAccessTokenTtl: config.accessTokenTtl });
  const now = deps.now ?? (() => new Date());

  const provider = new Provider(config.issuer, {
    adapter: deps.adapter,
    findAccount: deps.findAccount,
    jwks: deps.jwks,
    claims: CLAIMS_BY_SCOPE,
    scopes: [...OIDC_SCOPES],
    responseTypes: ['code'],
    // PKCE (S256) for every client but a confidential one registered with `pkce: 'optional'`,
    // which must send a nonce and the openid scope instead (legacy-client-nonce.ts).
    pkce: { required: pkceRequired },
    extraParams: { nonce: checkLegacyClientNonce },
    clientDefaults: {
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      // OpenID Connect Core: RS256 for a client that registered no algorithm (every relying party verifies it)
      id_token_signed_response_alg: DEFAULT_ID_TOKEN_ALG,
    },
    // What the server signs with: a current key of each algorithm is in the JWKS (signing-keys.ts);
    // discovery lists them as the supported values.
    enabledJWA: {
      idTokenSigningAlgValues: [...SIGNING_ALGORITHMS],
      userinfoSigningAlgValues: [...SIGNING_ALGORITHMS],
      introspectionSigningAlgValues: [...SIGNING_ALGORITHMS],
      authorizationSigningAlgValues: [...SIGNING_ALGORITHMS],
      clientAuthSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
      dPoPSigningAlgValues: [...DPOP_ALGORITHMS],
      requestObjectSigningAlgValues: ['ES256', 'RS256', 'PS256', 'EdDSA'],
    },
    clientAuthMethods: ['client_secret_basic', 'client_secret_post', 'private_key_jwt', 'none'],
    // private_key_jwt assertions: the issuer as their only audience, and a lifetime of minutes
    assertJwtClientAuthClaimsAndHeader: clientAssertionRules(config.issuer, now),
    extraClientMetadata: { properties: Object.values(EXTRA_CLIENT_PROPERTIES) },
    cookies: {
      keys: deps.cookieSigner,
      names: {
        session: https ? '__Host-portcullis.session' : 'portcullis.session',
        interaction: 'portcullis.interaction',
        resume: 'portcullis.resume',
      },
      // signed with `keys` (Keygrip's format, cookie-signer.ts); Secure is added automatically on https
      long: { httpOnly: true, sameSite: 'lax' },
      short: { httpOnly: true, sameSite: 'lax' },
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      // A client introspects its own tokens, and access tokens for the APIs that name it.
      introspection: {
        enabled: true,
        allowedPolicy: async (_ctx, client, token) =>
          deps.introspection(client.clientId, {
            clientId: token.clientId,
            kind: providerTokenKind(token.kind),
            audience: (token as { aud?: unknown }).aud,
          }),
      },
      // DPoP (RFC 9449) stays on: a client sending a proof at the token endpoint gets a bound token;
      // `dpop_bound_access_tokens` (client-metadata.ts) makes a client unable to get any other.
      dPoP: { enabled: true },
      revocation: { enabled: true, allowedPolicy: async (ctx, client, token) => token.clientId === client.clientId },
      userinfo: { enabled: true },
      backchannelLogout: { enabled: true },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource: async (ctx, form) => deps.pages.logout(ctx, form),
        postLogoutSuccessSource: async (ctx) => deps.pages.loggedOut(ctx),
      },
      resourceIndicators: {
        enabled: true,
        defaultResource: resources.defaultResource,
        getResourceServerInfo: resources.getResourceServerInfo,
        useGrantedResource: async () => true,
      },
    },
    extraTokenClaims: async (ctx, token) => {
      if (!('grantId' in token) || !token.grantId) return undefined; // client credentials: no grant, no user
      // gid lets introspection tie a JWT access token back to its grant (revoked grant -> inactive).
      // acr / amr / auth_time (RFC 9068 §2.2.1) tell a resource server how the user signed in (the
      // admin API requires the MFA acr); they come from the code or refresh token being redeemed.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- typed as always there; not so on every oidc-provider path
      const source = ctx?.oidc?.entities.AuthorizationCode ?? ctx?.oidc?.entities.RefreshToken;
      return {
        gid: token.grantId,
        ...(source?.acr ? { acr: source.acr } : {}),
        ...(source?.amr?.length ? { amr: source.amr } : {}),
        ...(typeof source?.authTime === 'number' ? { auth_time: source.authTime } : {}),
      };
    },
    loadExistingGrant: (ctx) => ensureFirstPartyGrant(ctx, resources.permittedScopes),
    // Public clients get a new refresh token on every use; reuse of a rotated one revokes the grant.
    rotateRefreshToken: (ctx) => ctx.oidc.client?.clientAuthMethod === 'none',
    issueRefreshToken: async (_ctx, client, code) => client.grantTypeAllowed('refresh_token') && code.scopes.has('offline_access'),
    ttl: {
      // An API's own lifetime (its --token-ttl, handed over by getResourceServerInfo) before the
      // server's ACCESS_TOKEN_TTL: a number here would override the API's choice.
      AccessToken: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.accessTokenTtl,
      ClientCredentials: (_ctx, token) => token.resourceServer?.accessTokenTTL ?? config.accessTokenTtl,
      AuthorizationCode: 60,
      // A client may set its own ID token lifetime; refresh tokens may be held shorter than
      // REFRESH_TOKEN_TTL, never longer (the grant they hang on lives that long).
      IdToken: (_ctx, _token, client) => clientTtl(client, EXTRA_CLIENT_PROPERTIES.idTokenTtl) ?? DEFAULT_ID_TOKEN_TTL,
      Interaction: 3600,
      Session: config.sessionTtl,
      Grant: config.refreshTokenTtl,
      RefreshToken: (_ctx, _token, client) =>
        Math.min(clientTtl(client, EXTRA_CLIENT_PROPERTIES.refreshTokenTtl) ?? config.refreshTokenTtl, config.refreshTokenTtl),
      BackchannelAuthenticationRequest: 600,
      DeviceCode: 600,
    },
    interactions: {
      url: (_ctx, interaction) => `/interaction/${interaction.uid}`,
      policy: interactionPolicyWithSecondFactor(deps.needsSecondFactor),
    },
    acrValues: [...ACR_VALUES],
    // oidc-provider renders HTML for any caller whose Accept prefers it; only its pages do here, its
    // JSON endpoints keep their RFC error object whatever Accept says (provider-routes.ts: which is which)
    clientBasedCORS: clientBasedCors,
    renderError: async (ctx, out) => {
      if (isPageRoute(ctx.oidc.route)) deps.pages.error(ctx, out);
      else ctx.body = out;
    },
    allowOmittingSingleRegisteredRedirectUri: false,
    // jwks_uri and backchannel_logout_uri: no loopback, private or link-local address, checked when
    // fetched, before connecting (outbound-requests.ts).
    fetch: createOutboundFetch({ allowPrivate: config.allowPrivateOutbound }) as NonNullable<Configuration['fetch']>,
    // ID_TOKEN_CLAIMS=scopes: the granted scopes' claims go into the ID token too; `minimal` keeps
    // them at userinfo (OpenID Connect Core §5.4's default when an access token is issued).
    conformIdTokenClaims: config.idTokenClaims === 'minimal',
  });

  // Client secrets are stored as keyed hashes (the `client_secret` oidc-provider sees is that hash):
  // compare by hashing what the client presented. During a rotation the secret it replaced is
  // accepted too, until its expiry on this server's clock.
  const verifyClientSecret = createClientSecretVerifier(deps.clientSecretKey);
  provider.Client.prototype.compareClientSecret = function compareClientSecret(this: { clientSecret?: string }, presented: string) {
    if (typeof this.clientSecret !== 'string' || typeof presented !== 'string') return Promise.resolve(false);
    const previous = clientProperty(this, EXTRA_CLIENT_PROPERTIES.previousSecretHash);
    const previousExpiresAt = clientProperty(this, EXTRA_CLIENT_PROPERTIES.previousSecretExpiresAt);
    const previousActive = typeof previous === 'string' && typeof previousExpiresAt === 'number' && now().getTime() < previousExpiresAt;
    return Promise.resolve(verifyClientSecret(presented, previousActive ? [this.clientSecret, previous] : [this.clientSecret]));
  };

  // oidc-provider builds a Client from adapter metadata and caches it under a hash of the JSON it
  // re-computes on every lookup. Our metadata object is stable while the client is unchanged (the
  // registry cache replaces it on every change), so the built Client is cached on that object
  // instead: the library still validates each new version, and the token path skips the hashing.
  const findClient = provider.Client.find.bind(provider.Client);
  const builtClients = new WeakMap<object, Awaited<ReturnType<typeof findClient>>>();
  provider.Client.find = async (clientId: string) => {
    const metadata = typeof clientId === 'string' && clientId ? await guardStore(() => deps.findClientMetadata(clientId)) : undefined;
    if (!metadata) return findClient(clientId);
    let client = builtClients.get(metadata);
    if (!client) {
      client = await findClient(clientId);
      if (client) builtClients.set(metadata, client);
    }
    return client;
  };

  // The library's replay check reads, then writes: two copies of a DPoP proof (or client assertion)
  // at two processes at once would both pass. Ours is one atomic write in the shared store.
  const replay = deps.jwtReplay;
  provider.ReplayDetection.unique = async (iss: string, jti: string, exp: number) =>
    guardStore(() => replay.firstUse(`provider:${iss}`, jti, new Date(exp * 1000)));

  // Registered first, so it sees the answer after every other provider middleware wrote it.
  provider.use(pragmaNoCache());

  // The provider's middleware runs on the app's context (app.ts), whose origin is pinned to ISSUER
  // (http/public-origin.ts) and whose ctx.ip honours TRUST_PROXY hops; its own Koa settings are
  // kept the same for anything that would run it standalone.
  provider.proxy = config.trustProxyHops > 0;
  provider.maxIpsCount = config.trustProxyHops;
  return provider;
}
