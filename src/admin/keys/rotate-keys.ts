// keys.rotate: next becomes current, current is retired (still published) until its tokens expire.
import { z } from 'zod';
import { rotateSigningKeys } from '../../security/signing-keys.ts';
import type { Config } from '../../config.ts';
import { MAX_ID_TOKEN_TTL } from '../clients/client-input.ts';
import { MAX_TOKEN_TTL } from '../resources/resource-input.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { adminChange, defineOperation } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { printKeys, signingKeyList, type SigningKeyView } from './key-view.ts';

/** Margin for clock skew and tokens in flight. */
const RETIREMENT_MARGIN = 60;

/**
 * How long a retired key stays published: the longest lifetime any JWT it signed can have (ID
 * tokens: a client's own setting up to MAX_ID_TOKEN_TTL; access tokens: ACCESS_TOKEN_TTL or an
 * API's own up to MAX_TOKEN_TTL; refresh tokens are opaque, never signed). The ceilings, not today's
 * settings: a lifetime lowered after a token was signed does not shorten that token's life.
 */
export const retiredKeyRetention = (config: Pick<Config, 'accessTokenTtl'>): number =>
  Math.max(MAX_ID_TOKEN_TTL, MAX_TOKEN_TTL, config.accessTokenTtl) + RETIREMENT_MARGIN;

export const rotateKeys = defineOperation({
  name: 'keys.rotate',
  summary: 'rotate the signing keys: next becomes current, current is retired until its tokens expire',
  input: z.strictObject({}),
  output: signingKeyList,
  http: {
    method: 'POST',
    path: '/keys/rotate',
    summary: 'Rotate the signing keys: next becomes current, current is retired until its tokens expire',
    scopes: [ADMIN_SCOPES.write],
    body: 'none',
    status: 200,
    errors: [...BODY_ERRORS],
  },
  cli: {
    command: 'keys rotate',
    summary: 'rotate signing keys (next becomes current; current stays published until its tokens expire)',
    flags: {},
    print(keys, output) {
      output.out(
        `Rotated. Now signing with: ${keys
          .filter((key) => key.state === 'current')
          .map((key) => `${key.alg} ${key.kid}`)
          .join(', ')}`,
      );
      printKeys(keys, output);
    },
  },
  async run(ctx): Promise<SigningKeyView[]> {
    // A retired key stays published until every token it may have signed has expired.
    const retention = retiredKeyRetention(ctx.config);
    return adminChange(ctx, async (tx) => {
      const keys = await rotateSigningKeys(tx, ctx.keys.encryptionKey, retention, ctx.now?.());
      const current = keys.filter((key) => key.state === 'current').map((key) => key.kid);
      return {
        result: keys,
        event: { type: 'keys.rotated', target: { type: 'key', id: current.join(',') }, details: { current, retiredFor: retention } },
      };
    });
  },
});
