// Runs an admin operation as the CLI's operator would on the server's machine: the trusted root,
// holding every admin scope (src/admin/operation/authority.ts).
import { runOperation } from '../../src/admin/registry.ts';
import { EVERY_ADMIN_SCOPE } from '../../src/admin/operation/authority.ts';
import { cliActor } from '../../src/admin/operation/define.ts';
import type { TestServer } from './server.ts';

export const runAsOperator = (server: TestServer, name: string, input: unknown): Promise<unknown> =>
  runOperation(
    {
      db: server.db,
      keys: server.portcullis.keys,
      config: server.config,
      audit: server.portcullis.audit,
      actor: cliActor('operator'),
      scopes: EVERY_ADMIN_SCOPE,
    },
    name,
    input,
  );
