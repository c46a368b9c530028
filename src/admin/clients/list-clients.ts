// clients.list: the registered clients, by name, a page at a time.
import { z } from 'zod';
import { listClients as pageClients } from '../../storage/clients.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { allPages, none } from '../operation/cli-binding.ts';
import { table } from '../operation/cli-output.ts';
import { LISTING } from '../operation/http-binding.ts';
import { defineOperation } from '../operation/define.ts';
import { decodeCursor, pageInput, toPage } from '../operation/pagination.ts';
import { clientPage, toClientView, type ClientView } from './client-view.ts';

export const listClients = defineOperation({
  name: 'clients.list',
  summary: 'list the registered clients, by name, a page at a time',
  input: z.strictObject(pageInput),
  output: clientPage,
  http: {
    ...LISTING,
    path: '/clients',
    summary: 'List the clients, a page at a time (limit, cursor)',
    scopes: [ADMIN_SCOPES.read],
    errors: [],
  },
  cli: {
    command: 'clients list',
    summary: 'list clients',
    flags: {},
    run: allPages((items, output) => {
      const clients = items as ClientView[];
      if (clients.length === 0) {
        none(output, 'clients');
        return;
      }
      const rows = clients.map((client) => [
        client.clientId,
        client.name,
        client.authMethod,
        client.grantTypes.join(','),
        Object.keys(client.resources).join(',') || '-',
      ]);
      for (const line of table(['client id', 'name', 'auth method', 'grant types', 'resources'], rows)) output.out(line);
    }),
  },
  async run(ctx, input): Promise<z.output<typeof clientPage>> {
    const after = decodeCursor(input.cursor, 2) as [string, string] | undefined;
    const rows = await pageClients(ctx.db, { after, limit: input.limit + 1 });
    return toPage(rows, input.limit, (client) => [client.name, client.clientId], toClientView);
  },
});
