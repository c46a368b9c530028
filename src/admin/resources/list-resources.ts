// resources.list: the registry, a page at a time; `overdue` picks those whose review is (not) overdue.
import { z } from 'zod';
import { pageResourceServers } from '../../storage/resource-servers.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { allPages } from '../operation/cli-binding.ts';
import { table } from '../operation/cli-output.ts';
import { LISTING } from '../operation/http-binding.ts';
import { defineOperation } from '../operation/define.ts';
import { decodeCursor, pageInput, toPage } from '../operation/pagination.ts';
import { none } from '../operation/cli-binding.ts';
import { overdueFilter } from './resource-input.ts';
import { resourceServerPage, toResourceView, viewerOf, type ResourceServerView } from './resource-view.ts';

export const listResources = defineOperation({
  name: 'resources.list',
  summary: 'list the resource servers, by identifier, a page at a time; overdue: only those whose review is (not) overdue',
  input: z.strictObject({ ...pageInput, overdue: overdueFilter.optional() }),
  output: resourceServerPage,
  http: {
    ...LISTING,
    path: '/resources',
    scopes: [ADMIN_SCOPES.read],
    errors: [],
    summary:
      'List the resource servers (APIs), a page at a time (limit, cursor); overdue=true lists only those whose review is overdue (false: the others)',
  },
  cli: {
    command: 'resources list',
    summary: 'list resource servers with their risk level; overdue reviews are marked OVERDUE',
    flags: { overdue: { type: 'boolean', help: 'only those whose review is overdue', field: 'overdue' } },
    run: (context) =>
      allPages((items, output) => {
        const servers = items as ResourceServerView[];
        if (servers.length === 0) {
          if ((context.input as { overdue?: boolean }).overdue) {
            output.out('No resource server is overdue for review.');
            return;
          }
          none(output, 'resource servers');
          return;
        }
        const rows = servers.map((server) => [
          server.identifier,
          server.name,
          server.scopes.map((scope) => scope.name).join(' ') || '-',
          server.tokenTtl === null ? 'default' : `${server.tokenTtl} s`,
          server.classification ?? '-',
          server.owner ?? '-',
          server.riskAssessment?.riskLevel ?? 'not assessed',
          server.nextReviewDate,
          server.reviewOverdue ? 'OVERDUE' : '',
        ]);
        const headers = ['identifier', 'name', 'scopes', 'token ttl', 'classification', 'owner', 'risk', 'next review', 'overdue'];
        for (const line of table(headers, rows)) output.out(line);
      })(context),
  },
  async run(ctx, input): Promise<z.output<typeof resourceServerPage>> {
    const viewer = viewerOf(ctx);
    const day = viewer.today;
    const rows = await pageResourceServers(ctx.db, {
      after: decodeCursor(input.cursor, 1)?.[0],
      limit: input.limit + 1,
      overdue: input.overdue === undefined ? undefined : { is: input.overdue, today: day },
    });
    return toPage(
      rows,
      input.limit,
      (server) => [server.identifier],
      (server) => toResourceView(server, viewer),
    );
  },
});
