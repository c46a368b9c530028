// What a sign-in gets when the password is right but the account signed itself up and has not
// verified its address yet (authenticate.ts' `email_unverified`): no session, a page saying so, and
// a way to have a new link sent (a sealed ticket only this answer hands out: the registration
// pages' resend-ticket.ts). Without the password, the same refusal as any wrong password.
import type { Context } from 'koa';
import type { Interaction } from 'oidc-provider';
import type { AuthenticationResult } from '../accounts/authenticate.ts';
import { sealResendTicket } from '../registration/resend-ticket.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import type { InteractionKit } from './interaction-kit.ts';
import { answerRefusedPassword } from './password-refusal.ts';

type Unverified = Extract<AuthenticationResult, { reason: 'email_unverified' }>;

export async function answerUnverifiedEmail(
  ctx: Context,
  deps: Pick<InteractionDeps, 'audit' | 'keys' | 'now'>,
  kit: Pick<InteractionKit, 'html'>,
  details: Interaction,
  result: Unverified,
  email: string,
): Promise<void> {
  // audited as the refused sign-in it is (reason email_unverified)
  await answerRefusedPassword(ctx, deps.audit, result, email, { clientId: String(details.params.client_id) });
  const nowMs = (deps.now?.() ?? new Date()).getTime();
  const ticket = sealResendTicket(
    deps.keys.encryptionKey,
    { accountId: result.account.id, epoch: result.account.credentialEpoch, uid: details.uid },
    nowMs,
  );
  kit.html(ctx, 'email-unverified', { uid: details.uid, email: result.account.email, ticket }, 403);
}
