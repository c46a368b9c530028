// The server as operators run it: `src/main.ts` in its own process.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import test from 'ava';
import { BACKENDS, startTestServer } from '../helpers/server.ts';
import { createResource, createTestClient, createUser, PASSWORD, postForm, REDIRECT_URI } from '../helpers/fixtures.ts';
import { freePort, startServerProcess } from '../helpers/server-process.ts';
import { authorize, UserAgent } from '../helpers/user-agent.ts';
import { startMailCatcher } from '../helpers/mail-catcher.ts';

const tempDataDir = (t: { teardown: (fn: () => void) => void }) => {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-data-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
};

const kidsOf = async (url: string) =>
  ((await (await fetch(`${url}/jwks`)).json()) as { keys: { kid: string }[] }).keys.map((key) => key.kid).sort();

test.serial(
  'embedded: starts with no database, generates its secret once, keeps keys across restarts, one process per DATA_DIR',
  async (t) => {
    const dataDir = tempDataDir(t);
    const first = await startServerProcess({ DATA_DIR: dataDir, PORTCULLIS_BANNER: 'on' }, { timeoutMs: 90_000 });
    t.teardown(() => void first.stop());
    const discovery = (await (await fetch(`${first.url}/.well-known/openid-configuration`)).json()) as { issuer: string };
    t.regex(discovery.issuer, /^http:\/\/localhost:\d+$/);
    t.regex(first.output(), /SECRET_KEY is not set/);
    t.regex(first.output(), /npx portcullis clients create/, 'prints the next steps');
    const secret = readFileSync(join(dataDir, 'secret.key'), 'utf8');
    const kids = await kidsOf(first.url);

    const rival = await startServerProcess({ DATA_DIR: dataDir }).then(
      (started) => started.stop().then(() => 'started'),
      (error: unknown) => (error as Error).message,
    );
    t.regex(rival, /in use by another Portcullis process/);

    t.is(await first.stop(), 0);
    const second = await startServerProcess({ DATA_DIR: dataDir }, { timeoutMs: 90_000 });
    t.teardown(() => void second.stop());
    t.deepEqual(await kidsOf(second.url), kids, 'same signing keys after a restart');
    t.is(readFileSync(join(dataDir, 'secret.key'), 'utf8'), secret);
    t.is(await second.stop(), 0);
  },
);

