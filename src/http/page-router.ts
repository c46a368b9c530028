// The router of our own HTML pages whose forms change something (the sign-in steps, the account
// page). It is built with the cross-site guard as its first middleware, so every route added to it,
// now or later, is behind the guard wherever the router is mounted: no route of these pages can be
// registered, or mounted, around it.
import Router from '@koa/router';
import { refuseCrossSite } from './same-origin-guard.ts';

export function pageRouter(prefix: string, issuer: string): Router {
  const router = new Router({ prefix });
  router.use(refuseCrossSite(issuer));
  return router;
}
