// Every `portcullis` command, in the order the help lists them (one file per area in ./cli/).
import { ADMIN_COMMANDS } from './admin-commands.ts';
import { AUDIT_COMMANDS } from './audit-commands.ts';
import { CLIENT_COMMANDS } from './client-commands.ts';
import type { CommandSpec } from '../operation/cli-binding.ts';
import { KEY_COMMANDS } from './key-commands.ts';
import { RESOURCE_COMMANDS } from '../resources/resource-cli-legacy.ts';
import { USER_COMMANDS } from './user-commands.ts';
import { USER_SESSION_COMMANDS } from './user-session-commands.ts';

export { flagForField, type CommandContext, type CommandSpec, type FlagSpec, type FlagValues, type InputSources } from '../operation/cli-binding.ts';

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
