// `portcullis keys ...`
import type { SigningKeySummary } from '../../security/signing-keys.ts';
import { table, type Output } from '../operation/cli-output.ts';
import { date, type CommandSpec } from '../operation/cli-binding.ts';

function printKeys(keys: SigningKeySummary[], output: Output): void {
  if (keys.length === 0) {
    output.out('No signing keys yet (the server creates them when it starts).');
    return;
  }
  const rows = keys.map((key) => [key.kid, key.alg, key.state, date(key.createdAt), date(key.activatedAt), date(key.removeAfter)]);
  for (const line of table(['kid', 'alg', 'state', 'created', 'activated', 'published until'], rows)) output.out(line);
}

export const KEY_COMMANDS: readonly CommandSpec[] = [
  {
    command: 'keys list',
    operation: 'keys.list',
    summary: 'list signing keys',
    flags: {},
    input: () => ({}),
    print: (result, output) => printKeys(result as SigningKeySummary[], output),
  },
  {
    command: 'keys rotate',
    operation: 'keys.rotate',
    summary: 'rotate signing keys (next becomes current; current stays published until its tokens expire)',
    flags: {},
    input: () => ({}),
    print(result, output) {
      const keys = result as SigningKeySummary[];
      output.out(
        `Rotated. Now signing with: ${keys
          .filter((key) => key.state === 'current')
          .map((key) => `${key.alg} ${key.kid}`)
          .join(', ')}`,
      );
      printKeys(keys, output);
    },
  },
];
