// The flags naming the user that every `portcullis users sessions | grants | revoke-session |
// revoke-grant | sign-out-everywhere` command takes. The user is the positional argument, as in the
// other `users` commands; the session or grant is a flag (`--session`, `--grant`): one positional
// per command keeps `<id-or-email>` unambiguous.
// The other `users` commands name the user with the same flags (src/admin/cli/user-commands.ts).
import type { CliBinding, FlagSpec } from '../operation/cli-binding.ts';

export const userTarget: NonNullable<CliBinding['target']> = { placeholder: 'id-or-email', field: 'user', flag: 'user' };

/** The user, instead of the positional argument; each fills the input's `user` (cli.ts takes one of them only). */
export const userFlags = {
  user: { type: 'string', value: 'id-or-email', help: 'the user (instead of the positional argument)', field: 'user' },
  email: { type: 'string', value: 'email', help: 'the user, by email', field: 'user' },
  id: { type: 'string', value: 'id', help: 'the user, by id', field: 'user' },
} satisfies Record<string, FlagSpec>;
