// users.invite (REGISTRATION=invite or open): an account for an address, without a password, and an
// email with a link (7 days, single use) where the person chooses one (src/registration/
// invitation-routes.ts). Inviting an address again whose invitation was not accepted yet reuses its
// account and sends a new link (the old one stops working). An address that has an account in use
// is refused: an invitation never replaces anyone's password. With a client, accepting the
// invitation leads to that client (src/registration/invitation-landing.ts).
import { z } from 'zod';
import { LINK_LIFETIME_SECONDS } from '../../accounts/account-links.ts';
import { createEmailQueue } from '../../email/email-queue.ts';
import { AppError } from '../../http/app-error.ts';
import { PRODUCT_NAME, queueInvitation } from '../../registration/registration-emails.ts';
import { findRegistrationState, insertInvitedAccount } from '../../storage/account-registration.ts';
import { findAccountByEmail, findAccountById, findAccountForUpdate, withoutCredentials } from '../../storage/accounts.ts';
import { findClient } from '../../storage/clients.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer, dateTime } from '../operation/answer-schemas.ts';
import { adminChange, conflict, defineOperation, invalidInput, sqlState, type OperationContext } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { printUser, userAnswer } from './user-view.ts';
import { emailField, userView } from './user-ref.ts';

const inviteInput = z.strictObject({
  email: emailField,
  name: z.string().trim().max(200, 'must be at most 200 characters').optional(),
  /** The client the invitation leads to once accepted. */
  clientId: z.string().trim().min(1, 'must not be empty').max(200, 'must be at most 200 characters').optional(),
});

const invitationAnswer = answer(
  'Invitation',
  userAnswer.extend({
    invitationExpiresAt: dateTime.describe('when the link sent stops working'),
    clientId: z.string().nullable().describe('the client accepting the invitation leads to'),
    reinvited: z.boolean().describe('the address had a pending invitation: its account is reused, the earlier link is void'),
  }),
);

type InvitationView = z.output<typeof invitationAnswer>;

/** Who the email says invited them: the administrator's name when a person, else the product. */
async function inviterOf(ctx: OperationContext): Promise<string> {
  const user = /^user:(.+)$/.exec(ctx.actor.id)?.[1];
  const account = user ? await findAccountById(ctx.db, user) : undefined;
  return account?.name ?? PRODUCT_NAME;
}

export const inviteUser = defineOperation({
  name: 'users.invite',
  summary: 'invite someone by email: an account without a password, and a link to choose one (REGISTRATION=invite or open)',
  input: inviteInput,
  output: invitationAnswer,
  http: {
    method: 'POST',
    path: '/users/invitations',
    summary:
      'Invite someone by email (REGISTRATION=invite or open): an account without a password and an email with a link (7 days, single use) to choose one. Inviting an address whose invitation is pending sends a new link; an address with an account in use is refused (409)',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'json',
    status: 200,
    errors: [...BODY_ERRORS, 409],
  },
  cli: {
    command: 'users invite',
    summary: 'invite someone by email: they choose their password through the link sent (REGISTRATION=invite or open)',
    target: { placeholder: 'email', field: 'email', flag: 'email' },
    flags: {
      email: { type: 'string', value: 'email', help: 'the address to invite (instead of the positional argument)', field: 'email' },
      name: { type: 'string', value: 'name', help: 'their display name', field: 'name' },
      client: { type: 'string', value: 'client_id', help: 'the client accepting the invitation leads to', field: 'clientId' },
    },
    examples: ['portcullis users invite bob@example.com --name "Bob" --client my-app'],
    print(invitation, output) {
      output.out(`Invited ${invitation.email}${invitation.reinvited ? ' again (the earlier link no longer works)' : ''}`);
      printUser(invitation, output);
      output.out(`The link works until ${invitation.invitationExpiresAt}.`);
    },
  },
  async run(ctx, input): Promise<InvitationView> {
    if (ctx.config.registration === 'off') {
      throw new AppError('registration_off', 'invitations are off (REGISTRATION=off): set REGISTRATION=invite or open', 409);
    }
    if (input.clientId && !(await findClient(ctx.db, input.clientId))) throw invalidInput('clientId', `no client "${input.clientId}"`);
    const inviter = await inviterOf(ctx);
    const emails = createEmailQueue({ encryptionKey: ctx.keys.encryptionKey });
    const now = ctx.now?.() ?? new Date();
    const taken = () => conflict('email', `an account with the email "${input.email}" already exists`);
    try {
      return await adminChange(ctx, async (tx) => {
        const existing = await findAccountByEmail(tx, input.email);
        let account;
        if (existing) {
          const locked = await findAccountForUpdate(tx, existing.id);
          // only an invitation nobody accepted yet (no password was ever set) is sent again
          if (!locked || !(await findRegistrationState(tx, locked.id))?.invitationPending) throw taken();
          account = locked;
        } else {
          // eslint-disable-next-line @typescript-eslint/prefer-nullish-coalescing -- an empty name is no name
          const created = await insertInvitedAccount(tx, { email: input.email, name: input.name || null });
          account = (await findAccountById(tx, created.id))!;
        }
        await queueInvitation(tx, { emails, issuer: ctx.config.issuer }, account, { now, inviter, clientId: input.clientId });
        const result: InvitationView = {
          ...userView(withoutCredentials(account)),
          invitationExpiresAt: new Date(now.getTime() + LINK_LIFETIME_SECONDS.invite * 1000).toISOString(),
          clientId: input.clientId ?? null,
          reinvited: existing !== undefined,
        };
        return {
          result,
          event: {
            type: 'user.invited',
            target: { type: 'user', id: account.id },
            details: { email: account.email, clientId: input.clientId ?? null, reinvited: result.reinvited },
          },
        };
      });
    } catch (error) {
      if (sqlState(error) === '23505') throw taken();
      throw error;
    }
  },
});
