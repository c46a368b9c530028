// `users send-password-reset`: over the admin API (scopes, 404, 409 for a disabled user, audited with
// the administrator as actor) and as the CLI runs it on a server's database. The email is the one the
// sign-in page's "Forgot your password?" sends, and its link resets the password.
import test from 'ava';
import { adminTest, auditEvents } from '../helpers/admin-harness.ts';
import { runCli } from '../helpers/cli-process.ts';
import { createUser } from '../helpers/fixtures.ts';
import { emailsTo, lastEmailTo } from '../helpers/outbox.ts';
import { PasswordReset } from '../helpers/password-reset.ts';
import { BACKENDS, startTestServer } from '../helpers/server.ts';

adminTest('POST /users/{user}/send-password-reset emails the link; scopes, unknown and disabled users refused', async (t, harness) => {
  const { server } = harness;
  const admin = await harness.bootstrap();
  const token = await harness.token(admin);
  const user = await createUser(server.db);

  const sent = await harness.call('POST', `/users/${encodeURIComponent(user.email)}/send-password-reset`, { token });
  t.is(sent.status, 200, JSON.stringify(sent.body));
  t.is(sent.body.userId, user.id);
  t.is(sent.body.email, user.email);
  const expires = Date.parse(sent.body.expiresAt as string) - Date.now();
  t.true(expires > 29 * 60_000 && expires <= 30 * 60_000 + 5_000, `expires in ${expires} ms`);
  const email = await lastEmailTo(server, user.email, 'password-reset');
  t.regex(email.data.link!, new RegExp(`^${server.url}/account/reset-password\\?token=`));
  // the link works as the self-service one does
  const reset = new PasswordReset(server);
  t.is((await reset.setPassword(PasswordReset.tokenOf(email.data.link!))).status, 200);

  const events = await auditEvents(server);
  const event = events.find((row) => row.type === 'user.password_reset_sent');
  t.is(event?.actor_type, 'admin', 'the administrator is the actor');
  t.is(event?.target_id, user.id);

  // a token without admin:users may not send one
  const readOnly = await harness.token(admin, 'admin:read admin:write');
  t.is((await harness.call('POST', `/users/${user.id}/send-password-reset`, { token: readOnly })).status, 403);
  t.is((await harness.call('POST', '/users/nobody@example.com/send-password-reset', { token })).status, 404);
  // an administrator's account: only a caller holding every admin scope may start its reset
  const root = await harness.call('POST', '/users', {
    token,
    json: { email: 'root@example.com', password: 'a long enough administrator passphrase', isAdmin: true },
  });
  t.is(root.status, 201, JSON.stringify(root.body));
  const usersOnly = await harness.token(admin, 'admin:write admin:users');
  t.is((await harness.call('POST', `/users/${root.body.id}/send-password-reset`, { token: usersOnly })).status, 403);
  t.is((await emailsTo(server, 'root@example.com')).length, 0);
  const disabled = await createUser(server.db);
  await harness.call('POST', `/users/${disabled.id}/disable`, { token });
  const refused = await harness.call('POST', `/users/${disabled.id}/send-password-reset`, { token });
  t.is(refused.status, 409);
  t.is((await emailsTo(server, disabled.email)).length, 0);
});

test.serial('portcullis users send-password-reset, on the database of a running server', async (t) => {
  const server = await startTestServer(BACKENDS.find((backend) => backend.database === 'postgres')!);
  t.teardown(() => server.close());
  const env = { DATABASE_URL: server.config.databaseUrl!, SECRET_KEY: server.config.secretKey!, ISSUER: server.url };
  const user = await createUser(server.db);
  const run = await runCli(env, ['users', 'send-password-reset', user.email]);
  t.is(run.code, 0, run.stderr);
  t.regex(run.stdout, new RegExp(`^Sent a password-reset link to ${user.email.replace('.', '\\.')} \\(${user.id}\\)`));
  const email = await lastEmailTo(server, user.email, 'password-reset');
  // queued by the CLI's process, opened by the server's: the same key, the same queue
  t.is((await new PasswordReset(server).setPassword(PasswordReset.tokenOf(email.data.link!))).status, 200);
  const events = await server.db.query<{ actor_id: string }>(`SELECT actor_id FROM audit_events WHERE type = 'user.password_reset_sent'`);
  t.regex(events.rows[0]!.actor_id, /^cli:/);
});
