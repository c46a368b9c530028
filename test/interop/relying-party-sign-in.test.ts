// Real sign-ins through the relying-party libraries people use (test/interop/relying-parties.ts),
// each registered with the README's own command: a headless Chromium opens the app's home page, is
// sent to Portcullis, signs in, consents, comes back, and the app shows the user's email.
import test, { type ExecutionContext } from 'ava';
import type { Browser } from 'playwright-core';
import { launchChromium, watchPageProblems } from '../helpers/browser.ts';
import {
  createdClient,
  createUserWithCli,
  listenForApp,
  signInAndConsent,
  startPortcullis,
  type InteropPortcullis,
} from '../helpers/interop.ts';
import { BACKENDS, type BackendSetup } from '../helpers/server.ts';
import { joseApi } from './apis.ts';
import { README_COMMANDS } from './readme-commands.ts';
import {
  expressOpenidConnectApp,
  oidcClientTsApp,
  openidClientApp,
  passportOpenidconnectApp,
  type RelyingPartyOptions,
} from './relying-parties.ts';

let browser: Browser | undefined;
test.before(async () => {
  browser = await launchChromium();
});

/** One Portcullis per backend for the whole file, with the README's API (openid-client calls it). */
const deployments = new Map<string, Promise<InteropPortcullis>>();
const deployment = (backend: BackendSetup) => {
  if (!deployments.has(backend.name)) {
    deployments.set(
      backend.name,
      startPortcullis(backend).then(async (portcullis) => {
        await portcullis.cli(README_COMMANDS.api);
        return portcullis;
      }),
    );
  }
  return deployments.get(backend.name)!;
};

test.after.always(async () => {
  await browser?.close();
  for (const pending of deployments.values()) await (await pending.catch(() => undefined))?.close();
});

type AppFactory = (
  options: RelyingPartyOptions,
) =>
  | Parameters<Awaited<ReturnType<typeof listenForApp>>['serve']>[0]
  | Promise<Parameters<Awaited<ReturnType<typeof listenForApp>>['serve']>[0]>;

async function signIn(
  t: ExecutionContext,
  backend: BackendSetup,
  command: string,
  makeApp: AppFactory,
  expected: (email: string) => string,
) {
  const portcullis = await deployment(backend);
  const app = await listenForApp();
  t.teardown(() => app.close());
  const { clientId, clientSecret } = createdClient(await portcullis.cli(command, { app: app.url }));
  const user = await createUserWithCli(portcullis);

  let api: string | undefined;
  if (makeApp === openidClientApp) {
    const apiServer = await listenForApp();
    t.teardown(() => apiServer.close());
    apiServer.serve(joseApi({ issuer: portcullis.url, audience: 'https://api.example.com', algorithm: 'ES256' }));
    api = apiServer.url;
  }
  app.serve(await makeApp({ issuer: portcullis.url, app: app.url, clientId, clientSecret, ...(api ? { api } : {}) }));

  const context = await browser!.newContext();
  t.teardown(() => context.close());
  const page = await context.newPage();
  page.setDefaultTimeout(30_000);
  const problems = watchPageProblems(page);
  await page.goto(app.url);
  await signInAndConsent(page, portcullis.url, user.email);
  await page.waitForURL((url) => url.origin === app.url && url.pathname !== '/login');
  // the app's answer, once it has one (the single-page app writes it after its callback's fetches)
  await page.getByText(/Signed in as|failed/).waitFor();
  t.is((await page.locator('body').innerText()).trim(), expected(user.email));
  t.deepEqual(problems, [], 'no script errors in the browser');
}

const LIBRARIES: { name: string; command: string; app: AppFactory; expected?: (email: string) => string }[] = [
  { name: 'express-openid-connect', command: README_COMMANDS.expressOpenidConnect, app: expressOpenidConnectApp },
  {
    name: 'passport-openidconnect (--pkce optional, nonce)',
    command: README_COMMANDS.passportOpenidconnect,
    app: passportOpenidconnectApp,
  },
  {
    name: 'openid-client (then its access token at an API)',
    command: README_COMMANDS.openidClient,
    app: openidClientApp,
    expected: (email) => `Signed in as ${email}; the API answers 200 for this user`,
  },
  { name: 'oidc-client-ts (a single-page app)', command: README_COMMANDS.oidcClientTs, app: oidcClientTsApp },
];

for (const backend of BACKENDS) {
  for (const library of LIBRARIES) {
    test(
      `${library.name} signs a user in and shows their email (${backend.name})`,
      signIn,
      backend,
      library.command,
      library.app,
      library.expected ?? ((email) => `Signed in as ${email}`),
    );
  }
}
