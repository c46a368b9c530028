// clients.update: PATCH over the create rules. The stored client and the patch are merged into
// what a create would take and planned by the same rules (planClient's), so an update can never
// leave a client that a create would refuse. One transaction: lock the row, check If-Match, write,
// announce the change (every process drops its cached copy), answer the new view.
import { isDeepStrictEqual } from 'node:util';
import { findClient, findClientForUpdate, updateClientSettings, type ClientSettings, type StoredClient } from '../../storage/clients.ts';
import { listResourceServersLocked, type ResourceServer } from '../../storage/resource-servers.ts';
import { DEFAULT_ID_TOKEN_TTL } from '../../oidc/client-metadata.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { adminScopesOf, assertHolds } from '../operation/authority.ts';
import { listOrNone, numberOrDefault, text, yesOrNo } from '../operation/cli-binding.ts';
import { adminChange, conflict, defineOperation, notFound, sqlState } from '../operation/define.ts';
import { assertIfMatch } from '../operation/entity-tags.ts';
import { IF_MATCH, UPDATE_ERRORS } from '../operation/http-binding.ts';
import { clientIdFlag, clientIdTarget, settingFlags } from './client-flags.ts';
import {
  clientUpdateInput,
  planClientSettings,
  planResources,
  PLANNED_METADATA_KEYS,
  SECRET_AUTH_METHODS,
  unique,
  type AuthMethod,
  type ClientLimits,
  type ClientUpdateInput,
  type GrantType,
} from './client-input.ts';
import { clientAnswer, clientTag, printClient, toClientView, type ClientView } from './client-view.ts';

/** View fields an admin changes (not the id or the times); `client.updated` names those that changed. */
const UPDATABLE_VIEW_FIELDS = [
  'name',
  'applicationType',
  'authMethod',
  'grantTypes',
  'redirectUris',
  'postLogoutRedirectUris',
  'backchannelLogoutUri',
  'jwksUri',
  'firstParty',
  'requireMfa',
  'requireDpop',
  'pkce',
  'resources',
  'rateLimitPerMinute',
  'idTokenAlg',
  'idTokenTtl',
  'refreshTokenTtl',
] as const satisfies readonly (keyof ClientView)[];

export interface ClientUpdatePlan {
  settings: ClientSettings;
  /** Whether the client's resources and scopes are replaced (only when the patch names them). */
  resourcesChanged: boolean;
  /** The view fields that differ from the current ones, in view order; empty: nothing to write. */
  changed: string[];
}

/**
 * A client's kind of credential is fixed at registration: a secret, a key set (private_key_jwt) or
 * none (public). Switching kinds would have to issue or destroy a secret, or turn a public app into
 * a confidential one, behind its users' backs: refused; register a new client instead. The two
 * secret methods differ only in where the client puts the same secret, so they may be swapped.
 */
function assertAuthMethodChange(from: string, to: AuthMethod | undefined): void {
  if (to === undefined || to === from) return;
  if (SECRET_AUTH_METHODS.has(from) && SECRET_AUTH_METHODS.has(to)) return;
  throw conflict(
    'authMethod',
    `cannot change from ${from} to ${to}: a client's kind of credential is fixed at registration (only client_secret_basic and client_secret_post, which use the same secret, can be swapped); register a new client instead`,
  );
}

/** The patch's value when it gives one (null included), else the current one. */
const patched = <T>(value: T | undefined, current: T): T => (value === undefined ? current : value);

/**
 * Pure: the settings after applying `patch` to `current`, checked as a create would check them.
 * `servers` are the registered resource servers (needed only when the patch names resources or scopes).
 */
