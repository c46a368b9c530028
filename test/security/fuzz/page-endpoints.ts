// The sign-in (interaction), account-security, account, password-reset and registration pages, read from their real routers' route tables
// (the routers are built over inert dependencies: building registers routes and touches nothing),
// and the health routes. Every form of these pages is urlencoded; the fields are those the handlers read.
import type Router from '@koa/router';
import fc from 'fast-check';
import { accountSecurityRoutes, type AccountSecurityDeps } from '../../../src/account-page/security-routes.ts';
import { accountRoutes, type AccountPageDeps } from '../../../src/account-page/account-routes.ts';
import { passwordResetRoutes, type PasswordResetDeps } from '../../../src/account-page/password-reset/reset-routes.ts';
import type { InteractionDeps } from '../../../src/interactions/interaction-deps.ts';
import { interactionRoutes } from '../../../src/interactions/routes.ts';
import type { RegistrationDeps } from '../../../src/registration/registration-deps.ts';
import { registrationRoutes } from '../../../src/registration/registration-routes.ts';
import type { Endpoint, Parameter } from './endpoint.ts';
import { ref } from './fuzz-values.ts';

const PASSWORD = 'correct horse battery staple';

/** A dependency whose every member is another such dependency: enough to build a router, never called. */
const inert = (): unknown => {
  const proxy: unknown = new Proxy(() => proxy, {
    get: (_target, name) => (name === 'then' ? undefined : name === 'issuer' ? 'http://127.0.0.1' : proxy),
  });
  return proxy;
};

/** The fields the sign-in and account forms read (readForm refuses duplicates, so one list serves all). */
const FORM_FIELDS: Parameter[] = [
  { name: 'email', plausible: fc.constantFrom(ref('userEmail'), ref('victimUserEmail'), 'nobody@example.com', 'AL\u0130CE@example.com') },
  { name: 'password', plausible: fc.constantFrom(PASSWORD, 'wrong password', '') },
  { name: 'confirmation', plausible: fc.constantFrom(PASSWORD, 'another one') },
  { name: 'code', plausible: fc.constantFrom('123456', '000000', '12 34 56', 'ABCD-EFGH-IJKL', '') },
  {
    name: 'credential',
    plausible: fc.constantFrom(
      '{}',
      '{"id":"x","rawId":"x","type":"public-key","response":{}}',
      '{"id":"x","response":{"clientDataJSON":"e30","attestationObject":"oA"}}',
      'null',
      '[',
    ),
  },
  { name: 'name', plausible: fc.constantFrom('my key', '') },
  { name: 'id', plausible: fc.constantFrom('abc', '') },
  // the account page's
  { name: 'current', plausible: fc.constantFrom(PASSWORD, 'wrong password') },
  { name: 'understand', plausible: fc.constantFrom('yes', '') },
  { name: 'then', plausible: fc.constantFrom('/account', 'https://evil.example/', '') },
  // links' tokens (43 base64url characters when well formed: the password-reset and email-change forms), the sign-in left
  { name: 'token', plausible: fc.constantFrom('A'.repeat(43), ref('code'), '') },
  { name: 'interaction', plausible: fc.constantFrom(ref('uid'), 'no-such-interaction', '') },
  // the registration pages': the sign-in a sign-up returns to, the sealed "send me a new link" ticket
  { name: 'uid', plausible: fc.constantFrom(ref('uid'), 'no-such-interaction', '') },
  { name: 'ticket', plausible: fc.constantFrom('A'.repeat(60), ref('code'), '') },
];

/** The routes of a router (its router-level middleware, which has no method, left out). */
export function routesOf(router: Router): { methods: string[]; path: string }[] {
  return router.stack
    .filter((layer) => layer.methods.length > 0)
    .map((layer) => ({ methods: layer.methods.filter((method) => method !== 'HEAD'), path: String(layer.path) }));
}

/**
 * The real sign-in, account-security, account, password-reset and registration routers, built over
 * inert dependencies (registration open: every registration route registered).
 */
export function pageRouters(): { signIn: Router; account: Router; accountPage: Router; passwordReset: Router; registration: Router } {
  const deps = inert();
  return {
    signIn: interactionRoutes(deps as InteractionDeps),
    account: accountSecurityRoutes({ ...(deps as object), issuer: 'http://127.0.0.1', kit: deps } as AccountSecurityDeps),
    accountPage: accountRoutes({ ...(deps as object), issuer: 'http://127.0.0.1', kit: deps, createLimiter: deps } as AccountPageDeps),
    passwordReset: passwordResetRoutes({ ...(deps as object), issuer: 'http://127.0.0.1' } as PasswordResetDeps),
    // its limiters are made as the router is built: the inert dependency, called, gives another
    registration: registrationRoutes({
      ...(deps as object),
      issuer: 'http://127.0.0.1',
      registration: 'open',
      createLimiter: deps,
    } as RegistrationDeps),
  };
}

/** The page routes, from their routers (the fuzz target runs with REGISTRATION=open, so all of them answer). */
export function pageEndpoints(): Endpoint[] {
  const { signIn, account, accountPage, passwordReset, registration } = pageRouters();
  return [signIn, account, accountPage, passwordReset, registration].flatMap(routesOf).map(({ methods, path }): Endpoint => {
    const template = path.replace(/:(\w+)/g, '{$1}');
    return {
      name: `${methods.join('|')} ${template}`,
      kind: 'page',
      methods,
      path: template,
      // the interaction of the target's browser (its cookie is `{{browserCookie}}`), or another
      pathParameters: template.includes('{uid}')
        ? { uid: fc.constantFrom(ref('uid'), ref('uid'), 'no-such-interaction', ref('code')) }
        : {},
      body: methods.includes('POST') ? 'form' : 'none',
      query: methods.includes('GET')
        ? [
            { name: 'notice', plausible: fc.constantFrom('totp_added', 'passkey_added', 'name_changed', '__proto__', 'toString') },
            { name: 'token', plausible: fc.constantFrom('A'.repeat(43), '') },
            { name: 'interaction', plausible: fc.constantFrom(ref('uid'), 'x') },
            { name: 'uid', plausible: fc.constantFrom(ref('uid'), 'x') },
          ]
        : [],
      fields: methods.includes('POST') ? FORM_FIELDS : [],
    };
  });
}

/** Liveness and readiness. */
export const HEALTH_ENDPOINTS: Endpoint[] = ['/healthz', '/readyz'].map((path) => ({
  name: `GET ${path}`,
  kind: 'health',
  methods: ['GET'],
  path,
  pathParameters: {},
  body: 'none',
  query: [],
  fields: [],
}));
