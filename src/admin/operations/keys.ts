// keys.list | rotate
import { z } from 'zod';
import { listSigningKeys, rotateSigningKeys, type SigningKeySummary } from '../../security/signing-keys.ts';
import { maxResourceTokenTtl } from '../../storage/resource-servers.ts';
import { adminChange, defineOperation } from './define.ts';

/** ID tokens live one hour (create-provider.ts `ttl.IdToken`). */
const ID_TOKEN_TTL = 3600;
/** Margin for clock skew and tokens in flight. */
const RETIREMENT_MARGIN = 60;

export const listKeys = defineOperation({
  name: 'keys.list',
  summary: 'list the signing keys (next, current, retired)',
  input: z.strictObject({}),
  run: (ctx): Promise<SigningKeySummary[]> => listSigningKeys(ctx.db),
});

export const rotateKeys = defineOperation({
  name: 'keys.rotate',
  summary: 'rotate the signing keys: next becomes current, current is retired until its tokens expire',
  input: z.strictObject({}),
  async run(ctx): Promise<SigningKeySummary[]> {
    // A retired key stays published until every token it may have signed has expired.
    const longest = Math.max(ctx.config.accessTokenTtl, (await maxResourceTokenTtl(ctx.db)) ?? 0, ID_TOKEN_TTL);
    return adminChange(ctx, async (tx) => {
      const keys = await rotateSigningKeys(tx, ctx.keys.encryptionKey, longest + RETIREMENT_MARGIN);
      const current = keys.filter((key) => key.state === 'current').map((key) => key.kid);
      return { result: keys, event: { type: 'keys.rotated', target: { type: 'key', id: current.join(',') }, details: { current, retiredFor: longest + RETIREMENT_MARGIN } } };
    });
  },
});

export const keyOperations = [listKeys, rotateKeys];
