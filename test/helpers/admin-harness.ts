// The admin API test harness: one test per deployment with a fresh server whose clock the test can
// move, a caller that checks every answer against the published OpenAPI document, and admin tokens.
import test, { type ExecutionContext } from 'ava';
import { ADMIN_AUDIENCE } from '../../src/admin/operation/admin-scopes.ts';
import type { BootstrapResult } from '../../src/admin/administrators/bootstrap-admin.ts';
import { postForm, REDIRECT_URI, type TestClient } from './fixtures.ts';
import { SignIn, totpCode } from './sign-in-flow.ts';
import { OpenApiConformance } from './openapi-conformance.ts';
import { runAsOperator } from './operator.ts';
import { BACKENDS, startTestServer, type BackendSetup, type TestServer } from './server.ts';

export const API = 'https://api.example.com';
export const ALL_SCOPES = 'admin:read admin:write admin:users';

export interface Answer {
  status: number;
  body: any;
  headers: Headers;
}

export interface Harness {
  server: TestServer;
  /** Moves the servers' clock (token expiry) forward. */
  advance(seconds: number): void;
  /** Calls the admin API; every answer is checked against the OpenAPI document. */
  call(
    method: string,
    path: string,
    options?: { token?: string; json?: unknown; body?: string; headers?: Record<string, string>; on?: TestServer },
  ): Promise<Answer>;
  /** A client-credentials token for the admin API. */
  token(client: TestClient, scope?: string): Promise<string>;
  /** The admin client `admin bootstrap` creates (through the operation, as the CLI runs it). */
  bootstrap(): Promise<TestClient>;
  conformance: OpenApiConformance;
}

/** One test per deployment, each with a fresh server whose clock the test can move. */
export function adminTest(
  title: string,
  body: (t: ExecutionContext, harness: Harness) => Promise<void>,
  options: { only?: BackendSetup['name']; env?: Record<string, string> } = {},
) {
  for (const backend of BACKENDS) {
    if (options.only && backend.name !== options.only) continue;
    test.serial(`[${backend.name}] ${title}`, async (t) => {
      let offsetMs = 0;
      const server = await startTestServer(backend, {
        now: () => new Date(Date.now() + offsetMs),
        ...(options.env ? { env: options.env } : {}),
      });
      t.teardown(() => server.close());
      const document = (await (await fetch(`${server.url}/admin/v1/openapi.json`)).json()) as Record<string, any>;
      const conformance = new OpenApiConformance(document);
      const harness: Harness = {
        server,
        conformance,
        advance: (seconds) => void (offsetMs += seconds * 1000),
        async call(method, path, options = {}) {
          const headers: Record<string, string> = {
            accept: 'application/json',
            ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
          };
          const init: RequestInit = { method, headers };
          if (options.json !== undefined) {
            headers['content-type'] = 'application/json';
            init.body = JSON.stringify(options.json);
          } else if (options.body !== undefined) init.body = options.body;
          Object.assign(headers, options.headers);
          const response = await fetch(`${(options.on ?? server).url}/admin/v1${path}`, init);
          const text = await response.text();
          const answer = { status: response.status, body: text ? JSON.parse(text) : undefined, headers: response.headers };
          conformance.check({ method, path: `/admin/v1${path}`, ...answer });
          return answer;
        },
        async token(client, scope = ALL_SCOPES) {
          const answer = await postForm(
            `${server.url}/token`,
            { grant_type: 'client_credentials', resource: ADMIN_AUDIENCE, scope },
            client,
          );
          if (answer.status !== 200) throw new Error(`token: ${JSON.stringify(answer.body)}`);
          return answer.body.access_token as string;
        },
        async bootstrap() {
          const { client } = (await runAsOperator(server, 'admin.bootstrap', {})) as BootstrapResult;
          return { clientId: client.clientId, clientSecret: client.clientSecret };
        },
      };
      await body(t, harness);
      t.true(conformance.checked > 0);
      t.deepEqual(conformance.problems, [], 'every answer conforms to the OpenAPI document');
    });
  }
}

export async function auditEvents(server: TestServer) {
  await server.portcullis.audit.flush();
  const { rows } = await server.db.query<{ type: string; actor_type: string | null; actor_id: string | null; target_id: string | null }>(
    'SELECT type, actor_type, actor_id, target_id FROM audit_events ORDER BY seq',
  );
  return rows;
}

/** A user's admin-audience token through a first-party client (password, and a TOTP code when given). */
export async function adminUserToken(harness: Harness, email: string, client: TestClient, totpSecret?: string): Promise<string> {
  const { server } = harness;
  const flow = await SignIn.start(server.url, client.clientId, { scope: `openid ${ALL_SCOPES}`, resource: ADMIN_AUDIENCE });
  await flow.password(email);
  if (totpSecret) await flow.submit('/second-factor/totp', { code: totpCode(totpSecret) });
  if (!flow.page.code) throw new Error(`no code: ${flow.page.url} ${flow.page.error ?? ''}`);
  const answer = await postForm(
    `${server.url}/token`,
    {
      grant_type: 'authorization_code',
      code: flow.page.code,
      redirect_uri: REDIRECT_URI,
      code_verifier: flow.verifier,
      resource: ADMIN_AUDIENCE,
    },
    client,
  );
  if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
  return answer.body.access_token as string;
}
