// Every `portcullis` command, in the order the help lists them: `migrate` (the CLI's own), then the
// operations' commands from the registry.
import { OPERATION_COMMANDS } from '../registry.ts';
import type { CommandSpec } from '../operation/cli-binding.ts';
import { MIGRATE_COMMAND } from './migrate-command.ts';

export {
  flagForField,
  type CommandContext,
  type CommandSpec,
  type FlagSpec,
  type FlagValues,
  type InputSources,
} from '../operation/cli-binding.ts';

export const COMMANDS: readonly CommandSpec[] = [MIGRATE_COMMAND, ...OPERATION_COMMANDS];
