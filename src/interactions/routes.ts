// Login and consent pages for oidc-provider interactions (GET renders, POST submits; no JavaScript
// needed but for passkeys). The interaction cookie is SameSite=Lax and POSTs must come from our own
// origin. After the password, a second factor when one is needed (second-factor-routes.ts), then a
// new password when an administrator required one (password-change-routes.ts).
import type Router from '@koa/router';
import { findAccountById } from '../storage/accounts.ts';
import { AppError } from '../http/app-error.ts';
import { readForm } from '../http/form-body.ts';
import { pageRouter } from '../http/page-router.ts';
import { requestFacts } from '../security/audit/request-facts.ts';
import { describeConsent } from './consent-scopes.ts';
import { answerRefusedPassword } from './password-refusal.ts';
import { ACR_PASSWORD, requestedAcrs } from '../accounts/second-factor-requirement.ts';
import { createInteractionKit } from './interaction-kit.ts';
import type { InteractionDeps } from './interaction-deps.ts';
import { interactionOf, loadInteraction, requireSignInState } from './sign-in-step.ts';
import { registerSecondFactorRoutes } from './second-factor-routes.ts';
import { createSignInFinisher, registerPasswordChangeRoutes } from './password-change-routes.ts';
import { createPasskeySignIn } from '../accounts/passkey-sign-in.ts';
import { createLoginPage } from './login-page.ts';
import { registerPasskeySignInRoutes } from './passkey-sign-in-routes.ts';
import { answerUnverifiedEmail } from './unverified-email.ts';
import { continueFromInvitation } from './invitation-sign-in-step.ts';

