// The provider's own decision to reuse a session: a session signed in with the password only does not
// satisfy a request when a second factor is needed now (the user enrolled one since, the client or
// the policy demands it, or the request asks for the multi-factor acr). The login prompt is then
// requested again — with prompt=none that is `login_required`, never a code.
import { interactionPolicy, type KoaContextWithOIDC } from 'oidc-provider';
import { ACR_MFA, requestedAcrs } from '../accounts/second-factor-requirement.ts';

/** Whether this account, signing in to this client for a request asking for these acr values, needs a second factor. */
export type NeedsSecondFactor = (accountId: string, clientId: string, requestedAcrs: string[]) => Promise<boolean>;

export function interactionPolicyWithSecondFactor(needsSecondFactor: NeedsSecondFactor) {
  const policy = interactionPolicy.base();
  const login = policy.get('login')!;
  login.checks.add(
    new interactionPolicy.Check('second_factor', 'the sign-in needs a second factor', 'login_required', async (ctx: KoaContextWithOIDC) => {
      const { oidc } = ctx;
      const accountId = oidc.session?.accountId;
      if (!accountId || !oidc.client) return interactionPolicy.Check.NO_NEED_TO_PROMPT; // other checks ask for a login
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- typed as always there; not so on every oidc-provider path
      if (oidc.session?.acr === ACR_MFA) return interactionPolicy.Check.NO_NEED_TO_PROMPT;
      const needed = await needsSecondFactor(accountId, oidc.client.clientId, requestedAcrs(oidc.params, oidc.claims));
      return needed ? interactionPolicy.Check.REQUEST_PROMPT : interactionPolicy.Check.NO_NEED_TO_PROMPT;
    }),
  );
  return policy;
}
