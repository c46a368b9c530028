// The `portcullis` CLI as a user runs it: a real subprocess, against (1) PostgreSQL, (2) an embedded
// DATA_DIR with no server, (3) an embedded DATA_DIR while a server holds it (through its socket).
// The tests run one after another: each spawns many processes, and a server must start in time.
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { setTimeout as sleep } from 'node:timers/promises';
import { callControlServer } from '../../src/admin/control/control-client.ts';
import { CliError, runCommand } from '../../src/admin/cli/cli-runner.ts';
import { startControlServer } from '../../src/admin/control/control-server.ts';
import { parseConfig } from '../../src/config.ts';
import { createLogger } from '../../src/observability/logger.ts';
import { createAuditTrail } from '../../src/security/audit/audit-writer.ts';
import { deriveKeys } from '../../src/security/derived-keys.ts';
import { controlSocketPath } from '../../src/storage/data-dir.ts';
import { createTestDatabase } from '../helpers/stores.ts';
import { childEnv, runCli } from '../helpers/cli-process.ts';
import { SIGNING_ALGORITHMS } from '../../src/security/signing-algorithms.ts';

const MAIN = fileURLToPath(new URL('../../src/main.ts', import.meta.url));
const PASSWORD = 'correct horse battery staple';

const cli = runCli;