test.serial('SIGTERM lets an in-flight request finish, then exits 0', async (t) => {
  const dataDir = tempDataDir(t);
  const server = await startServerProcess({ DATA_DIR: dataDir }, { timeoutMs: 90_000 });
  t.teardown(() => void server.stop());
  const { port } = new URL(server.url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.on('error', (error) => t.fail(`connection failed: ${error.message}`));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  let response = '';
  const continued = new Promise<void>((resolve) =>
    socket.on('data', (chunk: Buffer) => {
      response += chunk.toString();
      if (response.includes('100 Continue')) resolve();
    }),
  );
  const ended = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  const body = 'grant_type=client_credentials&client_id=nobody&client_secret=x';
  // Expect: 100-continue makes the server confirm it is handling the request before the body.
  socket.write(
    `POST /token HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n`,
  );
  await continued;
  const exited = server.stop();
  // the request is still open while the server drains: complete it now
  socket.write(body);
  await ended;
  response = response.replace(/^HTTP\/1\.1 100 Continue\r\n\r\n/, '');
  t.regex(response, /^HTTP\/1\.1 401/);
  t.regex(response, /invalid_client/);
  t.is(await exited, 0);
  t.regex(server.output(), /"msg":"stopped"/);
});

test.serial('debug logs, stores and the audit trail never contain a password, secret, code or token', async (t) => {
  const primary = await startTestServer(BACKENDS.find((backend) => backend.name === 'postgres+redis')!);
  t.teardown(() => primary.close());
  // the process delivers its email (the reset link below) to a real SMTP server, as in production
  const mail = await startMailCatcher();
  t.teardown(() => mail.close());
  // the process is its own issuer (every URL it publishes is built from ISSUER), on the primary's stores
  const port = await freePort();
  const server = await startServerProcess({
    PORT: String(port),
    ISSUER: `http://127.0.0.1:${port}`,
    DATABASE_URL: primary.config.databaseUrl!,
    REDIS_URL: primary.config.redisUrl!,
    SECRET_KEY: primary.config.secretKey!,
    SMTP_URL: mail.url,
    LOG_LEVEL: 'debug',
  });
  t.teardown(() => void server.stop());
  const url = server.url;
  await createResource(primary.db, 'https://api.example.com', ['read']);
  const client = await createTestClient(primary, { resources: { 'https://api.example.com': ['read'] } });
  const user = await createUser(primary.db);
  const flow = await authorize({
    issuer: url,
    clientId: client.clientId,
    email: user.email,
    scope: 'openid offline_access read',
    resource: 'https://api.example.com',
  });
  t.truthy(flow.code, flow.pages.at(-1));
  const tokens = await postForm(
    `${url}/token`,
    {
      grant_type: 'authorization_code',
      code: flow.code!,
      redirect_uri: REDIRECT_URI,
      code_verifier: flow.verifier,
      resource: 'https://api.example.com',
    },
    client,
  );
  t.is(tokens.status, 200);
  const refreshed = await postForm(
    `${url}/token`,
    { grant_type: 'refresh_token', refresh_token: tokens.body.refresh_token as string },
    client,
  );
  await postForm(`${url}/token/introspection`, { token: tokens.body.access_token as string }, client);
  t.is(refreshed.status, 200);
  // a forgotten password: the link's token travels in a URL (the email's link) and in forms
  // (another user's: the first one's refresh token must stay live for the check of the stores below)
  const resetUser = await createUser(primary.db);
  const browser = new UserAgent();
  const form = (fields: Record<string, string>) => ({
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: url },
    body: new URLSearchParams(fields),
  });
  t.is((await browser.request(`${url}/account/forgot-password`, form({ email: resetUser.email }))).status, 200);
  const link = /https?:\/\/\S+\/account\/reset-password\?token=[\w-]+/.exec((await mail.waitFor(resetUser.email)).text)![0];
  const resetToken = new URL(link).searchParams.get('token')!;
  t.is((await browser.request(link)).status, 200);
  // a request the server refuses (an unknown sub-path) logs its line too
  await browser.request(`${url}/account/reset-password/nowhere?token=${resetToken}`);
  const newPassword = 'a new password for the process test';
  const reset = await browser.request(
    `${url}/account/reset-password`,
    form({ token: resetToken, password: newPassword, confirmation: newPassword }),
  );
  t.is(reset.status, 200);
  await server.stop();

  const secrets = {
    password: PASSWORD,
    clientSecret: client.clientSecret!,
    code: flow.code!,
    verifier: flow.verifier,
    accessToken: tokens.body.access_token as string,
    refreshToken: tokens.body.refresh_token as string,
    idToken: tokens.body.id_token as string,
    secretKey: primary.config.secretKey!,
    resetToken,
    newPassword,
  };
  const logs = server.output();
  t.true(logs.split('\n').filter(Boolean).length > 10, 'debug logging produced output');
  // the refresh token is still live: its record exists, but under a hash, without its value
  const { rows } = await primary.db.query<{ dump: string; tokens: number }>(
    `SELECT string_agg(t::text, ' ') AS dump, count(*) FILTER (WHERE kind = 'RefreshToken')::int AS tokens FROM oidc_models t`,
  );
  t.is(rows[0]?.tokens, 1);
  const redisKeys = await primary.stores.redis!.keys(`${primary.stores.redisPrefix}*`);
  const redisValues = await Promise.all(
    redisKeys.map(async (key) => `${key} ${JSON.stringify(await primary.stores.redis!.hgetall(key).catch(() => ({})))}`),
  );
  const audit = await primary.db.query<{ dump: string; events: number }>(
    `SELECT string_agg(a::text, ' ') AS dump, count(*)::int AS events FROM audit_events a`,
  );
  t.true((audit.rows[0]?.events ?? 0) >= 4, 'the process recorded its audit events and flushed them on shutdown');
  // the reset link is kept as the hash of its token, and its email sealed in the outbox (emptied once sent)
  const selfService = await primary.db.query<{ dump: string }>(
    `SELECT concat((SELECT string_agg(l::text, ' ') FROM account_links l), ' ', (SELECT string_agg(o::text, ' ') FROM email_outbox o)) AS dump`,
  );
  const stored = `${rows[0]?.dump ?? ''} ${redisValues.join(' ')} ${audit.rows[0]?.dump ?? ''} ${selfService.rows[0]?.dump ?? ''}`;
  for (const [name, value] of Object.entries(secrets)) {
    t.false(logs.includes(value), `${name} appears in the logs`);
    t.false(stored.includes(value), `${name} appears in the database`);
  }
});
