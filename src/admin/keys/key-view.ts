// What an admin sees of the signing keys, declared once: the answer schemas (the OpenAPI components
// `SigningKey` and `SigningKeyList` come from them) and how the CLI prints them.
import { z } from 'zod';
import { answer, dateTime } from '../operation/answer-schemas.ts';
import { date } from '../operation/cli-binding.ts';
import { table, type Output } from '../operation/cli-output.ts';

export const signingKeyAnswer = answer(
  'SigningKey',
  z.object({
    kid: z.string(),
    alg: z.string(),
    state: z.enum(['next', 'current', 'retired']),
    createdAt: dateTime,
    activatedAt: dateTime.nullable(),
    retiredAt: dateTime.nullable(),
    removeAfter: dateTime.nullable(),
  }),
);

export type SigningKeyView = z.output<typeof signingKeyAnswer>;

export const signingKeyList = answer('SigningKeyList', z.array(signingKeyAnswer));

/** The CLI's table of signing keys. */
export function printKeys(keys: readonly SigningKeyView[], output: Output): void {
  if (keys.length === 0) {
    output.out('No signing keys yet (the server creates them when it starts).');
    return;
  }
  const rows = keys.map((key) => [key.kid, key.alg, key.state, date(key.createdAt), date(key.activatedAt), date(key.removeAfter)]);
  for (const line of table(['kid', 'alg', 'state', 'created', 'activated', 'published until'], rows)) output.out(line);
}
