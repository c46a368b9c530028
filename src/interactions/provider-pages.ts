// The pages oidc-provider itself renders (errors, logout confirmation, signed out), drawn with
// our views so every HTML page looks alike and carries no inline script.
import type { PageRenderer } from '../oidc/create-provider.ts';
import type { RenderView } from '../http/views.ts';
import { allowFormRedirect } from '../http/security-headers.ts';

export function createProviderPages(render: RenderView): PageRenderer {
  return {
    error(ctx, out) {
      ctx.type = 'html';
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- error pages must render even for a context without state
      ctx.body = render('error', { error: out.error, description: out.error_description, requestId: ctx.state?.requestId });
    },
    logout(ctx, form) {
      ctx.type = 'html';
      // the confirmation ends at the post_logout_redirect_uri the provider checked against the client
      allowFormRedirect(ctx, ctx.oidc.params?.post_logout_redirect_uri);
      const clientName = ctx.oidc.client?.clientName;
      ctx.body = render('logout', { form, clientName });
    },
    async loggedOut(ctx) {
      // "Stay signed in" ends only the application's session: never claim a full sign-out then.
      // (oidc-provider loads no session on this route; a full logout has cleared the cookie.)
      const sessionId = ctx.cookies.get(ctx.oidc.provider.cookieName('session'), { signed: true });
      const session = sessionId ? await ctx.oidc.provider.Session.find(sessionId) : undefined;
      ctx.type = 'html';
      ctx.body = render('logged-out', { stillSignedIn: Boolean(session?.accountId) });
    },
  };
}
