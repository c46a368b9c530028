// resources.create | list | show | delete (update and review: resources-update.ts, resources-review.ts)
import { z } from 'zod';
import { deleteResourceServer, findResourceServer, insertResourceServer, pageResourceServers } from '../../storage/resource-servers.ts';
import { addYears, identifierLookup, overdueFilter, resourceCreateInput } from './resource-input.ts';
import { ADMIN_AUDIENCE } from '../operation/admin-scopes.ts';
import { adminChange, conflict, defineOperation, notFound, sqlState } from '../operation/define.ts';
import { decodeCursor, pageInput, toPage, type Page } from '../operation/pagination.ts';
import { assertIntrospectingClientsExist, introspectingClientGone } from './introspecting-clients.ts';
import { reviewResourceOperation } from './review-resource.ts';
import { updateResourceOperation } from './update-resource.ts';
import { today, toResourceView, type ResourceServerView } from './resource-view.ts';

export type { ResourceServerView } from './resource-view.ts';

const identifierInput = z.strictObject({ identifier: identifierLookup });

export const createResource = defineOperation({
  name: 'resources.create',
  summary: 'register a resource server (an API): its scopes, owner, purpose, classification, live and review dates',
  input: resourceCreateInput,
  async run(ctx, input): Promise<ResourceServerView> {
    const exists = () => conflict('identifier', `a resource server "${input.identifier}" already exists`);
    if (await findResourceServer(ctx.db, input.identifier)) throw exists();
    await assertIntrospectingClientsExist(ctx.db, input.introspectingClients);
    const day = today(ctx);
    // Every API comes up for review: by default a year after it is registered or goes live.
    const nextReviewDate = input.nextReviewDate ?? addYears(input.liveDate && input.liveDate > day ? input.liveDate : day, 1);
    try {
      const created = await adminChange(ctx, async (tx) => {
        const result = await insertResourceServer(tx, {
          identifier: input.identifier,
          name: input.name ?? input.identifier,
          description: input.description,
          owner: input.owner ?? null,
          purpose: input.purpose,
          classification: input.classification ?? null,
          liveDate: input.liveDate ?? null,
          nextReviewDate,
          scopes: input.scopes,
          tokenTtl: input.tokenTtl,
          tokenAlg: input.tokenAlg,
          introspectingClients: input.introspectingClients,
        });
        const details = {
          scopes: input.scopes.map((scope) => scope.name),
          tokenTtl: input.tokenTtl,
          tokenAlg: result.tokenAlg,
          owner: result.owner,
          classification: result.classification,
          liveDate: result.liveDate,
          nextReviewDate: result.nextReviewDate,
          ...(result.introspectingClients.length > 0 ? { introspectingClients: result.introspectingClients } : {}),
        };
        return { result, event: { type: 'resource.created', target: { type: 'resource', id: input.identifier }, details } };
      });
      return toResourceView(created, day);
    } catch (error) {
      if (sqlState(error) === '23505') throw exists();
      if (sqlState(error) === '23503') throw introspectingClientGone();
      throw error;
    }
  },
});

export const listResources = defineOperation({
  name: 'resources.list',
  summary: 'list the resource servers, by identifier, a page at a time; overdue: only those whose review is (not) overdue',
  input: z.strictObject({ ...pageInput, overdue: overdueFilter.optional() }),
  async run(ctx, input): Promise<Page<ResourceServerView>> {
    const day = today(ctx);
    const rows = await pageResourceServers(ctx.db, {
      after: decodeCursor(input.cursor, 1)?.[0],
      limit: input.limit + 1,
      overdue: input.overdue === undefined ? undefined : { is: input.overdue, today: day },
    });
    return toPage(
      rows,
      input.limit,
      (server) => [server.identifier],
      (server) => toResourceView(server, day),
    );
  },
});

export const showResource = defineOperation({
  name: 'resources.show',
  summary: 'show one resource server: its registry entry and scopes',
  input: identifierInput,
  async run(ctx, input): Promise<ResourceServerView> {
    const server = await findResourceServer(ctx.db, input.identifier);
    if (!server) throw notFound('identifier', `no resource server "${input.identifier}"`);
    return toResourceView(server, today(ctx));
  },
});

export const deleteResource = defineOperation({
  name: 'resources.delete',
  summary: 'delete a resource server; clients lose their permissions on it',
  input: identifierInput,
  async run(ctx, input): Promise<{ identifier: string; deleted: true }> {
    // Deleting it would take the admin API's own tokens away (and with them the way to undo it).
    if (input.identifier === ADMIN_AUDIENCE)
      throw conflict('identifier', `${ADMIN_AUDIENCE} is the admin API itself and cannot be deleted`);
    return adminChange(ctx, async (tx) => {
      if (!(await deleteResourceServer(tx, input.identifier))) throw notFound('identifier', `no resource server "${input.identifier}"`);
      return {
        result: { identifier: input.identifier, deleted: true as const },
        event: { type: 'resource.deleted', target: { type: 'resource', id: input.identifier } },
      };
    });
  },
});

export const resourceOperations = [
  createResource,
  listResources,
  showResource,
  updateResourceOperation,
  reviewResourceOperation,
  deleteResource,
];
