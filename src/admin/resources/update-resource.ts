// resources.update: PATCH of a resource server's registry entry, token lifetime and scopes. One
// transaction: lock the row, check If-Match, write, announce the change (every process drops its
// cached copy), answer the new view.
//
// A scope taken out of the list is taken away from every client allowed it too, in the same
// transaction, and each of those clients is announced changed: every process stops granting it at
// once, and a scope of the same name defined again later does not silently return to them. (The
// alternative, refusing while clients hold the scope, would leave an admin who is withdrawing a
// permission, the secure direction, to edit every client first; the audit event names the clients
// that lost it instead.) Tokens already issued with the scope keep it until they expire.
import { isDeepStrictEqual } from 'node:util';
import {
  findResourceServer,
  findResourceServerForUpdate,
  replaceIntrospectingClients,
  replaceResourceScopes,
  revokeScopesFromClients,
  updateResourceServerSettings,
  type ResourceScope,
  type ResourceServerRecord,
  type ResourceServerSettings,
  type RevokedClientScopes,
} from '../../storage/resource-servers.ts';
import { ADMIN_AUDIENCE } from '../operation/admin-scopes.ts';
import { resourceUpdateInput, reviewBeforeLiveProblem, type ResourceUpdateInput } from './resource-input.ts';
import { assertHolds, EVERY_ADMIN_SCOPE } from '../operation/authority.ts';
import { adminChange, conflict, defineOperation, invalidInput, notFound } from '../operation/define.ts';
import { assertIfMatch } from '../operation/entity-tags.ts';
import { assertIntrospectingClientsExist } from './introspecting-clients.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { listOrNone, numberOrDefault, text } from '../operation/cli-binding.ts';
import { IF_MATCH, UPDATE_ERRORS } from '../operation/http-binding.ts';
import { identifierFlag, registryFlags, resourceTarget, scopeFlag } from './resource-flags.ts';
import {
  printResourceServer,
  resourceServerAnswer,
  resourceServerTag,
  toResourceView,
  viewerOf,
  type ResourceServerView,
} from './resource-view.ts';

/** The fields a PATCH may change, in view order; `resource.updated` names those that changed. */
export const UPDATABLE_RESOURCE_FIELDS = [
  'name',
  'description',
  'owner',
  'purpose',
  'classification',
  'liveDate',
  'nextReviewDate',
  'scopes',
  'tokenTtl',
  'tokenAlg',
  'introspectingClients',
] as const satisfies readonly (keyof ResourceServerView)[];

export interface ResourceUpdatePlan {
  settings: ResourceServerSettings;
  /** The new scope list, when it differs from the current one. */
  scopes: ResourceScope[] | undefined;
  /** Scopes the API no longer defines (clients lose them). */
  removedScopes: string[];
  /** The new list of introspecting clients, when it differs from the current one. */
  introspectingClients: string[] | undefined;
  /** The fields that differ from the current ones; empty: nothing to write. */
  changed: string[];
}

const byName = (scopes: readonly ResourceScope[]) => [...scopes].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

/** Pure: what applying `patch` to `current` writes, or the refusal. */
export function planResourceUpdate(
  current: ResourceServerRecord,
  patch: Omit<ResourceUpdateInput, 'identifier' | 'ifMatch'>,
): ResourceUpdatePlan {
  const settings: ResourceServerSettings = {
    name: patch.name ?? current.name,
    description: patch.description ?? current.description,
    owner: patch.owner ?? current.owner,
    purpose: patch.purpose ?? current.purpose,
    classification: patch.classification ?? current.classification,
    liveDate: patch.liveDate === undefined ? current.liveDate : patch.liveDate,
    nextReviewDate: patch.nextReviewDate ?? current.nextReviewDate,
    tokenTtl: patch.tokenTtl === undefined ? current.tokenTtl : patch.tokenTtl,
    tokenAlg: patch.tokenAlg ?? current.tokenAlg,
  };
  const reviewProblem = reviewBeforeLiveProblem(settings.liveDate, settings.nextReviewDate);
  if (reviewProblem) {
    // Name the field the admin sent: the one that made the dates disagree.
    if (patch.nextReviewDate !== undefined) throw invalidInput('nextReviewDate', reviewProblem);
    throw invalidInput('liveDate', `must not be after the next review date (${settings.nextReviewDate}); change nextReviewDate with it`);
  }

  const scopes = patch.scopes === undefined ? current.scopes : byName(patch.scopes);
  const scopesChanged = !isDeepStrictEqual(byName(current.scopes), scopes);
  // The admin API's scopes are what its routes check: changing them would lock admins out or
  // leave scopes that grant nothing.
  if (scopesChanged && current.identifier === ADMIN_AUDIENCE) {
    throw conflict('scopes', `the scopes of ${ADMIN_AUDIENCE} (the admin API itself) are built in and cannot be changed`);
  }
  const kept = new Set(scopes.map((scope) => scope.name));
  const introspectingClients = patch.introspectingClients ?? current.introspectingClients;
  const after: Record<string, unknown> = { ...settings, scopes, introspectingClients };
  const before: Record<string, unknown> = { ...current, scopes: byName(current.scopes) };
  return {
    settings,
    scopes: scopesChanged ? scopes : undefined,
    introspectingClients: isDeepStrictEqual(introspectingClients, current.introspectingClients) ? undefined : introspectingClients,
    removedScopes: current.scopes.map((scope) => scope.name).filter((name) => !kept.has(name)),
    changed: UPDATABLE_RESOURCE_FIELDS.filter((field) => !isDeepStrictEqual(before[field], after[field])),
  };
}

