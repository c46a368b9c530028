// Every `portcullis` command, in the order the help lists them (one file per area in ./cli/).
import { ADMIN_COMMANDS } from './cli/admin-commands.ts';
import { AUDIT_COMMANDS } from './cli/audit-commands.ts';
import { CLIENT_COMMANDS } from './cli/client-commands.ts';
import type { CommandSpec } from './cli/command-spec.ts';
import { KEY_COMMANDS } from './cli/key-commands.ts';
import { RESOURCE_COMMANDS } from './cli/resource-commands.ts';
import { USER_COMMANDS } from './cli/user-commands.ts';
import { USER_SESSION_COMMANDS } from './cli/user-session-commands.ts';

export {
  flagForField,
  type CommandContext,
  type CommandSpec,
  type FlagSpec,
  type FlagValues,
  type InputSources,
} from './cli/command-spec.ts';

const [migrate, ...adminCommands] = ADMIN_COMMANDS;

export const COMMANDS: readonly CommandSpec[] = [
  migrate!,
  ...CLIENT_COMMANDS,
  ...RESOURCE_COMMANDS,
  ...USER_COMMANDS,
  ...USER_SESSION_COMMANDS,
  ...KEY_COMMANDS,
  ...AUDIT_COMMANDS,
  ...adminCommands,
];
