// clients.show: one client (never its secret).
import { findClient } from '../../storage/clients.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { defineOperation, notFound } from '../operation/define.ts';
import { clientIdFlag, clientIdTarget } from './client-flags.ts';
import { clientIdInput } from './client-input.ts';
import { clientAnswer, clientTag, printClient, toClientView, type ClientView } from './client-view.ts';

export const showClient = defineOperation({
  name: 'clients.show',
  summary: 'show one client (never its secret)',
  input: clientIdInput,
  output: clientAnswer,
  http: {
    method: 'GET',
    path: '/clients/{clientId}',
    summary: 'Show a client (never its secret)',
    scopes: [ADMIN_SCOPES.read],
    body: 'none',
    status: 200,
    etag: clientTag,
    errors: [404],
  },
  cli: {
    command: 'clients show',
    summary: 'show a client (never its secret)',
    target: clientIdTarget,
    flags: { 'client-id': clientIdFlag },
    print: printClient,
  },
  async run(ctx, input): Promise<ClientView> {
    const client = await findClient(ctx.db, input.clientId);
    if (!client) throw notFound('clientId', `no client "${input.clientId}"`);
    return toClientView(client);
  },
});
