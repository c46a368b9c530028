// resources.create | list | show | delete
import { z } from 'zod';
import {
  deleteResourceServer,
  findResourceServer,
  insertResourceServer,
  pageResourceServers,
  type ResourceServer,
} from '../../storage/resource-servers.ts';
import { resourceCreateInput } from '../resource-input.ts';
import { ADMIN_AUDIENCE } from '../api/admin-scopes.ts';
import { conflict, defineOperation, notFound, sqlState, recordAdminChange } from './define.ts';
import { decodeCursor, pageInput, toPage, type Page } from './pagination.ts';

const identifierInput = z.strictObject({
  identifier: z.string().min(1, 'must not be empty').max(2048, 'must be at most 2048 characters'),
});

export const createResource = defineOperation({
  name: 'resources.create',
  summary: 'register a resource server (an API) and its scopes',
  input: resourceCreateInput,
  async run(ctx, input): Promise<ResourceServer> {
    const exists = () => conflict('identifier', `a resource server "${input.identifier}" already exists`);
    if (await findResourceServer(ctx.db, input.identifier)) throw exists();
    try {
      const created = await insertResourceServer(ctx.db, {
        identifier: input.identifier,
        name: input.name ?? input.identifier,
        scopes: input.scopes,
        tokenTtl: input.tokenTtl,
      });
      await recordAdminChange(ctx, 'resource.created', { type: 'resource', id: input.identifier }, { scopes: input.scopes.map((scope) => scope.name), tokenTtl: input.tokenTtl });
      return created;
    } catch (error) {
      if (sqlState(error) === '23505') throw exists();
      throw error;
    }
  },
});

export const listResources = defineOperation({
  name: 'resources.list',
  summary: 'list the resource servers, by identifier, a page at a time',
  input: z.strictObject(pageInput),
  async run(ctx, input): Promise<Page<ResourceServer>> {
    const rows = await pageResourceServers(ctx.db, { after: decodeCursor(input.cursor, 1)?.[0], limit: input.limit + 1 });
    return toPage(rows, input.limit, (server) => [server.identifier], (server) => server);
  },
});

export const showResource = defineOperation({
  name: 'resources.show',
  summary: 'show one resource server and its scopes',
  input: identifierInput,
  async run(ctx, input): Promise<ResourceServer> {
    const server = await findResourceServer(ctx.db, input.identifier);
    if (!server) throw notFound('identifier', `no resource server "${input.identifier}"`);
    return server;
  },
});

export const deleteResource = defineOperation({
  name: 'resources.delete',
  summary: 'delete a resource server; clients lose their permissions on it',
  input: identifierInput,
  async run(ctx, input): Promise<{ identifier: string; deleted: true }> {
    // Deleting it would take the admin API's own tokens away (and with them the way to undo it).
    if (input.identifier === ADMIN_AUDIENCE) throw conflict('identifier', `${ADMIN_AUDIENCE} is the admin API itself and cannot be deleted`);
    if (!(await deleteResourceServer(ctx.db, input.identifier))) throw notFound('identifier', `no resource server "${input.identifier}"`);
    await recordAdminChange(ctx, 'resource.deleted', { type: 'resource', id: input.identifier });
    return { identifier: input.identifier, deleted: true };
  },
});

export const resourceOperations = [createResource, listResources, showResource, deleteResource];
