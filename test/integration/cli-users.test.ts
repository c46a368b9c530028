// `portcullis users update | set-password | require-password-change | delete` as an operator runs
// them: a real subprocess, on the PostgreSQL database of a running server (which must honour each
// change on the user's very next request), and on an embedded DATA_DIR with no server.
import test, { type ExecutionContext } from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../helpers/cli-process.ts';
import { createTestClient, createUser, PASSWORD, postForm } from '../helpers/fixtures.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';
import { SignIn } from '../helpers/sign-in-flow.ts';
import { authorize } from '../helpers/user-agent.ts';

const NEW_PASSWORD = 'velvet thunder mosaic lantern';

async function json<T = any>(t: ExecutionContext, env: Record<string, string>, args: string[], stdin = ''): Promise<T> {
  const run = await runCli(env, [...args, '--json'], stdin);
  if (run.code !== 0) t.fail(`portcullis ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

async function refused(t: ExecutionContext, env: Record<string, string>, args: string[], stdin = ''): Promise<string> {
  const run = await runCli(env, args, stdin);
  t.is(run.code, 1, `portcullis ${args.join(' ')}: ${run.stderr}`);
  t.is(run.stdout, '');
  return run.stderr;
}

test.serial(
  'postgres: update with --if-match, set-password from standard input, require-password-change and delete --yes; the running server honours each at once',
  async (t) => {
    const server = await startTestServer(BACKENDS.find((backend) => backend.database === 'postgres')!);
    t.teardown(() => server.close());
    const env = { DATABASE_URL: server.config.databaseUrl!, SECRET_KEY: server.config.secretKey! };
    const client = await createTestClient(server, { firstParty: true });
    const user = await createUser(server.db, 'ada@example.com');
    await createUser(server.db, 'grace@example.com');

    // update: only what is given; booleans both ways as yes|no; the ETag `users show` prints guards it
    const shown = await runCli(env, ['users', 'show', user.email]);
    t.is(shown.code, 0, shown.stderr);
    const etag = /^etag\s+(".+")$/m.exec(shown.stdout)?.[1];
    t.truthy(etag, shown.stdout);
    const updated = await json(t, env, [
      'users',
      'update',
      user.email,
      '--name',
      'Ada Lovelace',
      '--require-mfa',
      'yes',
      '--email-verified',
      'no',
      '--if-match',
      etag!,
    ]);
    t.like(updated, { email: 'ada@example.com', name: 'Ada Lovelace', mfaRequired: true, emailVerified: false, isAdmin: false });
    t.regex(
      await refused(t, env, ['users', 'update', user.email, '--name', 'Someone', '--if-match', etag!]),
      /^error: --if-match: the object has changed since it was read/m,
    );
    t.regex(
      await refused(t, env, ['users', 'update', user.email, '--email', 'GRACE@example.com']),
      /^error: --email: an account with the email "GRACE@example.com" already exists/m,
    );
    t.regex(await refused(t, env, ['users', 'update', user.email, '--admin', 'maybe']), /^error: --admin: must be a boolean/m);
    t.regex(
      await refused(t, env, ['users', 'update', 'nobody@example.com', '--name', 'X']),
      /^error: <id-or-email>: no account with id or email "nobody@example.com"/m,
    );
    const people = await runCli(env, ['users', 'update', user.id, '--require-mfa', 'no', '--name', '']);
    t.is(people.code, 0, people.stderr);
    t.regex(people.stdout, /^Updated user\n/);
    t.regex(people.stdout, /^name\s+-$/m, '"" removed the name');
    t.regex(people.stdout, /^second factor\s+per MFA_POLICY$/m);

    // set-password: the policy refuses by name; a good one ends the sessions and, with --must-change,
    // sends the user to the change page at their next sign-in
    const before = await authorize({ issuer: server.url, clientId: client.clientId, email: user.email, scope: 'openid offline_access' });
    const tokens = await postForm(
      `${server.url}/token`,
      {
        grant_type: 'authorization_code',
        code: before.code!,
        redirect_uri: 'http://127.0.0.1:8080/callback',
        code_verifier: before.verifier,
      },
      client,
    );
    t.is(tokens.status, 200);
    t.regex(await refused(t, env, ['users', 'set-password', user.email], 'short\n'), /^error: password: must be at least 15 characters/m);
    const set = await runCli(env, ['users', 'set-password', user.email, '--must-change'], `${NEW_PASSWORD}\n`);
    t.is(set.code, 0, set.stderr);
    t.regex(
      set.stdout,
      /^Set the password of ada@example.com \(.+\); ended 1 session\(s\) and 1 grant\(s\)\nThey must choose a new password at their next sign-in\.\n$/,
    );
    t.is(
      (await postForm(`${server.url}/token`, { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string }, client))
        .body.error,
      'invalid_grant',
    );
    const flow = await SignIn.start(server.url, client.clientId);
    await flow.password(user.email, NEW_PASSWORD);
    t.regex(flow.page.url, /\/change-password$/, 'the temporary password works, and must be replaced');
    t.is(flow.page.code, undefined);

    // require-password-change on its own
    const other = await createUser(server.db);
    const required = await json(t, env, ['users', 'require-password-change', other.email]);
    t.true(required.passwordChangeRequired);
    const otherFlow = await SignIn.start(server.url, client.clientId);
    await otherFlow.password(other.email, PASSWORD);
    t.regex(otherFlow.page.url, /\/change-password$/);

    // delete: refused without --yes (also with --json), then done; the user can no longer sign in
    t.regex(await refused(t, env, ['users', 'delete', other.email]), /^error: deleting a user cannot be undone: run it again with --yes/m);
    t.regex(await refused(t, env, ['users', 'delete', other.email, '--json']), /--yes/);
    t.is((await json(t, env, ['users', 'show', other.email])).id, other.id, 'still there');
    const deleted = await runCli(env, ['users', 'delete', other.email, '--yes']);
    t.is(deleted.code, 0, deleted.stderr);
    t.regex(deleted.stdout, new RegExp(`^Deleted ${other.email} \\(${other.id}\\) with 0 session\\(s\\), 0 grant\\(s\\)`));
    t.regex(await refused(t, env, ['users', 'show', other.email]), /<id-or-email>: no account/);
    const gone = await authorize({ issuer: server.url, clientId: client.clientId, email: other.email, password: PASSWORD });
    t.is(gone.code, undefined);

    // every change audited as the operating-system user who ran the command
    await server.portcullis.audit.flush();
    const { rows } = await server.db.query<{ type: string; actor_id: string }>(
      `SELECT type, actor_id FROM audit_events WHERE type LIKE 'user.%' ORDER BY seq`,
    );
    t.deepEqual(
      rows.map((row) => row.type),
      ['user.updated', 'user.updated', 'user.password_set', 'user.password_change_required', 'user.deleted'],
    );
    t.true(rows.every((row) => row.actor_id.startsWith('cli:')));
  },
);

test.serial('embedded without a server: update, set-password and delete open DATA_DIR themselves', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-cli-users-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  const env = { DATA_DIR: dir };
  const user = await json(t, env, ['users', 'create', '--email', 'ada@example.com'], PASSWORD);
  const moved = await json(t, env, ['users', 'update', user.id, '--email', 'ada@analytical.example', '--admin', 'true']);
  t.like(moved, { email: 'ada@analytical.example', isAdmin: true, emailVerified: false });
  const set = await json(t, env, ['users', 'set-password', 'ada@analytical.example'], NEW_PASSWORD);
  t.like(set, { id: user.id, passwordChangeRequired: false, endedSessions: 0 });
  const deleted = await json(t, env, ['users', 'delete', user.id, '--yes']);
  t.like(deleted, { id: user.id, email: 'ada@analytical.example', deleted: true, sessionIds: [], grantIds: [] });
  t.deepEqual(await json(t, env, ['users', 'list']), []);
});