export function interactionRoutes(deps: InteractionDeps): Router {
  // its first middleware refuses a form from another site (page-router.ts)
  const router = pageRouter('/interaction/:uid', deps.issuer);
  const kit = createInteractionKit(deps);
  const { html, clientName } = kit;
  // every sign-in finishes through it: an administrator may have required a new password first
  const finisher = createSignInFinisher(kit, deps);
  const { finishSignIn } = finisher;
  // the sign-in page offers a passkey sign-in beside the password (passkey-sign-in-routes.ts)
  const passkeys = createPasskeySignIn(deps);
  const renderLogin = createLoginPage(kit, deps.signInStates, passkeys, deps.registration === 'open');
  // every route: the interaction of this browser, loaded before the handler (sign-in-step.ts)
  router.use(loadInteraction(kit));

  // --- Before the password: the only routes reachable without a sign-in state ----------------------

  router.get('/', async (ctx) => {
    const details = interactionOf(ctx);
    if (details.prompt.name === 'login') {
      // a session signed in with the password only, and now a second factor is needed (step-up): the
      // session proved the password, and only a factor the account has is asked for. Enrolling one,
      // or choosing a new password an administrator required, needs the password typed in this
      // sign-in: the session cookie alone must not add a factor or set a password. Then the login page.
      const stepUp = details.session?.accountId && details.prompt.reasons.length === 1 && details.prompt.reasons[0] === 'second_factor';
      const sessionAccount = stepUp ? await findAccountById(deps.db, details.session!.accountId) : undefined;
      if (sessionAccount && !sessionAccount.disabled && !sessionAccount.passwordChangeRequired) {
        const step = await deps.mfa.stepFor(
          sessionAccount,
          String(details.params.client_id),
          requestedAcrs(details.params, details.params.claims),
        );
        if (step === 'verify') {
          deps.signInStates.write(ctx, {
            uid: details.uid,
            accountId: sessionAccount.id,
            amr: ['pwd'],
            epoch: sessionAccount.credentialEpoch,
            passwordProven: false,
          });
          ctx.redirect(`/interaction/${details.uid}/second-factor`);
          return;
        }
      }
      // the browser that just accepted an invitation for this client: its new password counts as proven
      if (!details.session?.accountId && (await continueFromInvitation(ctx, deps, details, finishSignIn))) return;
      const hint = typeof details.params.login_hint === 'string' ? details.params.login_hint.slice(0, 320) : '';
      await renderLogin(ctx, details, { email: hint, error: undefined });
      return;
    }
    if (details.prompt.name === 'consent') {
      const account = details.session?.accountId ? await findAccountById(deps.db, details.session.accountId) : undefined;
      const scopes = await describeConsent(details, deps.cache);
      const name = await clientName(String(details.params.client_id));
      html(ctx, 'consent', { uid: details.uid, clientName: name, email: account?.email, scopes });
      return;
    }
    throw new AppError('unsupported_prompt', `unsupported interaction prompt ${details.prompt.name}`, 400);
  });

  router.post('/login', async (ctx) => {
    const details = interactionOf(ctx);
    if (details.prompt.name !== 'login') throw new AppError('wrong_step', 'This step of the sign-in is already done.', 400);
    const form = await readForm(ctx);
    const email = (form.email ?? '').trim();
    const password = form.password ?? '';
    const result = await deps.authenticator.authenticate(email, password, ctx.ip, deps.deviceCookies.read(ctx));
    deps.onLoginAttempt(result.ok ? 'success' : 'failure');
    const clientId = String(details.params.client_id);
    if (result.ok) {
      const step = await deps.mfa.stepFor(
        result.account,
        clientId,
        requestedAcrs(details.params, details.params.claims),
        result.hasSecondFactor,
      );
      // the epoch of the row whose password was just checked: a reset from now on voids this sign-in
      const proof = { epoch: result.account.credentialEpoch, passwordProven: true };
      if (step !== 'none') {
        // the password is proven; the session is only created once the second factor is too
        deps.audit.record({
          ...requestFacts(ctx),
          type: 'login.password_verified',
          outcome: 'success',
          actor: { type: 'user', id: result.account.id },
          clientId,
          details: { next: step },
        });
        deps.signInStates.write(ctx, { uid: details.uid, accountId: result.account.id, amr: ['pwd'], ...proof });
        ctx.status = 303;
        ctx.redirect(`/interaction/${details.uid}/second-factor`);
        return;
      }
      return finishSignIn(ctx, details, result.account, { amr: ['pwd'], acr: ACR_PASSWORD, ...proof });
    }
    if (result.reason === 'email_unverified') return answerUnverifiedEmail(ctx, deps, kit, details, result, email);
    const message = await answerRefusedPassword(ctx, deps.audit, result, email, { clientId });
    await renderLogin(ctx, details, { email: email.slice(0, 320), error: message }, 401);
  });

  registerPasskeySignInRoutes(router, deps, passkeys, renderLogin, finishSignIn);

  router.post('/confirm', async (ctx) => {
    const details = interactionOf(ctx);
    if (details.prompt.name !== 'consent') throw new AppError('wrong_step', 'There is nothing to consent to at this step.', 400);
    await readForm(ctx);
    const provider = deps.provider();
    const { accountId } = details.session!;
    const clientId = String(details.params.client_id);
    const grant = details.grantId ? await provider.Grant.find(details.grantId) : new provider.Grant({ accountId, clientId });
    if (!grant) throw new AppError('grant_missing', 'The consent being updated no longer exists.', 400);
    const missing = details.prompt.details as {
      missingOIDCScope?: string[];
      missingOIDCClaims?: string[];
      missingResourceScopes?: Record<string, string[]>;
    };
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [resource, scopes] of Object.entries(missing.missingResourceScopes ?? {}))
      grant.addResourceScope(resource, scopes.join(' '));
    const grantId = await grant.save();
    deps.audit.record({
      ...requestFacts(ctx),
      type: 'consent.granted',
      outcome: 'success',
      actor: { type: 'user', id: accountId },
      clientId,
      target: { type: 'grant', id: grantId },
      details: { scopes: missing.missingOIDCScope ?? [], resourceScopes: missing.missingResourceScopes ?? {} },
    });
    await kit.finish(ctx, details, { consent: { grantId } });
  });

  router.post('/abort', async (ctx) => {
    const details = interactionOf(ctx);
    await readForm(ctx).catch(() => ({}));
    const accountId = details.session?.accountId;
    deps.audit.record({
      ...requestFacts(ctx),
      type: details.prompt.name === 'consent' ? 'consent.denied' : 'login.cancelled',
      outcome: 'failure',
      clientId: String(details.params.client_id),
      ...(accountId ? { actor: { type: 'user' as const, id: accountId } } : {}),
    });
    await kit.finish(ctx, details, { error: 'access_denied', error_description: 'The user cancelled the request.' });
  });

  // --- After the password ------------------------------------------------------------------------
  // Router middleware runs in the order it is registered: every route registered below this line
  // runs only with this sign-in's sealed state (sign-in-step.ts), and a route added below is guarded
  // without asking. The routes above are the only ones reachable without it
  // (test/security/guard-bypass.test.ts names them, and tries every other route without the state).
  router.use(requireSignInState(deps));
  registerSecondFactorRoutes(router, kit, deps, finishSignIn);
  registerPasswordChangeRoutes(router, kit, deps, finisher);
  return router;
}
