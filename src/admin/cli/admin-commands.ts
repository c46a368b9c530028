// `portcullis migrate` and `portcullis admin bootstrap`
import { ADMIN_AUDIENCE } from '../operation/admin-scopes.ts';
import { keyValues } from '../operation/cli-output.ts';
import type { BootstrapResult } from '../operations/admin-bootstrap.ts';
import { defined, text, type CommandSpec } from '../operation/cli-binding.ts';

export const ADMIN_COMMANDS: readonly CommandSpec[] = [
  {
    command: 'admin bootstrap',
    operation: 'admin.bootstrap',
    summary: 'create the first admin client (and, with --email, an administrator user); refused once an administrator exists',
    flags: {
      'client-name': {
        type: 'string',
        value: 'name',
        help: 'the admin client\'s display name (default "Portcullis admin")',
        field: 'clientName',
      },
      email: {
        type: 'string',
        value: 'email',
        help: 'also create an administrator user with this email (password from standard input)',
        field: 'email',
      },
      name: { type: 'string', value: 'name', help: "the administrator user's display name", field: 'name' },
    },
    examples: [
      'portcullis admin bootstrap',
      'printf "%s" "$PASSWORD" | portcullis admin bootstrap --email admin@example.com --name "Admin"',
    ],
    async input(values, _target, sources) {
      const email = text(values.email);
      return defined({
        clientName: text(values['client-name']),
        email,
        name: text(values.name),
        password: email === undefined ? undefined : await sources.readPassword(),
      });
    },
    print(result, output) {
      const { client, user } = result as BootstrapResult;
      output.out(
        `Created admin client "${client.name}" (client credentials on ${ADMIN_AUDIENCE}, scopes ${client.resources[ADMIN_AUDIENCE]?.join(' ')})`,
      );
      for (const line of keyValues([
        ['client_id', client.clientId],
        ['client_secret', client.clientSecret ?? '-'],
      ]))
        output.out(`  ${line}`);
      output.err('Store the client secret now: it is shown only this once and cannot be retrieved later.');
      if (user) {
        output.out(`Created administrator ${user.email} (${user.id}): they set up a second factor at their first sign-in.`);
      }
    },
  },
];
