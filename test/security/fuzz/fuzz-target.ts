// The system under fuzzing: a real Portcullis server (test/helpers/server.ts) on one backend, with
// the objects generated requests refer to (fuzz-values.ts): an admin client and its tokens, a client
// with a user's access, refresh and ID tokens, a browser mid-sign-in with an account-page session,
// and victims for the admin API to act on. `refresh()` makes them anew when the fuzzer used them up.
import { randomBytes } from 'node:crypto';
import { runAsOperator } from '../../helpers/operator.ts';
import type { BootstrapResult } from '../../../src/admin/administrators/bootstrap-admin.ts';
import { ADMIN_AUDIENCE } from '../../../src/admin/operation/admin-scopes.ts';
import { CookieJar } from '../../helpers/cookie-jar.ts';
import {
  basicAuth,
  createResource,
  createTestClient,
  createUser,
  PASSWORD,
  postForm,
  REDIRECT_URI,
  type TestClient,
} from '../../helpers/fixtures.ts';
import { startTestServer, type BackendSetup, type TestServer } from '../../helpers/server.ts';
import { authorize, pkcePair } from '../../helpers/user-agent.ts';
import { adminEndpoints } from './admin-endpoints.ts';
import type { Endpoint } from './endpoint.ts';
import type { FuzzValues } from './fuzz-values.ts';
import { providerEndpoints } from './oauth-endpoints.ts';
import { HEALTH_ENDPOINTS, pageEndpoints } from './page-endpoints.ts';

export interface FuzzTarget {
  server: TestServer;
  backend: BackendSetup;
  /** Every endpoint, from discovery, the admin API's OpenAPI document and the page routers. */
  endpoints: Endpoint[];
  values: FuzzValues;
  refresh(): Promise<void>;
  close(): Promise<void>;
}

async function token(server: TestServer, client: TestClient, form: Record<string, string>): Promise<Record<string, unknown>> {
  const answer = await postForm(`${server.url}/token`, form, client);
  if (answer.status !== 200) throw new Error(`fuzz target: token ${JSON.stringify(form)}: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body;
}

/** A browser stopped at the sign-in page of a fresh interaction, also signed in to the account page. */
async function browserMidSignIn(server: TestServer, clientId: string, email: string): Promise<{ uid: string; cookie: string }> {
  const jar = new CookieJar();
  const query = new URLSearchParams({
    client_id: clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid',
    code_challenge: pkcePair().challenge,
    code_challenge_method: 'S256',
    state: 'fuzz',
  });
  const started = await fetch(`${server.url}/auth?${query}`, { redirect: 'manual' });
  jar.store(started.headers.getSetCookie());
  const uid = /\/interaction\/([^/?]+)/.exec(started.headers.get('location') ?? '')?.[1];
  if (!uid) throw new Error(`fuzz target: /auth did not start an interaction (${started.status})`);
  const signedIn = await fetch(`${server.url}/account/security/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: server.url, cookie: jar.header },
    body: new URLSearchParams({ email, password: PASSWORD }),
  });
  jar.store(signedIn.headers.getSetCookie());
  return { uid, cookie: jar.header };
}

async function fixtures(server: TestServer, admin: TestClient): Promise<FuzzValues> {
  // everything new each time: the fuzzer deletes and changes what it is given
  const suffix = randomBytes(4).toString('hex');
  const api = `https://api-${suffix}.example`;
  await createResource(server.db, api, ['read', 'write']);
  const client = await createTestClient(server, {
    grantTypes: ['authorization_code', 'refresh_token', 'client_credentials'],
    resources: { [api]: ['read', 'write'] },
    firstParty: true,
  });
  const publicClient = await createTestClient(server, { authMethod: 'none' });
  const victimClient = await createTestClient(server);
  const victimResource = `https://victim-${suffix}.example/api`;
  await createResource(server.db, victimResource, ['read']);
  const user = await createUser(server.db);
  const victimUser = await createUser(server.db);

  const signedIn = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid offline_access' });
  if (!signedIn.code) throw new Error(`fuzz target: no authorization code (${signedIn.error ?? signedIn.response.status})`);
  const tokens = await token(server, client, {
    grant_type: 'authorization_code',
    code: signedIn.code,
    redirect_uri: REDIRECT_URI,
    code_verifier: signedIn.verifier,
  });
  const browser = await browserMidSignIn(server, client.clientId, user.email);
  return {
    issuer: server.url,
    host: new URL(server.url).host,
    clientId: client.clientId,
    clientSecret: client.clientSecret!,
    clientBasic: basicAuth(client).slice('Basic '.length),
    publicClientId: publicClient.clientId,
    adminToken: String(
      (
        await token(server, admin, {
          grant_type: 'client_credentials',
          resource: ADMIN_AUDIENCE,
          scope: 'admin:read admin:write admin:users',
        })
      ).access_token,
    ),
    readToken: String(
      (await token(server, admin, { grant_type: 'client_credentials', resource: ADMIN_AUDIENCE, scope: 'admin:read' })).access_token,
    ),
    accessToken: String(tokens.access_token),
    refreshToken: String(tokens.refresh_token),
    idToken: String(tokens.id_token),
    code: signedIn.code, // redeemed already: a real code's lookup path
    userId: user.id,
    userEmail: user.email,
    uid: browser.uid,
    browserCookie: browser.cookie,
    api,
    victimClientId: victimClient.clientId,
    victimResource,
    victimUserId: victimUser.id,
    victimUserEmail: victimUser.email,
  };
}

export async function startFuzzTarget(backend: BackendSetup): Promise<FuzzTarget> {
  // sign-up open: the registration pages (page-endpoints.ts) are routes, not 404s
  const server = await startTestServer(backend, { env: { REGISTRATION: 'open' } });
  try {
    const { client } = (await runAsOperator(server, 'admin.bootstrap', {})) as BootstrapResult;
    const admin = { clientId: client.clientId, clientSecret: client.clientSecret };
    const discovery = (await (await fetch(`${server.url}/.well-known/openid-configuration`)).json()) as Record<string, unknown>;
    const openapi = (await (await fetch(`${server.url}/admin/v1/openapi.json`)).json()) as Record<string, unknown>;
    const target: FuzzTarget = {
      server,
      backend,
      endpoints: [...providerEndpoints(discovery), ...adminEndpoints(openapi), ...pageEndpoints(), ...HEALTH_ENDPOINTS],
      values: await fixtures(server, admin),
      async refresh() {
        target.values = await fixtures(server, admin);
      },
      close: () => server.close(),
    };
    return target;
  } catch (error) {
    await server.close();
    throw error;
  }
}