export function planClientUpdate(
  current: StoredClient,
  patch: ClientUpdateInput,
  servers: readonly ResourceServer[],
  limits?: ClientLimits,
): ClientUpdatePlan {
  const before = toClientView(current);
  assertAuthMethodChange(before.authMethod, patch.authMethod);
  const backchannelLogoutUri = patched(patch.backchannelLogoutUri, before.backchannelLogoutUri);
  const jwksUri = patched(patch.jwksUri, before.jwksUri ?? undefined);
  const plan = planClientSettings(
    {
      name: patch.name ?? before.name,
      grantTypes: patch.grantTypes ?? (before.grantTypes as GrantType[]),
      redirectUris: patch.redirectUris ?? before.redirectUris,
      postLogoutRedirectUris: patch.postLogoutRedirectUris ?? before.postLogoutRedirectUris,
      backchannelLogoutUri: backchannelLogoutUri ?? undefined,
      authMethod: patch.authMethod ?? (before.authMethod as AuthMethod),
      jwksUri,
      firstParty: patch.firstParty ?? before.firstParty,
      requireMfa: patch.requireMfa ?? before.requireMfa,
      requireDpop: patch.requireDpop ?? before.requireDpop,
      pkce: patch.pkce ?? before.pkce,
      rateLimitPerMinute: patched(patch.rateLimitPerMinute, before.rateLimitPerMinute) ?? undefined,
      idTokenAlg: patch.idTokenAlg ?? before.idTokenAlg,
      idTokenTtl: patched(patch.idTokenTtl, before.idTokenTtl),
      refreshTokenTtl: patched(patch.refreshTokenTtl, before.refreshTokenTtl),
    },
    limits,
  );

  // Resources are re-planned only when named: re-planning untouched ones could widen them (a scope a
  // resource server defined since) or refuse an unrelated change (a scope it has since dropped).
  const resourcesChanged = patch.resources !== undefined || patch.scopes !== undefined;
  const resources = resourcesChanged
    ? planResources(
        unique(patch.resources ?? Object.keys(current.resources)),
        unique(patch.scopes ?? Object.values(current.resources).flat()),
        servers,
      )
    : current.resources;

  const kept = Object.fromEntries(Object.entries(current.metadata).filter(([key]) => !PLANNED_METADATA_KEYS.includes(key)));
  const settings: ClientSettings = {
    name: patch.name ?? before.name,
    metadata: { ...kept, ...plan.metadata },
    firstParty: patch.firstParty ?? before.firstParty,
    requireMfa: patch.requireMfa ?? before.requireMfa,
    resources,
    rateLimitPerMinute: plan.rateLimitPerMinute,
    idTokenTtl: plan.idTokenTtl,
    refreshTokenTtl: plan.refreshTokenTtl,
  };
  const after = toClientView({ ...current, ...settings });
  const changed = UPDATABLE_VIEW_FIELDS.filter((field) => !isDeepStrictEqual(before[field], after[field]));
  return { settings, resourcesChanged: resourcesChanged && changed.includes('resources'), changed };
}

