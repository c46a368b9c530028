// `portcullis migrate`: the CLI's own command (cli-runner.ts runs it), not an admin operation.
import type { CommandSpec } from '../operation/cli-binding.ts';

export const MIGRATE_COMMAND: CommandSpec = {
  command: 'migrate',
  operation: 'migrate',
  summary: 'apply pending database migrations',
  flags: {},
  input: () => ({}),
  print(result, output) {
    const { applied, serverRunning } = result as { applied: string[]; serverRunning?: boolean };
    if (serverRunning)
      output.out('A server is running on DATA_DIR: it applied the migrations when it started (restart it to apply new ones).');
    else if (applied.length === 0) output.out('The database schema is up to date.');
    else for (const name of applied) output.out(`applied ${name}`);
  },
};