/** Runs a command that must succeed with --json and returns its parsed result. */
async function json<T = any>(t: ExecutionContext, env: Record<string, string>, args: string[], stdin = ''): Promise<T> {
  const run = await cli(env, [...args, '--json'], stdin);
  if (run.code !== 0) t.fail(`portcullis ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

/** Runs a command that must be refused with exit status 1; returns its stderr. */
async function refused(t: ExecutionContext, env: Record<string, string>, args: string[], stdin = ''): Promise<string> {
  const run = await cli(env, args, stdin);
  t.is(run.code, 1, `portcullis ${args.join(' ')}: ${run.stderr}`);
  t.is(run.stdout, '');
  return run.stderr;
}

async function postgresDatabase(t: ExecutionContext) {
  const database = await createTestDatabase('postgres');
  t.teardown(() => database.dispose());
  return { db: database.db, env: { DATABASE_URL: database.url!, SECRET_KEY: randomBytes(32).toString('hex') } };
}

const postgresEnv = async (t: ExecutionContext): Promise<Record<string, string>> => (await postgresDatabase(t)).env;

async function tempDataDir(t: ExecutionContext): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'portcullis-cli-'));
  t.teardown(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

const API = 'https://api.example.com';

// ---------------------------------------------------------------- usage

test.serial('usage: help exits 0, unknown commands and flags exit 2', async (t) => {
  const help = await cli({}, ['help']);
  t.is(help.code, 0);
  t.regex(help.stdout, /clients create/);
  t.regex(help.stdout, /keys rotate/);
  const commandHelp = await cli({}, ['clients', 'create', '--help']);
  t.is(commandHelp.code, 0);
  t.regex(commandHelp.stdout, /--redirect-uri <uri>/);

  for (const args of [
    [],
    ['frobnicate'],
    ['clients', 'frobnicate'],
    ['clients', 'list', '--bogus'],
    ['clients', 'show'],
    ['keys', 'list', 'extra'],
  ]) {
    const run = await cli({}, args);
    t.is(run.code, 2, args.join(' '));
    t.regex(run.stderr, /^portcullis: /, args.join(' '));
  }
  t.regex((await cli({}, ['clients', 'list', '--bogus'])).stderr, /unknown option --bogus/);
});

// ---------------------------------------------------------------- PostgreSQL

test.serial('postgres: SECRET_KEY is required, with a clear message', async (t) => {
  const env = await postgresEnv(t);
  const stderr = await refused(t, { DATABASE_URL: env.DATABASE_URL! }, ['clients', 'list']);
  t.regex(stderr, /SECRET_KEY is required with DATABASE_URL/);
  t.deepEqual(await json(t, { DATABASE_URL: env.DATABASE_URL! }, ['migrate']), { applied: [] });
});

test.serial('postgres: resources create, list, show, delete', async (t) => {
  const env = await postgresEnv(t);
  const created = await json(t, env, [
    'resources',
    'create',
    '--identifier',
    API,
    '--name',
    'Example API',
    '--scope',
    'read',
    '--scope',
    'write=Change things',
    '--token-ttl',
    '600',
  ]);
  t.like(created, { identifier: API, name: 'Example API', tokenTtl: 600 });
  t.deepEqual(created.scopes, [
    { name: 'read', description: '' },
    { name: 'write', description: 'Change things' },
  ]);

  await json(t, env, ['resources', 'create', '--identifier', 'urn:example:reports']);
  const list = await json<{ identifier: string }[]>(t, env, ['resources', 'list']);
  // the admin API is registered like every other API (migration 0005)
  t.deepEqual(
    list.map((server) => server.identifier),
    [API, 'urn:example:reports', 'urn:portcullis:admin'],
  );
  t.like(await json(t, env, ['resources', 'show', API]), { identifier: API, tokenTtl: 600 });

  const human = await cli(env, ['resources', 'list']);
  t.is(human.code, 0);
  t.regex(human.stdout, /IDENTIFIER\s+NAME\s+SCOPES/);
  t.regex(human.stdout, /https:\/\/api\.example\.com\s+Example API\s+read write\s+600 s/);

  t.regex(await refused(t, env, ['resources', 'create', '--identifier', API]), /--identifier: .*already exists/);
  t.regex(await refused(t, env, ['resources', 'create', '--identifier', 'api.example.com']), /--identifier: .*absolute URI/);
  t.regex(await refused(t, env, ['resources', 'create', '--identifier', 'https://x.example/#a']), /--identifier: .*fragment/);
  t.regex(await refused(t, env, ['resources', 'create', '--identifier', 'https://x.example', '--scope', 'openid']), /--scope: "openid"/);
  t.regex(
    await refused(t, env, ['resources', 'create', '--identifier', 'https://x.example', '--token-ttl', '10']),
    /--token-ttl: must be at least 30/,
  );
  t.regex(await refused(t, env, ['resources', 'create', '--identifier', 'https://x.example', '--token-ttl', 'soon']), /--token-ttl: /);
  t.regex(await refused(t, env, ['resources', 'create']), /--identifier: is required/);

  t.deepEqual(await json(t, env, ['resources', 'delete', API]), { identifier: API, deleted: true });
  t.regex(await refused(t, env, ['resources', 'show', API]), /no resource server/);
  t.regex(await refused(t, env, ['resources', 'delete', API]), /no resource server/);
});

test.serial('postgres: clients create shows the secret once; list and show never do; delete', async (t) => {
  const env = await postgresEnv(t);
  await json(t, env, ['resources', 'create', '--identifier', API, '--scope', 'read', '--scope', 'write']);
  await json(t, env, ['resources', 'create', '--identifier', 'https://billing.example.com', '--scope', 'read', '--scope', 'invoices']);

  const web = await json(t, env, [
    'clients',
    'create',
    '--name',
    'My app',
    '--grant-type',
    'authorization_code',
    '--grant-type',
    'refresh_token',
    '--redirect-uri',
    'http://localhost:8080/callback',
    '--redirect-uri',
    'https://app.example.com/cb',
    '--post-logout-redirect-uri',
    'https://app.example.com/',
    '--resource',
    API,
    '--resource',
    'https://billing.example.com',
    '--scope',
    'read',
    '--scope',
    'invoices',
    '--first-party',
  ]);
  t.regex(web.clientId, /^[\w-]{22}$/);
  t.regex(web.clientSecret, /^[\w-]{43}$/); // 256 bits, base64url
  t.like(web, { name: 'My app', authMethod: 'client_secret_basic', firstParty: true, grantTypes: ['authorization_code', 'refresh_token'] });
  t.deepEqual(web.resources, { [API]: ['read'], 'https://billing.example.com': ['read', 'invoices'] });

  const shown = await cli(env, ['clients', 'show', web.clientId, '--json']);
  const listed = await cli(env, ['clients', 'list', '--json']);
  const humanShow = await cli(env, ['clients', 'show', web.clientId]);
  const humanList = await cli(env, ['clients', 'list']);
  for (const run of [shown, listed, humanShow, humanList]) {
    t.is(run.code, 0, run.stderr);
    t.false(run.stdout.includes(web.clientSecret), 'the secret is never shown again');
    t.false(/secret_?hash|hmac-sha256/i.test(run.stdout), 'nor its hash');
  }
  t.like(JSON.parse(shown.stdout), {
    clientId: web.clientId,
    redirectUris: ['http://localhost:8080/callback', 'https://app.example.com/cb'],
  });
  t.false('clientSecret' in JSON.parse(shown.stdout));
  t.deepEqual(
    (JSON.parse(listed.stdout) as { clientId: string }[]).map((client) => client.clientId),
    [web.clientId],
  );
  t.regex(humanShow.stdout, /client_id\s+\S+/);

  // Human output of create: the secret once, with a warning.
  const service = await cli(env, [
    'clients',
    'create',
    '--name',
    'Worker',
    '--grant-type',
    'client_credentials',
    '--resource',
    API,
    '--scope',
    'write',
  ]);
  t.is(service.code, 0, service.stderr);
  t.regex(service.stdout, /client_secret\s+[\w-]{43}/);
  t.regex(service.stderr, /shown only this once/);

  const pub = await json(t, env, [
    'clients',
    'create',
    '--name',
    'SPA',
    '--auth-method',
    'none',
    '--redirect-uri',
    'https://spa.example.com/cb',
  ]);
  t.false('clientSecret' in pub);
  t.is(pub.authMethod, 'none');
  const native = await json(t, env, [
    'clients',
    'create',
    '--name',
    'Phone',
    '--auth-method',
    'none',
    '--redirect-uri',
    'com.example.app:/cb',
  ]);
  t.is(native.applicationType, 'native');
  const pkjwt = await json(t, env, [
    'clients',
    'create',
    '--name',
    'Signed',
    '--grant-type',
    'client_credentials',
    '--auth-method',
    'private_key_jwt',
    '--jwks-uri',
    'https://keys.example.com/jwks',
  ]);
  t.false('clientSecret' in pkjwt);
  t.is(pkjwt.jwksUri, 'https://keys.example.com/jwks');

  t.deepEqual(await json(t, env, ['clients', 'delete', web.clientId]), { clientId: web.clientId, deleted: true });
  t.regex(await refused(t, env, ['clients', 'show', web.clientId]), /no client/);
  t.is((await json<unknown[]>(t, env, ['clients', 'list'])).length, 4);
});

test.serial('postgres: bad client input exits 1 with a message naming the flag', async (t) => {
  const env = await postgresEnv(t);
  await json(t, env, ['resources', 'create', '--identifier', API, '--scope', 'read']);
  const create = (...args: string[]) => refused(t, env, ['clients', 'create', '--name', 'App', ...args]);

  t.regex(await refused(t, env, ['clients', 'create', '--redirect-uri', 'https://a.example/cb']), /--name: is required/);
  t.regex(await create('--redirect-uri', 'http://app.example.com/cb'), /--redirect-uri: "http:\/\/app\.example\.com\/cb" must use https/);
  t.regex(await create('--redirect-uri', 'https://*.example.com/cb'), /--redirect-uri: .*wildcard/);
  t.regex(await create('--redirect-uri', 'https://app.example.com/cb#x'), /--redirect-uri: .*fragment/);
  t.regex(await create('--redirect-uri', '/cb'), /--redirect-uri: .*absolute/);
  t.regex(await create(), /--redirect-uri: .*at least one redirect URI/);
  t.regex(await create('--grant-type', 'implicit', '--redirect-uri', 'https://a.example/cb'), /--grant-type: must be one of/);
  t.regex(await create('--grant-type', 'client_credentials', '--auth-method', 'none'), /--grant-type: .*public client/);
  t.regex(await create('--grant-type', 'client_credentials', '--auth-method', 'magic'), /--auth-method: must be one of/);
  t.regex(await create('--grant-type', 'client_credentials', '--auth-method', 'private_key_jwt'), /--jwks-uri: /);
  t.regex(
    await create('--grant-type', 'client_credentials', '--auth-method', 'private_key_jwt', '--jwks-uri', 'http://k.example/jwks'),
    /--jwks-uri: .*https/,
  );
  t.regex(
    await create('--grant-type', 'client_credentials', '--resource', 'https://nope.example.com'),
    /--resource: .*"https:\/\/nope\.example\.com"/,
  );
  t.regex(await create('--grant-type', 'client_credentials', '--resource', API, '--scope', 'delete'), /--scope: unknown scope "delete"/);
  t.regex(await create('--grant-type', 'client_credentials', '--scope', 'read'), /--scope: unknown scope "read"/);
  t.deepEqual(await json(t, env, ['clients', 'list']), [], 'nothing was written');
});

test.serial('postgres: users create, list, show, disable, enable; duplicates and weak passwords refused', async (t) => {
  const { db, env } = await postgresDatabase(t);
  const created = await json(t, env, ['users', 'create', '--email', '  ada@example.com ', '--name', 'Ada'], `${PASSWORD}\n`);
  t.like(created, { email: 'ada@example.com', name: 'Ada', disabled: false });
  t.false(JSON.stringify(created).includes('argon2'), 'no password hash in the output');
  const viaFlag = await json(t, env, ['users', 'create', '--email', 'Bob@Example.com', '--password', PASSWORD]);
  t.is(viaFlag.email, 'Bob@Example.com');

  t.regex(await refused(t, env, ['users', 'create', '--email', 'ADA@example.com'], PASSWORD), /--email: .*already exists/);
  t.regex(await refused(t, env, ['users', 'create', '--email', 'carol@example.com'], 'short'), /password: must be at least 15 characters/);
  t.regex(await refused(t, env, ['users', 'create', '--email', 'not-an-email'], PASSWORD), /--email: must be a valid email address/);
  t.regex(await refused(t, env, ['users', 'create'], PASSWORD), /--email: is required/);

  const list = await json<{ email: string }[]>(t, env, ['users', 'list']);
  t.deepEqual(
    list.map((user) => user.email),
    ['ada@example.com', 'Bob@Example.com'],
  );
  t.like(await json(t, env, ['users', 'show', created.id]), { email: 'ada@example.com' });
  t.like(await json(t, env, ['users', 'show', 'ADA@EXAMPLE.COM']), { id: created.id });
  t.like(await json(t, env, ['users', 'show', '--email', 'ada@example.com']), { id: created.id });

  // Disabling ends the user's sessions, grants and refresh tokens, and nobody else's.
  for (const [kind, id, accountId] of [
    ['Session', 's1', created.id],
    ['Grant', 'g1', created.id],
    ['RefreshToken', 'r1', created.id],
    ['Session', 's2', viaFlag.id],
  ]) {
    await db.query('INSERT INTO oidc_models (kind, id, payload) VALUES ($1, $2, $3::jsonb)', [kind, id, JSON.stringify({ accountId })]);
  }
  t.like(await json(t, env, ['users', 'disable', 'ada@example.com']), { id: created.id, disabled: true, revoked: 3 });
  t.deepEqual((await db.query<{ id: string }>('SELECT id FROM oidc_models ORDER BY id')).rows, [{ id: 's2' }]);
  t.like(await json(t, env, ['users', 'show', created.id]), { disabled: true });
  t.like(await json(t, env, ['users', 'enable', created.id]), { id: created.id, disabled: false });
  t.regex(await refused(t, env, ['users', 'show', 'nobody@example.com']), /no account/);
});

test.serial('postgres: keys rotate changes the current kid and keeps the old one published', async (t) => {
  const env = await postgresEnv(t);
  interface Key {
    kid: string;
    alg: string;
    state: string;
    removeAfter: string | null;
  }
  const before = await json<Key[]>(t, env, ['keys', 'list']);
  const current = (keys: Key[], alg: string) => keys.find((key) => key.alg === alg && key.state === 'current')!;
  const next = (keys: Key[], alg: string) => keys.find((key) => key.alg === alg && key.state === 'next')!;
  t.truthy(current(before, 'ES256'));
  t.truthy(next(before, 'ES256'));

  const after = await json<Key[]>(t, env, ['keys', 'rotate']);
  for (const alg of ['ES256', 'RS256']) {
    t.not(current(after, alg).kid, current(before, alg).kid, alg);
    t.is(current(after, alg).kid, next(before, alg).kid, `${alg}: the published next key signs now`);
    const retired = after.find((key) => key.kid === current(before, alg).kid)!;
    t.is(retired.state, 'retired');
    // Kept until the longest token it can have signed expires: a client's ID tokens (and an API's
    // access tokens) may live a day, so a day + 60 s, whatever today's settings are.
    const keptFor = (Date.parse(retired.removeAfter!) - Date.now()) / 1000;
    t.true(keptFor > 86_400 && keptFor <= 86_460 + 5, String(keptFor));
  }
  t.deepEqual(await json<Key[]>(t, env, ['keys', 'list']), after);
});

// ---------------------------------------------------------------- embedded, no server

test.serial('embedded without a server: the CLI opens DATA_DIR itself under the lock and releases it', async (t) => {
  const dir = await tempDataDir(t);
  const env = { DATA_DIR: dir };
  await json(t, env, ['resources', 'create', '--identifier', API, '--scope', 'read']);
  const client = await json(t, env, [
    'clients',
    'create',
    '--name',
    'Worker',
    '--grant-type',
    'client_credentials',
    '--resource',
    API,
    '--scope',
    'read',
  ]);
  t.regex(client.clientSecret, /^[\w-]{43}$/);
  const user = await json(t, env, ['users', 'create', '--email', 'ada@example.com'], PASSWORD);
  t.is(user.email, 'ada@example.com');

  // Everything persisted across processes, and each process let go of the data directory.
  const clients = await json<{ clientId: string; resources: Record<string, string[]> }[]>(t, env, ['clients', 'list']);
  t.deepEqual(
    clients.map((item) => item.clientId),
    [client.clientId],
  );
  t.false(JSON.stringify(clients).includes(client.clientSecret));
  t.true(existsSync(join(dir, 'pgdata')));
  t.true(existsSync(join(dir, 'secret.key')), 'the generated secret, as the server would use it');
  t.false(existsSync(join(dir, 'portcullis.lock')), 'the lock is released');
  t.false(existsSync(join(dir, 'portcullis.sock')));

  const keys = await json<{ state: string }[]>(t, env, ['keys', 'list']);
  t.is(keys.filter((key) => key.state === 'current').length, SIGNING_ALGORITHMS.length, 'one current key per algorithm');
  t.deepEqual(await json(t, env, ['migrate']), { applied: [] });
  t.false(existsSync(join(dir, 'portcullis.lock')));
});

test.serial('embedded: a live process holding DATA_DIR without answering is reported as a starting server', async (t) => {
  const dir = await tempDataDir(t);
  writeFileSync(join(dir, 'portcullis.lock'), String(process.pid)); // alive, and no socket
  const parsed = parseConfig({ DATA_DIR: dir });
  if (!parsed.ok) return t.fail(parsed.problems.join());
  const error = await t.throwsAsync(runCommand(parsed.config, 'users.list', {}, { busyWaitMs: 300 }), { instanceOf: CliError });
  t.regex(error?.message ?? '', /server is starting.*retry/);
  t.false(existsSync(join(dir, 'pgdata')), 'the database files were never opened');
});

// ---------------------------------------------------------------- the control socket itself

function rawRequest(
  socketPath: string,
  options: { method?: string; path: string; type?: string; body?: string | Buffer },
): Promise<{ status: number; body: any }> {
  return new Promise((resolve, reject) => {
    const req = request(
      { socketPath, path: options.path, method: options.method ?? 'POST', headers: options.type ? { 'content-type': options.type } : {} },
      (res) => {
        let text = '';
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined }));
      },
    );
    req.on('error', reject);
    req.end(options.body);
  });
}

test.serial('control socket: owner-only, JSON in and out, 4xx for bad requests and refusals', async (t) => {
  const dir = await tempDataDir(t);
  const database = await createTestDatabase('pglite');
  t.teardown(() => database.dispose());
  const parsed = parseConfig({ DATA_DIR: dir, SECRET_KEY: randomBytes(32).toString('hex') });
  if (!parsed.ok) return t.fail(parsed.problems.join());
  const socketPath = controlSocketPath(dir);
  writeFileSync(socketPath, 'left behind by a crashed server');

  const audit = createAuditTrail({ db: database.db, key: deriveKeys(parsed.config.secretKey!).auditKey, logger: createLogger('silent') });
  t.teardown(() => audit.close());
  const control = await startControlServer({ config: parsed.config, db: database.db, logger: createLogger('silent'), audit });
  t.is(control.socketPath, socketPath);
  t.is(statSync(socketPath).mode & 0o777, 0o600);

  const json = 'application/json';
  const ok = await rawRequest(socketPath, {
    path: '/operations/resources.create',
    type: json,
    body: JSON.stringify({ identifier: API, scopes: [{ name: 'read' }] }),
  });
  t.is(ok.status, 200);
  t.like(ok.body, { ok: true, result: { identifier: API } });
  t.like(await callControlServer(socketPath, 'resources.list', {}), {
    reached: true,
    result: { items: [{ identifier: API }], nextCursor: null },
  });

  const refusedCall = await rawRequest(socketPath, {
    path: '/operations/resources.create',
    type: json,
    body: JSON.stringify({ identifier: API }),
  });
  t.is(refusedCall.status, 409);
  t.deepEqual(refusedCall.body, {
    ok: false,
    error: { code: 'conflict', message: `identifier: a resource server "${API}" already exists` },
  });
  const invalid = await rawRequest(socketPath, { path: '/operations/clients.create', type: json, body: '{}' });
  t.is(invalid.status, 400);
  t.like(invalid.body, { ok: false, error: { code: 'invalid_input', message: 'name: is required' } });
  await t.throwsAsync(callControlServer(socketPath, 'clients.show', { clientId: 'nope' }), { message: /clientId: no client "nope"/ });

  t.is((await rawRequest(socketPath, { path: '/operations/clients.explode', type: json, body: '{}' })).status, 404);
  t.is((await rawRequest(socketPath, { path: '/', type: json, body: '{}' })).status, 404);
  t.is((await rawRequest(socketPath, { method: 'GET', path: '/operations/clients.list' })).status, 405);
  t.is((await rawRequest(socketPath, { path: '/operations/clients.list', type: 'text/plain', body: '{}' })).status, 415);
  t.is((await rawRequest(socketPath, { path: '/operations/clients.list', type: json, body: '{"a":' })).status, 400);
  t.is((await rawRequest(socketPath, { path: '/operations/clients.list', type: json, body: Buffer.from([0x7b, 0xff, 0x7d]) })).status, 400);
  const huge = await rawRequest(socketPath, {
    path: '/operations/clients.create',
    type: json,
    body: JSON.stringify({ name: 'x'.repeat(70 * 1024) }),
  });
  t.is(huge.status, 413);
  t.like(huge.body, { ok: false, error: { code: 'payload_too_large' } });

  await control.close();
  t.false(existsSync(socketPath));
  t.deepEqual(await callControlServer(socketPath, 'resources.list', {}), { reached: false, reason: 'no-server' });
});

// ---------------------------------------------------------------- embedded, server running

interface RunningServer {
  child: ChildProcess;
  log: () => string;
  exited: Promise<number | null>;
}

function startServer(t: ExecutionContext, dataDir: string): RunningServer {
  const child = spawn(process.execPath, [MAIN], {
    env: childEnv({
      DATA_DIR: dataDir,
      PORT: '0',
      HOST: '127.0.0.1',
      ISSUER: 'http://127.0.0.1',
      LOG_LEVEL: 'info',
      PORTCULLIS_BANNER: 'off',
    }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (log += chunk));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  t.teardown(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return { child, log: () => log, exited };
}

async function waitForControlSocket(server: RunningServer, dataDir: string): Promise<void> {
  const socketPath = controlSocketPath(dataDir);
  for (let attempt = 0; attempt < 300; attempt++) {
    if (server.child.exitCode !== null) throw new Error(`the server exited (${server.child.exitCode}):\n${server.log()}`);
    const call = await callControlServer(socketPath, 'keys.list', {});
    if (call.reached) return;
    await sleep(100);
  }
  throw new Error(`the control socket never answered:\n${server.log()}`);
}

const listeningPort = (log: string): number => {
  const line = log.split('\n').find((entry) => entry.includes('Portcullis is listening'));
  return (JSON.parse(line!) as { port: number }).port;
};

test.serial('embedded while the server runs: the CLI goes through its control socket, and changes apply at once', async (t) => {
  const dir = await tempDataDir(t);
  const env = { DATA_DIR: dir };
  const server = startServer(t, dir);
  await waitForControlSocket(server, dir);
  t.is(readFileSync(join(dir, 'portcullis.lock'), 'utf8'), String(server.child.pid), 'the server holds DATA_DIR');

  const resource = await json(t, env, ['resources', 'create', '--identifier', API, '--scope', 'read']);
  t.is(resource.identifier, API);
  const client = await json(t, env, [
    'clients',
    'create',
    '--name',
    'Worker',
    '--grant-type',
    'client_credentials',
    '--resource',
    API,
    '--scope',
    'read',
  ]);
  t.regex(client.clientSecret, /^[\w-]{43}$/);
  const refusal = await refused(t, env, ['clients', 'create', '--name', 'Bad', '--redirect-uri', 'http://evil.example/cb']);
  t.regex(refusal, /--redirect-uri: .*must use https/);

  // The server ran them (its log names each operation) and never let go of the data directory:
  // a second process never opened the PGlite files.
  for (const operation of ['resources.create', 'clients.create']) t.true(server.log().includes(`"operation":"${operation}"`), operation);
  t.is(readFileSync(join(dir, 'portcullis.lock'), 'utf8'), String(server.child.pid));

  // Without a restart, the server issues a token to the new client, and refuses it once deleted.
  const port = listeningPort(server.log());
  const token = () =>
    fetch(`http://127.0.0.1:${port}/token`, {
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${client.clientId}:${client.clientSecret}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ grant_type: 'client_credentials', resource: API, scope: 'read' }),
    });
  const issued = await token();
  t.is(issued.status, 200, await issued.clone().text());
  t.like(await issued.json(), { token_type: 'Bearer', scope: 'read' });
  await json(t, env, ['clients', 'delete', client.clientId]);
  t.is((await token()).status, 401);

  server.child.kill('SIGTERM');
  t.is(await server.exited, 0, server.log());
  t.false(existsSync(join(dir, 'portcullis.lock')));
  t.false(existsSync(join(dir, 'portcullis.sock')));

  // With the server gone, the CLI opens the data directory itself and sees the same data.
  t.deepEqual(
    (await json<{ identifier: string }[]>(t, env, ['resources', 'list'])).map((item) => item.identifier),
    [API, 'urn:portcullis:admin'],
  );
});
