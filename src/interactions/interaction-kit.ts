// What every interaction route needs: the interaction bound to this browser, page rendering, and
// handing the result back to the provider. (Cross-site form posts never get here: the router's first
// middleware refuses them, http/page-router.ts; `load` runs as router middleware, sign-in-step.ts.)
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Interaction, InteractionResults } from 'oidc-provider';
import { AppError } from '../http/app-error.ts';
import { allowFormRedirect } from '../http/security-headers.ts';
import { isStoreUnavailable } from '../storage/store-errors.ts';
import type { RegistryCache } from '../oidc/registry-cache.ts';
import type { RenderView } from '../http/views.ts';

export interface InteractionKit {
  /** The interaction named by the path; it must be the one bound to this browser's cookie. */
  load: (ctx: Context) => Promise<Interaction>;
  html: (ctx: Context, view: string, data: Record<string, unknown>, status?: number) => void;
  /** Stores the result and sends the browser back to the provider. */
  finish: (ctx: Context, interaction: Interaction, result: InteractionResults) => Promise<void>;
  clientName: (clientId: string) => Promise<string>;
}

/**
 * The redirect_uri of the interaction this request loaded, for the CSP of the page it renders, if
 * any. Only a page holds a form; the login POST that succeeds answers with a redirect, whose CSP no
 * browser applies, so it skips parsing the URI and rewriting the header (one of the few costs of a
 * login's event loop bench:login's profile showed in the sign-in code itself).
 */
const FORM_REDIRECT = Symbol('form redirect');

export function createInteractionKit(deps: {
  provider: () => Provider;
  render: RenderView;
  issuer: string;
  cache: RegistryCache;
}): InteractionKit {
  return {
    async load(ctx) {
      const details = await deps
        .provider()
        .interactionDetails(ctx.req, ctx.res)
        .catch((error: unknown) => {
          // a store outage is not an expired sign-in: it fails closed with a 503 the user can retry
          if (isStoreUnavailable(error)) throw error;
          throw new AppError('interaction_expired', 'This sign-in attempt has expired. Return to the application and start again.', 400);
        });
      if (details.uid !== (ctx.params as Record<string, string | undefined>).uid)
        throw new AppError('interaction_mismatch', 'This sign-in page does not belong to your session.', 400);
      // this page's forms end, after the provider's redirects, at the client's (checked) redirect_uri:
      // `html` names it in the page's CSP (a redirect or an error has no form, and skips that work)
      (ctx.state as Record<symbol, unknown>)[FORM_REDIRECT] = details.params.redirect_uri;
      return details;
    },

    html(ctx, view, data, status = 200) {
      const redirectUri = (ctx.state as Record<symbol, unknown>)[FORM_REDIRECT];
      if (redirectUri !== undefined) allowFormRedirect(ctx, redirectUri);
      ctx.status = status;
      ctx.type = 'html';
      ctx.body = deps.render(view, data);
    },

    // What provider.interactionResult does, on the interaction this request already loaded (which
    // saves a second read of it from the store).
    async finish(ctx, interaction, result) {
      interaction.result = result;
      await interaction.save(interaction.exp - Math.floor(Date.now() / 1000));
      ctx.status = 303;
      ctx.redirect(interaction.returnTo);
    },

    clientName: async (clientId) => (await deps.cache.client(clientId))?.name ?? clientId,
  };
}
