// users.send-password-reset: emails a user a link to choose a new password themselves (the way back
// for a user who lost theirs, without an administrator ever knowing it; set-password is the other).
// The same link and email as the sign-in page's "Forgot your password?" (accounts/password-emails.ts):
// 30 minutes, single use, void after a newer link or any password change. Nothing else changes until
// the user uses it; the audit event names the administrator who sent it.
import { z } from 'zod';
import { queuePasswordResetEmail } from '../../accounts/password-emails.ts';
import { createEmailQueue } from '../../email/email-queue.ts';
import { findAccountForUpdate } from '../../storage/accounts.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer } from '../operation/answer-schemas.ts';
import { assertMayManageAccount } from '../operation/authority.ts';
import { adminChange, conflict, defineOperation, notFound } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { resolveAccount, userRefInput } from './user-ref.ts';

const passwordResetSent = answer(
  'PasswordResetSent',
  z.object({
    userId: z.string(),
    email: z.string(),
    expiresAt: z.string().describe('when the link stops working (ISO 8601)'),
  }),
);

export const sendPasswordReset = defineOperation({
  name: 'users.send-password-reset',
  summary: 'email a user a link to choose a new password (30 minutes, single use)',
  input: userRefInput,
  output: passwordResetSent,
  http: {
    method: 'POST',
    path: '/users/{user}/send-password-reset',
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    errors: [404, 409, ...BODY_ERRORS],
    summary:
      'Email a user a link to choose a new password (the same as the sign-in page sends: 30 minutes, single use, void after a newer link or a password change). 409 for a disabled user',
  },
  cli: {
    command: 'users send-password-reset',
    summary: 'email a user a link to choose a new password (30 minutes, single use)',
    target: userTarget,
    flags: userFlags,
    print(sent, output) {
      output.out(`Sent a password-reset link to ${sent.email} (${sent.userId}); it works once, until ${sent.expiresAt}`);
    },
  },
  async run(ctx, input): Promise<z.output<typeof passwordResetSent>> {
    const found = await resolveAccount(ctx.db, input.user);
    assertMayManageAccount(ctx.scopes, found, 'sending a password reset');
    return adminChange(ctx, async (tx) => {
      const account = await findAccountForUpdate(tx, found.id);
      if (!account) throw notFound('user', `no account with id or email "${input.user}"`);
      assertMayManageAccount(ctx.scopes, account, 'sending a password reset');
      if (account.disabled) throw conflict('user', 'the account is disabled: enable it first');
      // the queue the server uses (email-queue.ts), sealed under the same derived key
      const emails = createEmailQueue({ encryptionKey: ctx.keys.encryptionKey });
      const { expiresAt } = await queuePasswordResetEmail(tx, emails, account, {
        issuer: ctx.config.issuer,
        now: ctx.now?.() ?? new Date(),
      });
      return {
        result: { userId: account.id, email: account.email, expiresAt: expiresAt.toISOString() },
        event: {
          type: 'user.password_reset_sent',
          target: { type: 'user', id: account.id },
          details: { expiresAt: expiresAt.toISOString() },
        },
      };
    });
  },
});
