// Four relying parties, each an application as its library's README builds one, with only the
// settings the README's "Use it from your app" gives: the app's home page needs a signed-in user
// and shows "Signed in as <email>", the email taken where the library puts it.
import { readFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import express, { type NextFunction, type Request, type Response } from 'express';
import session from 'express-session';
import { auth } from 'express-openid-connect';
import * as client from 'openid-client';
import passport from 'passport';
import OpenIDConnectStrategy from 'passport-openidconnect';

export interface RelyingPartyOptions {
  /** Portcullis's issuer */
  issuer: string;
  /** the app's own origin */
  app: string;
  clientId: string;
  clientSecret: string | undefined;
  /** openid-client's app calls this API with its access token (jose's API, test/interop/apis.ts) */
  api?: string;
}

declare module 'express-session' {
  interface SessionData {
    codeVerifier: string;
    signedIn: string;
  }
}

const sessions = () => session({ secret: randomBytes(32).toString('hex'), resave: false, saveUninitialized: false });

/** What went wrong, on the page, for the test's failure message. */
const showErrors = (error: Error, _request: Request, response: Response, _next: NextFunction) => {
  response.status(500).type('text/plain').send(`Sign-in failed: ${error.message}`);
};

/** Auth0's express-openid-connect: auth() with response_type code and the client secret. */
export function expressOpenidConnectApp(options: RelyingPartyOptions) {
  const app = express();
  app.use(
    auth({
      issuerBaseURL: options.issuer,
      baseURL: options.app,
      clientID: options.clientId,
      clientSecret: options.clientSecret!,
      secret: randomBytes(32).toString('hex'),
      authorizationParams: { response_type: 'code' },
    }),
  );
  app.get('/', (request, response) => {
    response.type('text/plain').send(`Signed in as ${request.oidc.user?.email}`);
  });
  app.use(showErrors);
  return app;
}

/** passport-openidconnect with express-session: the strategy's endpoints, scope email, nonce on. */
export function passportOpenidconnectApp(options: RelyingPartyOptions) {
  const authenticator = new passport.Passport();
  authenticator.use(
    new OpenIDConnectStrategy(
      {
        issuer: options.issuer,
        authorizationURL: `${options.issuer}/auth`,
        tokenURL: `${options.issuer}/token`,
        userInfoURL: `${options.issuer}/me`,
        clientID: options.clientId,
        clientSecret: options.clientSecret!,
        callbackURL: `${options.app}/callback`,
        scope: ['email'],
        // the library takes a boolean since 0.1; @types/passport-openidconnect still says string
        nonce: true as unknown as string,
      },
      (_issuer: string, profile: passport.Profile, done: (error: null, user: Express.User) => void) =>
        done(null, { email: profile.emails?.[0]?.value }),
    ),
  );
  authenticator.serializeUser((user, done) => done(null, user));
  authenticator.deserializeUser((user: Express.User, done) => done(null, user));
  const app = express();
  app.use(sessions());
  app.use(authenticator.authenticate('session'));
  app.get('/login', authenticator.authenticate('openidconnect'));
  app.get('/callback', authenticator.authenticate('openidconnect', { successRedirect: '/', failWithError: true }));
  app.get('/', (request, response) => {
    if (!request.user) {
      response.redirect('/login');
      return;
    }
    response.type('text/plain').send(`Signed in as ${(request.user as { email?: string }).email}`);
  });
  app.use(showErrors);
  return app;
}

/** openid-client 6: discovery, authorization code + PKCE for the user and an API; then the API with the access token. */
export async function openidClientApp(options: RelyingPartyOptions) {
  const config = await client.discovery(new URL(options.issuer), options.clientId, options.clientSecret, undefined, {
    // eslint-disable-next-line @typescript-eslint/no-deprecated -- marked so to stand out; tests use http on localhost
    execute: [client.allowInsecureRequests], // http on localhost only
  });
  const redirectUri = `${options.app}/callback`;
  const app = express();
  app.use(sessions());
  app.get('/', async (request, response) => {
    if (request.session.signedIn) return response.type('text/plain').send(request.session.signedIn);
    const codeVerifier = client.randomPKCECodeVerifier();
    request.session.codeVerifier = codeVerifier;
    const url = client.buildAuthorizationUrl(config, {
      redirect_uri: redirectUri,
      scope: 'openid email read',
      resource: 'https://api.example.com',
      code_challenge: await client.calculatePKCECodeChallenge(codeVerifier),
      code_challenge_method: 'S256',
    });
    response.redirect(url.href);
  });
  app.get('/callback', async (request, response) => {
    const tokens = await client.authorizationCodeGrant(config, new URL(request.originalUrl, options.app), {
      pkceCodeVerifier: request.session.codeVerifier!,
    });
    // the email is in the ID token; the access token is for the API named by `resource`, not userinfo
    const claims = tokens.claims()!;
    let shown = `Signed in as ${claims.email as string}`;
    if (options.api) {
      const answer = await client.fetchProtectedResource(config, tokens.access_token, new URL(`${options.api}/data`), 'GET');
      const body = (await answer.json().catch(() => ({}))) as { sub?: string };
      shown += `; the API answers ${answer.status} ${body.sub === claims.sub ? 'for this user' : 'for someone else'}`;
    }
    request.session.signedIn = shown;
    response.redirect('/');
  });
  app.use(showErrors);
  return app;
}

const OIDC_CLIENT_TS = readFileSync(
  fileURLToPath(import.meta.resolve('oidc-client-ts').replace(/dist\/esm\/.*$/, 'dist/browser/oidc-client-ts.min.js')),
  'utf8',
);

/** oidc-client-ts in the browser: a single-page app, public client, PKCE. */
export function oidcClientTsApp(options: RelyingPartyOptions) {
  const settings = {
    authority: options.issuer,
    client_id: options.clientId,
    redirect_uri: `${options.app}/callback`,
    scope: 'openid email',
  };
  const page = `<!doctype html><title>SPA</title><p id="out">Loading</p>
<script src="/oidc-client-ts.js"></script>
<script>
  const userManager = new oidc.UserManager(${JSON.stringify(settings)});
  const out = document.getElementById('out');
  if (location.pathname === '/callback') {
    userManager.signinRedirectCallback().then(
      (user) => { out.textContent = 'Signed in as ' + user.profile.email; },
      (error) => { out.textContent = 'Sign-in failed: ' + error.message; },
    );
  } else {
    userManager.signinRedirect();
  }
</script>`;
  const app = express();
  app.get('/oidc-client-ts.js', (_request, response) => response.type('text/javascript').send(OIDC_CLIENT_TS));
  app.get(['/', '/callback'], (_request, response) => response.type('html').send(page));
  return app;
}
