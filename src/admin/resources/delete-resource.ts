// resources.delete: a resource server goes, and clients lose their permissions on it.
import { z } from 'zod';
import { deleteResourceServer } from '../../storage/resource-servers.ts';
import { ADMIN_AUDIENCE, ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer } from '../operation/answer-schemas.ts';
import { adminChange, conflict, defineOperation, notFound } from '../operation/define.ts';
import { identifierFlag, resourceTarget } from './resource-flags.ts';
import { identifierInput } from './resource-input.ts';

const deletedResourceServer = answer('DeletedResourceServer', z.object({ identifier: z.string(), deleted: z.literal(true) }));

export const deleteResource = defineOperation({
  name: 'resources.delete',
  summary: 'delete a resource server; clients lose their permissions on it',
  input: identifierInput,
  output: deletedResourceServer,
  http: {
    method: 'DELETE',
    path: '/resources/{identifier}',
    summary: 'Delete a resource server; clients lose their permissions on it (the admin API itself cannot be deleted)',
    scopes: [ADMIN_SCOPES.write],
    body: 'none',
    status: 200,
    errors: [404, 409],
  },
  cli: {
    command: 'resources delete',
    summary: 'delete a resource server; clients lose their permissions on it',
    target: resourceTarget,
    flags: { identifier: identifierFlag },
    print: (result, output) => output.out(`Deleted resource server ${result.identifier}`),
  },
  async run(ctx, input): Promise<z.output<typeof deletedResourceServer>> {
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