export const updateResource = defineOperation({
  name: 'resources.update',
  summary:
    'change a resource server (any subset of its registry entry, token lifetime and scopes); with ifMatch, only if unchanged since read',
  input: resourceUpdateInput,
  output: resourceServerAnswer,
  http: {
    method: 'PATCH',
    path: '/resources/{identifier}',
    scopes: [ADMIN_SCOPES.write],
    body: 'json',
    headers: [IF_MATCH],
    status: 200,
    etag: resourceServerTag,
    summary:
      "Change any subset of a resource server's registry entry, token lifetime (null: the server default), scopes (the whole new list) and introspecting clients (the whole new list). A scope left out is taken from every client allowed it, at once. The admin API's own scopes cannot be changed (409)",
    errors: [...UPDATE_ERRORS, 409],
  },
  cli: {
    command: 'resources update',
    summary: 'change a resource server: only the fields given; --scope given replaces the whole list (clients lose scopes left out)',
    target: resourceTarget,
    flags: {
      identifier: identifierFlag,
      ...registryFlags,
      'live-date': {
        ...registryFlags['live-date'],
        help: 'when the API went (or goes) live; "none": not recorded',
        parse: (value) => (text(value) === 'none' ? null : value),
      },
      scope: {
        ...registryFlags.scope,
        help: 'a scope the API defines (repeatable): the whole new list, descriptions included; "none" removes every scope',
        parse: (value) => listOrNone(value)?.map(scopeFlag),
      },
      'token-ttl': {
        ...registryFlags['token-ttl'],
        help: 'access-token lifetime, 30..86400; "default": ACCESS_TOKEN_TTL',
        parse: numberOrDefault,
      },
      'introspecting-client': {
        ...registryFlags['introspecting-client'],
        help: 'a client that may introspect the API\'s access tokens (repeatable): the whole new list; "none" removes every one',
        parse: listOrNone,
      },
      'if-match': {
        type: 'string',
        value: 'etag',
        help: 'change only if the resource server is unchanged since this ETag was read (resources show, or the admin API)',
        field: 'ifMatch',
      },
    },
    examples: [
      'portcullis resources update https://api.example.com --owner "Platform team <platform@example.com>" --classification restricted',
      'portcullis resources update https://api.example.com --scope "read=Read the things" --token-ttl default --if-match \'"Zx8…"\'',
    ],
    print(server, output) {
      output.out('Updated resource server');
      printResourceServer(server, output);
    },
  },
  async run(ctx, input): Promise<ResourceServerView> {
    const viewer = viewerOf(ctx);
    const { identifier, ifMatch, ...patch } = input;
    return adminChange(ctx, async (tx) => {
      const current = await findResourceServerForUpdate(tx, identifier);
      if (!current) throw notFound('identifier', `no resource server "${identifier}"`);
      const view = toResourceView(current, viewer);
      assertIfMatch(ifMatch, view);
      const plan = planResourceUpdate(current, patch);
      // Nothing differs: nothing written, no event, the same ETag.
      if (plan.changed.length === 0) return { result: view };
      // The admin API's own entry decides who reads admin tokens and how long they live: changing it
      // hands out power over every admin scope, so it needs them all.
      if (current.identifier === ADMIN_AUDIENCE)
        assertHolds(ctx.scopes, EVERY_ADMIN_SCOPE, `changing ${ADMIN_AUDIENCE} (the admin API itself)`);
      if (plan.introspectingClients) {
        await assertIntrospectingClientsExist(tx, plan.introspectingClients);
        await replaceIntrospectingClients(tx, identifier, plan.introspectingClients);
      }
      await updateResourceServerSettings(tx, identifier, plan.settings);
      let revoked: RevokedClientScopes[] = [];
      if (plan.scopes) {
        await replaceResourceScopes(tx, identifier, plan.scopes);
        revoked = await revokeScopesFromClients(tx, identifier, plan.removedScopes);
      }
      const details = {
        changed: plan.changed,
        ...(plan.removedScopes.length > 0 ? { removedScopes: plan.removedScopes } : {}),
        ...(revoked.length > 0 ? { clientsLosingScopes: revoked } : {}),
      };
      return {
        result: toResourceView((await findResourceServer(tx, identifier))!, viewer),
        event: { type: 'resource.updated', target: { type: 'resource', id: identifier }, details },
      };
    });
  },
});
