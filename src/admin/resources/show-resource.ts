// resources.show: one resource server, its registry entry and scopes.
import { findResourceServer } from '../../storage/resource-servers.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { defineOperation, notFound } from '../operation/define.ts';
import { identifierFlag, resourceTarget } from './resource-flags.ts';
import { identifierInput } from './resource-input.ts';
import {
  printResourceServer,
  resourceServerAnswer,
  resourceServerTag,
  toResourceView,
  viewerOf,
  type ResourceServerView,
} from './resource-view.ts';

export const showResource = defineOperation({
  name: 'resources.show',
  summary: 'show one resource server: its registry entry and scopes',
  input: identifierInput,
  output: resourceServerAnswer,
  http: {
    method: 'GET',
    path: '/resources/{identifier}',
    summary: 'Show a resource server; the identifier is URL-encoded in the path',
    scopes: [ADMIN_SCOPES.read],
    body: 'none',
    status: 200,
    etag: resourceServerTag,
    errors: [404],
  },
  cli: {
    command: 'resources show',
    summary: 'show a resource server: its registry entry and scopes',
    target: resourceTarget,
    flags: { identifier: identifierFlag },
    print: printResourceServer,
  },
  async run(ctx, input): Promise<ResourceServerView> {
    const server = await findResourceServer(ctx.db, input.identifier);
    if (!server) throw notFound('identifier', `no resource server "${input.identifier}"`);
    return toResourceView(server, viewerOf(ctx));
  },
});
