// keys.list: the signing keys (next, current, retired).
import { z } from 'zod';
import { listSigningKeys } from '../../security/signing-keys.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { defineOperation } from '../operation/define.ts';
import { printKeys, signingKeyList, type SigningKeyView } from './key-view.ts';

export const listKeys = defineOperation({
  name: 'keys.list',
  summary: 'list the signing keys (next, current, retired)',
  input: z.strictObject({}),
  output: signingKeyList,
  http: {
    method: 'GET',
    path: '/keys',
    summary: 'List the signing keys',
    scopes: [ADMIN_SCOPES.read],
    body: 'none',
    status: 200,
    errors: [],
  },
  cli: {
    command: 'keys list',
    summary: 'list signing keys',
    flags: {},
    print: printKeys,
  },
  run: (ctx): Promise<SigningKeyView[]> => listSigningKeys(ctx.db, ctx.now?.()),
});
