// clients.rotate-secret: a new client secret (returned once); the one it replaces keeps working for
// a while (secret-rotation.ts).
import { z } from 'zod';
import { generateClientSecret, hashClientSecret } from '../../security/client-secrets.ts';
import { findClient, rotateClientSecret as storeRotatedSecret } from '../../storage/clients.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { date, integer, text } from '../operation/cli-binding.ts';
import { keyValues } from '../operation/cli-output.ts';
import { adminChange, defineOperation } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { clientIdFlag, clientIdTarget } from './client-flags.ts';
import { clientIdField } from './client-input.ts';
import { clientTag, rotatedClientSecretAnswer, STORE_SECRET_WARNING, toClientView } from './client-view.ts';
import { clock, DEFAULT_PREVIOUS_SECRET_TTL, isActive, lockClientWithSecret, MAX_PREVIOUS_SECRET_TTL } from './secret-rotation.ts';

const rotateInput = z.strictObject({
  clientId: clientIdField,
  /** Seconds the replaced secret keeps working; 0 ends it at once. */
  previousSecretTtl: z
    .number({ error: `must be a whole number of seconds between 0 and ${MAX_PREVIOUS_SECRET_TTL}` })
    .int(`must be a whole number of seconds between 0 and ${MAX_PREVIOUS_SECRET_TTL}`)
    .min(0, 'must be at least 0 (0 ends the previous secret at once)')
    .max(MAX_PREVIOUS_SECRET_TTL, `must be at most ${MAX_PREVIOUS_SECRET_TTL} seconds (30 days)`)
    .default(DEFAULT_PREVIOUS_SECRET_TTL),
});

export const rotateClientSecret = defineOperation({
  name: 'clients.rotate-secret',
  summary: 'issue a new client secret (returned once); the old one keeps working for previousSecretTtl seconds',
  input: rotateInput,
  output: rotatedClientSecretAnswer,
  http: {
    method: 'POST',
    path: '/clients/{clientId}/secret/rotate',
    scopes: [ADMIN_SCOPES.write],
    body: 'optional-json',
    status: 200,
    etag: clientTag,
    summary:
      'Issue a new client secret, returned in this answer only; the replaced one keeps working for previousSecretTtl seconds (default 86400, 0 ends it at once). An older previous secret still active is dropped: never more than two. 409 for a client without a secret (public, private_key_jwt)',
    errors: [404, 409, ...BODY_ERRORS],
  },
  cli: {
    command: 'clients rotate-secret',
    summary: 'issue a new client secret, shown once; the old one keeps working for a while',
    target: clientIdTarget,
    flags: {
      'client-id': clientIdFlag,
      'previous-secret-ttl': {
        type: 'string',
        value: 'seconds',
        field: 'previousSecretTtl',
        help: `how long the old secret keeps working, 0 to 2592000 (default ${DEFAULT_PREVIOUS_SECRET_TTL}; 0 ends it at once). An older previous secret still active is dropped`,
        parse: (value) => integer(text(value)),
      },
    },
    examples: ['portcullis clients rotate-secret <client-id> --previous-secret-ttl 3600'],
    print(client, output) {
      output.out(`Rotated the secret of client "${client.name}"`);
      for (const line of keyValues([
        ['client_id', client.clientId],
        ['client_secret', client.clientSecret],
        ['previous secret', client.previousSecretExpiresAt ? `works until ${date(client.previousSecretExpiresAt)}` : 'ended'],
      ])) {
        output.out(`  ${line}`);
      }
      output.err(STORE_SECRET_WARNING);
    },
  },
  async run(ctx, input): Promise<z.output<typeof rotatedClientSecretAnswer>> {
    const clientSecret = generateClientSecret();
    const view = await adminChange(ctx, async (tx) => {
      const current = await lockClientWithSecret(ctx, tx, input.clientId, 'to rotate');
      const previousExpiresAt = input.previousSecretTtl === 0 ? null : new Date(clock(ctx).getTime() + input.previousSecretTtl * 1000);
      await storeRotatedSecret(tx, input.clientId, hashClientSecret(ctx.keys.clientSecretKey, clientSecret), previousExpiresAt);
      const result = toClientView((await findClient(tx, input.clientId))!);
      const droppedOlder = current.previousSecretHash !== null && isActive(ctx, current.previousSecretExpiresAt);
      return {
        result,
        event: {
          type: 'client.secret_rotated',
          target: { type: 'client', id: input.clientId },
          details: { previousExpiresAt: result.previousSecretExpiresAt, droppedOlder },
        },
      };
    });
    return { ...view, clientSecret };
  },
});
