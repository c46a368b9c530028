// `users reset-mfa`: the way back for a user who lost every second factor (and their recovery codes).
// Their factors are removed; whoever must use a second factor enrols a new one at the next sign-in.
import { secondFactorStep } from '../../accounts/second-factor-requirement.ts';
import { deleteSecondFactors } from '../../storage/mfa.ts';
import { assertMayManageAccount } from '../operation/authority.ts';
import { adminChange, defineLegacyOperation } from '../operation/define.ts';
import { lockAccount } from './user-ref.ts';
import { userRefInput } from './create-user.ts';

export interface MfaResetResult {
  id: string;
  email: string;
  removed: { totp: number; passkeys: number; recoveryCodes: number };
  /** The user must enrol a new factor at the next sign-in (the policy, their flags). */
  mustEnrol: boolean;
}

export const resetUserMfa = defineLegacyOperation({
  name: 'users.reset-mfa',
  summary: "remove a user's second factors",
  input: userRefInput,
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

export const userMfaOperations = [resetUserMfa];
