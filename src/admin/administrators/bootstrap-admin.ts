// admin.bootstrap: the first administrators, made from the command line (the admin API needs one
// to exist already). An admin client (client credentials on the admin API, every admin scope; its
// secret returned once) and, given an email, an administrator user, who enrols a second factor at
// the first sign-in. Refused once any administrator exists: later ones are made by an admin.
import { z } from 'zod';
import { findAnyAdministrator } from '../../storage/administrators.ts';
import { ADMIN_AUDIENCE, ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { keyValues } from '../operation/cli-output.ts';
import { AppError } from '../../http/app-error.ts';
import { createdClientAnswer } from '../clients/client-view.ts';
import { createClient } from '../clients/create-client.ts';
import { conflict, defineOperation, formatIssues, invalidInput, type Operation } from '../operation/define.ts';
import { createUser } from '../users/create-user.ts';
import { userAnswer } from '../users/user-view.ts';

const bootstrapInput = z.strictObject({
  clientName: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').default('Portcullis admin'),
  /** With it, an administrator user is created too (needs `password`). */
  email: z.string().optional(),
  name: z.string().optional(),
  password: z.string().optional(),
});

/** Input for another operation, refused the way runOperation refuses it (by field). */
function inputFor<Schema extends z.ZodType>(operation: Operation<Schema>, input: unknown): z.output<Schema> {
  const parsed = operation.input.safeParse(input);
  if (!parsed.success) throw new AppError('invalid_input', formatIssues(parsed.error.issues), 400);
  return parsed.data;
}

/**
 * What bootstrap answers: the admin client (with its secret, shown once) and the administrator user,
 * as clients.create and users.create answer them. No route serves it, so it is not named with answer().
 */
const bootstrapOutput = z.object({ client: createdClientAnswer, user: userAnswer.optional() });

export type BootstrapResult = z.output<typeof bootstrapOutput>;

export const bootstrapAdmin = defineOperation({
  name: 'admin.bootstrap',
  summary: 'create the first admin client (and, with an email, an administrator user); refused once an administrator exists',
  input: bootstrapInput,
  output: bootstrapOutput,
  cli: {
    command: 'admin bootstrap',
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
    // the administrator user's password, from standard input (only with --email)
    input: async (fields, sources) => (fields.email === undefined ? fields : { ...fields, password: await sources.readPassword() }),
    print({ client, user }, output) {
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
  async run(ctx, input): Promise<BootstrapResult> {
    const existing = await findAnyAdministrator(ctx.db, ADMIN_AUDIENCE);
    if (existing) {
      throw conflict(
        existing === 'client' ? 'clientName' : 'email',
        `an administrator ${existing} already exists: bootstrap is only for the first one (later admins are made with the admin API or "clients create" / "users create --admin")`,
      );
    }
    if (input.email === undefined && input.password !== undefined)
      throw invalidInput('email', 'is required with a password (the password is for the administrator user)');
    // The user first: their input (email, password policy) is what may be refused, before anything is written.
    const user =
      input.email === undefined
        ? undefined
        : await createUser.run(
            ctx,
            inputFor(createUser, { email: input.email, name: input.name, password: input.password ?? '', isAdmin: true }),
          );
    const client = await createClient.run(
      ctx,
      inputFor(createClient, {
        name: input.clientName,
        grantTypes: ['client_credentials'],
        resources: [ADMIN_AUDIENCE],
        scopes: Object.values(ADMIN_SCOPES),
      }),
    );
    return { client, ...(user ? { user } : {}) };
  },
});
