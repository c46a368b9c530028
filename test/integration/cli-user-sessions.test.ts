// `portcullis users sessions | grants | revoke-session | revoke-grant | sign-out-everywhere` as an
// operator runs them: a real subprocess on the PostgreSQL database of a running server, which must
// honour each revocation on the browser's or client's very next request.
import test, { type ExecutionContext } from 'ava';
import { runCli } from '../helpers/cli-process.ts';
import { createTestClient, createUser, postForm, REDIRECT_URI, type TestClient } from '../helpers/fixtures.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { authorize, type UserAgent } from '../helpers/user-agent.ts';

async function json<T = any>(t: ExecutionContext, env: Record<string, string>, args: string[]): Promise<T> {
  const run = await runCli(env, [...args, '--json']);
  if (run.code !== 0) t.fail(`portcullis ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

async function refused(t: ExecutionContext, env: Record<string, string>, args: string[], status = 1): Promise<string> {
  const run = await runCli(env, args);
  t.is(run.code, status, `portcullis ${args.join(' ')}: ${run.stderr}`);
  t.is(run.stdout, '');
  return run.stderr;
}

async function signIn(server: TestServer, client: TestClient, email: string, scope: string, agent?: UserAgent) {
  const flow = await authorize({ issuer: server.url, clientId: client.clientId, email, scope, ...(agent ? { agent } : {}) });
  const answer = await postForm(
    `${server.url}/token`,
    { grant_type: 'authorization_code', code: flow.code!, redirect_uri: REDIRECT_URI, code_verifier: flow.verifier },
    client,
  );
  if (answer.status !== 200) throw new Error(JSON.stringify(answer.body));
  return { agent: flow.agent, refreshToken: answer.body.refresh_token as string };
}

const silently = (server: TestServer, client: TestClient, agent: UserAgent, email: string) =>
  authorize({ issuer: server.url, clientId: client.clientId, email, scope: 'openid', agent, extra: { prompt: 'none' } });
const refresh = (server: TestServer, client: TestClient, refreshToken: string) =>
  postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: refreshToken }, client);

test.serial(
  "postgres: list a user's sessions and grants, revoke a grant, a session, then everything; the running server honours each at once",
  async (t) => {
    const server = await startTestServer(BACKENDS.find((backend) => backend.database === 'postgres')!);
    t.teardown(() => server.close());
    const env = { DATABASE_URL: server.config.databaseUrl!, SECRET_KEY: server.config.secretKey! };
    const client = await createTestClient(server, { firstParty: true });
    const user = await createUser(server.db);
    const other = await createUser(server.db);
    const laptop = await signIn(server, client, user.email, 'openid offline_access');
    const phone = await signIn(server, client, user.email, 'openid offline_access');
    await signIn(server, client, other.email, 'openid');

    // listings: for people, and as JSON
    const sessions = await json<{ id: string; amr: string[]; clients: { clientId: string; grantId: string }[] }[]>(t, env, [
      'users',
      'sessions',
      user.email,
    ]);
    t.is(sessions.length, 2);
    t.deepEqual(sessions[0]!.amr, ['pwd']);
    const shown = await runCli(env, ['users', 'sessions', user.id]);
    t.is(shown.code, 0, shown.stderr);
    t.regex(shown.stdout, /^ID\s+SIGNED IN\s+EXPIRES\s+ACR \(AMR\)\s+CLIENTS\n/);
    for (const session of sessions)
      t.regex(
        shown.stdout,
        new RegExp(`${session.id}\\s+\\d{4}-\\d\\d-\\d\\d .*urn:portcullis:acr:pwd \\(pwd\\)\\s+Test client ${client.clientId}`),
      );
    const grants = await json<{ id: string; client: { id: string }; scopes: string[] }[]>(t, env, [
      'users',
      'grants',
      '--email',
      user.email,
    ]);
    t.is(grants.length, 2);
    t.deepEqual(
      grants.map((grant) => grant.client.id),
      [client.clientId, client.clientId],
    );
    const grantList = await runCli(env, ['users', 'grants', user.email]);
    t.regex(grantList.stdout, new RegExp(`${grants[0]!.id}\\s+Test client ${client.clientId}\\s+openid, offline_access`));
    t.is((await runCli(env, ['users', 'sessions', other.email, '--json'])).stdout.includes(sessions[0]!.id), false);

    // bad input names the flag; the session of one user is not found through another
    t.regex(await refused(t, env, ['users', 'revoke-session', user.email]), /--session: is required/);
    t.regex(
      await refused(t, env, ['users', 'revoke-session', user.email, '--session', 'no such session!']),
      /--session: is not a session id/,
    );
    t.regex(await refused(t, env, ['users', 'revoke-session', other.email, '--session', sessions[0]!.id]), /--session: .* has no session/);
    t.regex(await refused(t, env, ['users', 'revoke-grant', other.email, '--grant', grants[0]!.id]), /--grant: .* has no grant/);
    t.regex(await refused(t, env, ['users', 'revoke-session', user.email, sessions[0]!.id], 2), /unexpected argument/);
    t.regex(await refused(t, env, ['users', 'grants', 'nobody@example.com']), /<id-or-email>: no account/);

    // revoke the grant of one browser's session: its refresh token is refused on the next request
    // (both signed in within a second or so: which browser is listed first does not matter)
    const [first, second] = sessions as [(typeof sessions)[0], (typeof sessions)[0]];
    const grantId = first.clients[0]!.grantId;
    t.true(grants.some((grant) => grant.id === grantId));
    const refreshes = () =>
      Promise.all([laptop, phone].map(async (browser) => (await refresh(server, client, browser.refreshToken)).status));
    t.deepEqual(await refreshes(), [200, 200]);
    const revokedGrant = await runCli(env, ['users', 'revoke-grant', user.email, '--grant', grantId]);
    t.is(revokedGrant.code, 0, revokedGrant.stderr);
    t.true(
      revokedGrant.stdout.startsWith(`Revoked grant ${grantId} of ${user.email} (${user.id}) to client ${client.clientId}`),
      revokedGrant.stdout,
    );
    t.deepEqual((await refreshes()).sort(), [200, 400], 'exactly one browser lost its grant');

    // revoke the other session: that browser must sign in again, the first stays signed in
    const ended = await json(t, env, ['users', 'revoke-session', user.email, '--session', second.id]);
    t.like(ended, { sessionId: second.id, userId: user.id, keptGrantIds: [second.clients[0]!.grantId] });
    const outcomes = await Promise.all(
      [laptop, phone].map(async (browser) => (await silently(server, client, browser.agent, user.email)).error ?? 'signed in'),
    );
    t.deepEqual(outcomes.sort(), ['login_required', 'signed in']);

    // and everything: no session or grant of the user remains, the other user keeps theirs
    const everywhere = await runCli(env, ['users', 'sign-out-everywhere', user.email]);
    t.is(everywhere.code, 0, everywhere.stderr);
    t.regex(everywhere.stdout, /^Signed .* out everywhere: ended 1 session\(s\), \d+ grant\(s\)/);
    for (const browser of [laptop, phone]) t.is((await silently(server, client, browser.agent, user.email)).error, 'login_required');
    t.deepEqual(await json(t, env, ['users', 'sessions', user.email]), []);
    t.deepEqual(await json(t, env, ['users', 'grants', user.email]), []);
    t.is((await runCli(env, ['users', 'grants', user.email])).stdout, 'No grants.\n');
    t.is((await json(t, env, ['users', 'sessions', other.email])).length, 1);

    const { rows } = await server.db.query<{ type: string; actor_id: string }>(
      `SELECT type, actor_id FROM audit_events WHERE type LIKE 'user.%' ORDER BY seq`,
    );
    t.deepEqual(
      rows.map((row) => row.type),
      ['user.grant_revoked', 'user.session_revoked', 'user.signed_out_everywhere'],
    );
    t.true(rows.every((row) => row.actor_id.startsWith('cli:')));
  },
);
