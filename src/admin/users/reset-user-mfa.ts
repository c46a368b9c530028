// users.reset-mfa: the way back for a user who lost every second factor (and their recovery codes).
// Their factors are removed; whoever must use a second factor enrols a new one at the next sign-in.
import { z } from 'zod';
import { secondFactorStep } from '../../accounts/second-factor-requirement.ts';
import { deleteSecondFactors } from '../../storage/mfa.ts';
import { ADMIN_SCOPES } from '../operation/admin-scopes.ts';
import { answer } from '../operation/answer-schemas.ts';
import { assertMayManageAccount } from '../operation/authority.ts';
import { adminChange, defineOperation } from '../operation/define.ts';
import { BODY_ERRORS } from '../operation/http-binding.ts';
import { userFlags, userTarget } from './user-flags.ts';
import { lockAccount, userRefInput } from './user-ref.ts';

const mfaResetAnswer = answer(
  'MfaReset',
  z.object({
    id: z.string(),
    email: z.string(),
    removed: z.object({ totp: z.number().int(), passkeys: z.number().int(), recoveryCodes: z.number().int() }),
    /** The user must enrol a new factor at the next sign-in (the policy, their flags). */
    mustEnrol: z.boolean(),
  }),
);

export type MfaResetResult = z.output<typeof mfaResetAnswer>;

export const resetUserMfa = defineOperation({
  name: 'users.reset-mfa',
  summary: "remove a user's second factors",
  input: userRefInput,
  output: mfaResetAnswer,
  http: {
    method: 'POST',
    path: '/users/{user}/reset-mfa',
    summary: "Remove a user's second factors",
    scopes: [ADMIN_SCOPES.write, ADMIN_SCOPES.users],
    body: 'none',
    status: 200,
    errors: [404, ...BODY_ERRORS],
  },
  cli: {
    command: 'users reset-mfa',
    summary: "remove a user's second factors (authenticator app, passkeys, recovery codes)",
    target: userTarget,
    flags: userFlags,
    print(reset, output) {
      output.out(
        `Removed the second factors of ${reset.email} (${reset.id}): ${reset.removed.totp} authenticator app(s), ${reset.removed.passkeys} passkey(s), ${reset.removed.recoveryCodes} recovery code(s)`,
      );
      if (reset.mustEnrol) output.out('They must set up a new second factor at their next sign-in.');
    },
  },
  async run(ctx, input): Promise<MfaResetResult> {
    const { account, removed } = await adminChange(ctx, async (tx) => {
      const account = await lockAccount(tx, input.user);
      assertMayManageAccount(ctx.scopes, account, 'removing the second factors');
      const removed = await deleteSecondFactors(tx, account.id);
      // counts only, under names the audit trail accepts (it refuses keys that look like credentials)
      const details = { authenticatorApps: removed.totp, passkeys: removed.passkeys, recoveryCodeCount: removed.recoveryCodes };
      return { result: { account, removed }, event: { type: 'mfa.reset', target: { type: 'user', id: account.id }, details } };
    });
    const mustEnrol =
      secondFactorStep({ policy: ctx.config.mfaPolicy, account, client: undefined, hasFactor: false, requestedAcrs: [] }) === 'enrol';
    return { id: account.id, email: account.email, removed, mustEnrol };
  },
});
