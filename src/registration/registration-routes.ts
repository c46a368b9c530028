// The registration pages under /account/: sign-up (REGISTRATION=open), email verification (always:
// links already sent keep working), invitations (REGISTRATION=invite or open). A page that the
// configuration turns off is not there at all: its paths answer 404 to GET and POST alike, since
// the routes are never registered. The router's first middleware refuses a form from another site
// (page-router.ts).
import type Router from '@koa/router';
import { pageRouter } from '../http/page-router.ts';
import { registerInvitationRoutes } from './invitation-routes.ts';
import type { RegistrationDeps } from './registration-deps.ts';
import { INVITATION_PATH, SIGN_UP_PATH, VERIFY_EMAIL_PATH } from './registration-emails.ts';
import { createRegistrationLimits } from './registration-limits.ts';
import { registerSignUpRoutes } from './sign-up-routes.ts';
import { registerVerificationRoutes } from './verification-routes.ts';

const PATHS: ReadonlySet<string> = new Set([SIGN_UP_PATH, VERIFY_EMAIL_PATH, `${VERIFY_EMAIL_PATH}/resend`, INVITATION_PATH]);

/** The paths this router answers (app.ts enters it for these only; the other /account/ pages have routers of their own). */
export const isRegistrationPath = (path: string): boolean => PATHS.has(path);

export function registrationRoutes(deps: RegistrationDeps): Router {
  const router = pageRouter('/account', deps.issuer);
  const limits = createRegistrationLimits(deps.createLimiter, deps.signUpPerHour);
  if (deps.registration === 'open') registerSignUpRoutes(router, deps, limits);
  registerVerificationRoutes(router, deps, limits);
  if (deps.registration !== 'off') registerInvitationRoutes(router, deps);
  return router;
}
