// `users reset-mfa`: the way back for a user who lost every second factor (and their recovery codes).
// Their factors are removed; whoever must use a second factor enrols a new one at the next sign-in.
import { secondFactorStep } from '../../accounts/mfa-requirement.ts';
import { deleteSecondFactors } from '../../storage/mfa.ts';
import { defineOperation, recordAdminChange } from './define.ts';
import { resolveAccount, userRefInput } from './users.ts';

export interface MfaResetResult {
  id: string;
  email: string;
  removed: { totp: number; passkeys: number; recoveryCodes: number };
  /** The user must enrol a new factor at the next sign-in (the policy, their flags). */
  mustEnrol: boolean;
}

export const resetUserMfa = defineOperation({
  name: 'users.reset-mfa',
  summary: "remove a user's second factors",
  input: userRefInput,
  async run(ctx, input): Promise<MfaResetResult> {
    const account = await resolveAccount(ctx.db, input.user);
    const removed = await deleteSecondFactors(ctx.db, account.id);
    // counts only, under names the audit trail accepts (it refuses keys that look like credentials)
    await recordAdminChange(ctx, 'mfa.reset', { type: 'user', id: account.id }, { authenticatorApps: removed.totp, passkeys: removed.passkeys, recoveryCodeCount: removed.recoveryCodes });
    const mustEnrol = secondFactorStep({ policy: ctx.config.mfaPolicy, account, client: undefined, hasFactor: false, requestedAcrs: [] }) === 'enrol';
    return { id: account.id, email: account.email, removed, mustEnrol };
  },
});

export const userMfaOperations = [resetUserMfa];
