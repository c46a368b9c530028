// What every interaction route needs: the interaction bound to this browser, the same-origin check
// for form posts, page rendering, and handing the result back to the provider.
import type { Context } from 'koa';
import type Provider from 'oidc-provider';
import type { Interaction, InteractionResults } from 'oidc-provider';
import { AppError } from '../http/app-error.ts';
import { isStoreUnavailable } from '../storage/store-errors.ts';
import type { RegistryCache } from '../oidc/registry-cache.ts';
import type { RenderView } from './views.ts';

export interface InteractionKit {
  /** The interaction named by the path; it must be the one bound to this browser's cookie. */
  load(ctx: Context): Promise<Interaction>;
  assertSameOrigin(ctx: Context): void;
  html(ctx: Context, view: string, data: Record<string, unknown>, status?: number): void;
  /** Stores the result and sends the browser back to the provider. */
  finish(ctx: Context, interaction: Interaction, result: InteractionResults): Promise<void>;
  clientName(clientId: string): Promise<string>;
}

export function createInteractionKit(deps: { provider: () => Provider; render: RenderView; issuer: string; cache: RegistryCache }): InteractionKit {
  const issuerOrigin = new URL(deps.issuer).origin;
  return {
    async load(ctx) {
      const details = await deps.provider().interactionDetails(ctx.req, ctx.res).catch((error: unknown) => {
        // a store outage is not an expired sign-in: it fails closed with a 503 the user can retry
        if (isStoreUnavailable(error)) throw error;
        throw new AppError('interaction_expired', 'This sign-in attempt has expired. Return to the application and start again.', 400);
      });
      if (details.uid !== ctx.params.uid) throw new AppError('interaction_mismatch', 'This sign-in page does not belong to your session.', 400);
      return details;
    },

    // Our pages send Referrer-Policy: no-referrer, under which browsers send `Origin: null` even on
    // same-origin posts; `null` is therefore accepted, a foreign origin never is. SameSite=Lax on
    // the interaction cookie is the main guard against cross-site posts.
    assertSameOrigin(ctx) {
      const origin = ctx.get('Origin');
      if (origin && origin !== issuerOrigin && origin !== 'null') {
        throw new AppError('cross_origin_form', 'The form was submitted from another site.', 403);
      }
    },

    html(ctx, view, data, status = 200) {
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
