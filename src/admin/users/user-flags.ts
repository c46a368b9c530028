// The `portcullis users ...` flags that more than one command takes: the user acted on, as the
// positional argument or --user / --email / --id (the `users sessions ...` commands take them too).
import type { CliBinding, FlagSpec } from '../operation/cli-binding.ts';

export const userTarget: NonNullable<CliBinding['target']> = { placeholder: 'id-or-email', field: 'user', flag: 'user' };

export const userFlags = {
  user: { type: 'string', value: 'id-or-email', help: 'the user (instead of the positional argument)', field: 'user' },
  email: { type: 'string', value: 'email', help: 'the user, by email', field: 'user' },
  id: { type: 'string', value: 'id', help: 'the user, by id', field: 'user' },
} satisfies Record<string, FlagSpec>; // each fills `user`: cli.ts takes one of them (or the positional) only
