// The sign-in page (views/login.eta): the password form, and a passkey sign-in offered beside it
// (the browser's autofill on the email field, and a button; views/static/passkey.js). Every
// rendering carries a fresh passkey challenge, kept sealed in this browser for this interaction
// (sign-in-state.ts), so the page shown last is the one whose passkey answer counts.
import type { Context } from 'koa';
import type { Interaction } from 'oidc-provider';
import { passkeyOptionsJson } from '../accounts/passkeys.ts';
import type { PasskeySignIn } from '../accounts/passkey-sign-in.ts';
import type { InteractionKit } from './interaction-kit.ts';
import type { SignInStates } from './sign-in-state.ts';

export type RenderLoginPage = (
  ctx: Context,
  details: Interaction,
  page: { email: string; error: string | undefined },
  status?: number,
) => Promise<void>;

export function createLoginPage(
  kit: InteractionKit,
  signInStates: SignInStates,
  passkeys: PasskeySignIn,
  /** REGISTRATION=open: the page links to the sign-up page. */
  signUp: boolean,
): RenderLoginPage {
  return async (ctx, details, { email, error }, status = 200) => {
    const options = passkeys.options();
    if (options) signInStates.writePasskeyChallenge(ctx, details.uid, options.challenge);
    kit.html(
      ctx,
      'login',
      {
        uid: details.uid,
        clientName: await kit.clientName(String(details.params.client_id)),
        email,
        error,
        passkeyOptions: options && passkeyOptionsJson(options),
        signUp,
      },
      status,
    );
  };
}