export const updateClient = defineOperation({
  name: 'clients.update',
  summary: 'change a client (any subset of its settings); with ifMatch, only if unchanged since read',
  input: clientUpdateInput,
  output: clientAnswer,
  http: {
    method: 'PATCH',
    path: '/clients/{clientId}',
    scopes: [ADMIN_SCOPES.write],
    body: 'json',
    headers: [IF_MATCH],
    status: 200,
    etag: clientTag,
    summary:
      "Change any subset of a client's settings; null puts an optional one back to the server default. The result must pass the same checks as a registration. The authentication method can only be swapped between client_secret_basic and client_secret_post (409 otherwise)",
    errors: [...UPDATE_ERRORS, 409],
  },
  cli: {
    command: 'clients update',
    summary: 'change a client: only the settings given; lists given replace the current ones',
    target: clientIdTarget,
    flags: {
      'client-id': clientIdFlag,
      ...settingFlags,
      'redirect-uri': {
        ...settingFlags['redirect-uri'],
        help: `${settingFlags['redirect-uri'].help}; "none" empties the list`,
        parse: listOrNone,
      },
      'post-logout-redirect-uri': {
        ...settingFlags['post-logout-redirect-uri'],
        help: `${settingFlags['post-logout-redirect-uri'].help}; "none" empties the list`,
        parse: listOrNone,
      },
      'backchannel-logout-uri': {
        ...settingFlags['backchannel-logout-uri'],
        help: `${settingFlags['backchannel-logout-uri'].help}; "none" removes it`,
        parse: (value) => (text(value) === 'none' ? null : text(value)),
      },
      resource: {
        ...settingFlags.resource,
        help: `${settingFlags.resource.help}; "none" (with --scope none) removes every resource`,
        parse: listOrNone,
      },
      scope: { ...settingFlags.scope, help: `${settingFlags.scope.help}; "none" removes every scope`, parse: listOrNone },
      'auth-method': { ...settingFlags['auth-method'], help: 'client_secret_basic | client_secret_post (only these two can be swapped)' },
      'rate-limit': {
        ...settingFlags['rate-limit'],
        help: 'requests per minute to the token-family endpoints; "default": RATE_LIMIT_CLIENT_PER_MINUTE',
        parse: numberOrDefault,
      },
      'id-token-ttl': {
        ...settingFlags['id-token-ttl'],
        help: `ID token lifetime, 60 to 86400; "default": ${DEFAULT_ID_TOKEN_TTL}`,
        parse: numberOrDefault,
      },
      'refresh-token-ttl': {
        ...settingFlags['refresh-token-ttl'],
        help: 'refresh token lifetime, 60 up to REFRESH_TOKEN_TTL; "default": REFRESH_TOKEN_TTL',
        parse: numberOrDefault,
      },
      'first-party': {
        type: 'string',
        value: 'yes|no',
        help: 'a first-party app (no consent screen)',
        field: 'firstParty',
        parse: yesOrNo,
      },
      'require-mfa': {
        type: 'string',
        value: 'yes|no',
        help: 'its users must sign in with a second factor',
        field: 'requireMfa',
        parse: yesOrNo,
      },
      'require-dpop': {
        type: 'string',
        value: 'yes|no',
        help: 'its access tokens are always DPoP-bound (RFC 9449)',
        field: 'requireDpop',
        parse: yesOrNo,
      },
      'if-match': {
        type: 'string',
        value: 'etag',
        help: 'change only if the client is unchanged since this ETag was read (clients show, or the admin API)',
        field: 'ifMatch',
      },
    },
    examples: [
      'portcullis clients update <client-id> --redirect-uri https://app.example.com/cb --redirect-uri https://app.example.com/cb2',
      'portcullis clients update <client-id> --rate-limit default --refresh-token-ttl 86400 --if-match \'"Zx8…"\'',
    ],
    print(client, output) {
      output.out(`Updated client "${client.name}"`);
      printClient(client, output);
    },
  },
  async run(ctx, input): Promise<ClientView> {
    const limits = { maxRefreshTokenTtl: ctx.config.refreshTokenTtl };
    try {
      return await adminChange(ctx, async (tx) => {
        const current = await findClientForUpdate(tx, input.clientId);
        if (!current) throw notFound('clientId', `no client "${input.clientId}"`);
        const view = toClientView(current);
        assertIfMatch(input.ifMatch, view);
        const servers = input.resources !== undefined || input.scopes !== undefined ? await listResourceServersLocked(tx) : [];
        const plan = planClientUpdate(current, input, servers, limits);
        // Nothing differs: nothing written, no event, the same ETag.
        if (plan.changed.length === 0) return { result: view };
        // A client holding admin scopes is changed only by a caller holding them all (a new redirect
        // URI or key set would hand its scopes over), and so is any change of its admin scopes.
        assertHolds(
          ctx.scopes,
          [...adminScopesOf(current.resources), ...adminScopesOf(plan.settings.resources)],
          'changing a client that holds, or would hold, admin scopes',
        );
        await updateClientSettings(tx, input.clientId, plan.settings, { resourcesChanged: plan.resourcesChanged });
        const result = toClientView((await findClient(tx, input.clientId))!);
        return {
          result,
          event: {
            type: 'client.updated',
            target: { type: 'client', id: input.clientId },
            details: { changed: plan.changed, ...(plan.changed.includes('pkce') ? { pkce: result.pkce } : {}) },
          },
        };
      });
    } catch (error) {
      // A resource server deleted between the check and the write.
      if (sqlState(error) === '23503') throw conflict('resources', 'a named resource server was deleted meanwhile; retry');
      throw error;
    }
  },
});
