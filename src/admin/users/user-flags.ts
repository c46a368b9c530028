// The `portcullis users ...` flags that more than one command takes: the user acted on, as the
// positional argument or --user / --email / --id (the `users sessions ...` commands take them too).
import { text, type CliBinding, type FlagSpec, type FlagValues } from '../operation/cli-binding.ts';

export const userTarget: NonNullable<CliBinding['target']> = { placeholder: 'id-or-email', field: 'user', flag: 'user' };

export const userFlags = {
  user: { type: 'string', value: 'id-or-email', help: 'the user (instead of the positional argument)', field: 'user' },
  email: { type: 'string', value: 'email', help: 'the user, by email', field: 'user' },
  id: { type: 'string', value: 'id', help: 'the user, by id', field: 'user' },
} satisfies Record<string, FlagSpec>;

/** The user a command acts on: the positional argument, or --user / --email / --id (for commands that build their input by hand). */
export const userRef = (values: FlagValues, target: string | undefined) => ({
  user: target ?? text(values.user) ?? text(values.email) ?? text(values.id),
});
