// `portcullis clients update | rotate-secret | revoke-previous-secret` as a user runs them: a real
// subprocess on PostgreSQL, alone and beside a running server that must honour the change at once.
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { postForm, type TestClient } from '../helpers/fixtures.ts';
import { runCli } from '../helpers/cli-process.ts';
import { BACKENDS, startTestServer, type TestServer } from '../helpers/server.ts';
import { createTestDatabase } from '../helpers/stores.ts';

const API = 'https://api.example.com';

async function json<T = any>(t: ExecutionContext, env: Record<string, string>, args: string[]): Promise<T> {
  const run = await runCli(env, [...args, '--json']);
  if (run.code !== 0) t.fail(`portcullis ${args.join(' ')} exited ${run.code}: ${run.stderr}`);
  return JSON.parse(run.stdout) as T;
}

async function refused(t: ExecutionContext, env: Record<string, string>, args: string[]): Promise<string> {
  const run = await runCli(env, args);
  t.is(run.code, 1, `portcullis ${args.join(' ')}: ${run.stderr}`);
  t.is(run.stdout, '');
  return run.stderr;
}

/** What `clients show` prints after a label (`etag`, `rate limit`, ...). */
async function shownValue(t: ExecutionContext, env: Record<string, string>, clientId: string, label: string): Promise<string> {
  const run = await runCli(env, ['clients', 'show', clientId]);
  t.is(run.code, 0, run.stderr);
  const line = run.stdout.split('\n').find((candidate) => candidate.startsWith(`${label}  `));
  if (!line) t.fail(`no "${label}" line in:\n${run.stdout}`);
  return line.slice(label.length).trim();
}

test.serial(
  'postgres: clients update (with --if-match), rotate-secret and revoke-previous-secret; show prints lifetimes, the previous secret and the ETag',
  async (t) => {
    const database = await createTestDatabase('postgres');
    t.teardown(() => database.dispose());
    const env = { DATABASE_URL: database.url!, SECRET_KEY: randomBytes(32).toString('hex') };
    await json(t, env, ['resources', 'create', '--identifier', API, '--scope', 'read', '--scope', 'write']);
    const created = await json(t, env, [
      'clients',
      'create',
      '--name',
      'Web',
      '--redirect-uri',
      'https://app.example.com/cb',
      '--resource',
      API,
      '--scope',
      'read',
      '--id-token-ttl',
      '300',
      '--refresh-token-ttl',
      '600',
      '--rate-limit',
      '50',
    ]);
    t.like(created, { idTokenTtl: 300, refreshTokenTtl: 600, rateLimitPerMinute: 50, previousSecretExpiresAt: null });
    const { clientId } = created;
    t.is(await shownValue(t, env, clientId, 'ID tokens live'), '300 s');
    t.is(await shownValue(t, env, clientId, 'refresh tokens live'), '600 s');
    const etag = await shownValue(t, env, clientId, 'etag');
    t.regex(etag, /^"[\w-]{27}"$/);

    // update: only what is given, checked by If-Match when given
    const updated = await runCli(env, [
      'clients',
      'update',
      clientId,
      '--name',
      'Renamed',
      '--scope',
      'read',
      '--scope',
      'write',
      '--first-party',
      'yes',
      '--rate-limit',
      'default',
      '--id-token-ttl',
      'default',
      '--if-match',
      etag,
    ]);
    t.is(updated.code, 0, updated.stderr);
    t.regex(updated.stdout, /^Updated client "Renamed"/);
    t.regex(updated.stdout, /rate limit\s+server default/);
    t.regex(updated.stdout, /ID tokens live\s+server default \(3600 s\)/);
    const after = await json(t, env, ['clients', 'show', clientId]);
    t.like(after, {
      name: 'Renamed',
      firstParty: true,
      rateLimitPerMinute: null,
      idTokenTtl: null,
      refreshTokenTtl: 600,
      redirectUris: ['https://app.example.com/cb'],
      resources: { [API]: ['read', 'write'] },
    });
    t.regex(
      await refused(t, env, ['clients', 'update', clientId, '--name', 'Lost update', '--if-match', etag]),
      /--if-match: the object has changed since it was read/,
    );
    t.like(
      await json(t, env, [
        'clients',
        'update',
        clientId,
        '--redirect-uri',
        'https://app.example.com/cb2',
        '--backchannel-logout-uri',
        'https://app.example.com/logout',
      ]),
      { redirectUris: ['https://app.example.com/cb2'], backchannelLogoutUri: 'https://app.example.com/logout' },
    );
    t.is((await json(t, env, ['clients', 'update', clientId, '--backchannel-logout-uri', 'none'])).backchannelLogoutUri, null);
    t.regex(
      await refused(t, env, ['clients', 'update', clientId, '--redirect-uri', 'none']),
      /--redirect-uri: the authorization_code grant needs at least one redirect URI/,
    );
    t.regex(
      await refused(t, env, ['clients', 'update', clientId, '--redirect-uri', 'https://app.example.com/cb#x']),
      /--redirect-uri: .*fragment/,
    );
    t.regex(await refused(t, env, ['clients', 'update', clientId, '--scope', 'delete']), /--scope: unknown scope "delete"/);
    t.regex(await refused(t, env, ['clients', 'update', clientId, '--first-party', 'maybe']), /--first-party: must be a boolean/);
    t.regex(
      await refused(t, env, ['clients', 'update', clientId, '--auth-method', 'none']),
      /--auth-method: cannot change from client_secret_basic to none/,
    );
    t.like(await json(t, env, ['clients', 'show', clientId]), { name: 'Renamed', redirectUris: ['https://app.example.com/cb2'] });

    // rotation: the new secret once, with the warning; the previous one's expiry in show
    const rotated = await runCli(env, ['clients', 'rotate-secret', clientId, '--previous-secret-ttl', '3600']);
    t.is(rotated.code, 0, rotated.stderr);
    const secret = /client_secret\s+([\w-]{43})/.exec(rotated.stdout)?.[1];
    t.truthy(secret, rotated.stdout);
    t.not(secret, created.clientSecret);
    t.regex(rotated.stdout, /previous secret\s+works until \d{4}-\d\d-\d\d \d\d:\d\d:\d\dZ/);
    t.regex(rotated.stderr, /shown only this once/);
    t.regex(await shownValue(t, env, clientId, 'previous secret until'), /^\d{4}-\d\d-\d\d /);
    const show = await runCli(env, ['clients', 'show', clientId, '--json']);
    t.false(show.stdout.includes(secret!), 'never shown again');
    t.regex((await json(t, env, ['clients', 'rotate-secret', clientId])).clientSecret, /^[\w-]{43}$/);
    t.regex(
      await refused(t, env, ['clients', 'rotate-secret', clientId, '--previous-secret-ttl', 'soon']),
      /--previous-secret-ttl: must be a whole number of seconds/,
    );

    const revoked = await runCli(env, ['clients', 'revoke-previous-secret', clientId]);
    t.is(revoked.code, 0, revoked.stderr);
    t.regex(revoked.stdout, /Ended the previous secret of client "Renamed"/);
    t.is((await json(t, env, ['clients', 'show', clientId])).previousSecretExpiresAt, null);
    t.regex(await refused(t, env, ['clients', 'revoke-previous-secret', clientId]), /has no previous secret/);

    const spa = await json(t, env, [
      'clients',
      'create',
      '--name',
      'SPA',
      '--auth-method',
      'none',
      '--redirect-uri',
      'https://spa.example.com/cb',
    ]);
    t.regex(await refused(t, env, ['clients', 'rotate-secret', spa.clientId]), /authenticates with none: it has no secret to rotate/);
  },
);

/** Resolves when the server has dropped its cached copy of the client (the change notification arrived). */
function nextClientChange(server: TestServer, clientId: string): Promise<void> {
  const changed = new Promise<void>((resolve) =>
    server.portcullis.cache.onChange((topic, id) => topic === 'client' && id === clientId && resolve()),
  );
  const guard = delay(10_000, undefined, { ref: false }).then(() =>
    Promise.reject(new Error(`no change notification for client ${clientId}`)),
  );
  return Promise.race([changed, guard]);
}

test.serial('postgres: clients create --require-dpop and clients update --require-dpop yes|no set dpop_bound_access_tokens', async (t) => {
  const database = await createTestDatabase('postgres');
  t.teardown(() => database.dispose());
  const env = { DATABASE_URL: database.url!, SECRET_KEY: randomBytes(32).toString('hex') };
  await json(t, env, ['resources', 'create', '--identifier', API, '--scope', 'read']);
  const created = await json(t, env, [
    'clients',
    'create',
    '--name',
    'Bound worker',
    '--grant-type',
    'client_credentials',
    '--resource',
    API,
    '--scope',
    'read',
    '--require-dpop',
  ]);
  t.true(created.requireDpop);
  t.regex(await shownValue(t, env, created.clientId, 'type'), /requires DPoP/);
  const { rows } = await database.db.query<{ metadata: Record<string, unknown> }>('SELECT metadata FROM clients WHERE client_id = $1', [
    created.clientId,
  ]);
  t.is(rows[0]!.metadata.dpop_bound_access_tokens, true, 'the provider sees RFC 9449 client metadata');
  t.false((await json(t, env, ['clients', 'update', created.clientId, '--require-dpop', 'no'])).requireDpop);
  t.true((await json(t, env, ['clients', 'update', created.clientId, '--require-dpop', 'yes'])).requireDpop);
});

test.serial('postgres: a running server honours a CLI update and rotation at once', async (t) => {
  const server = await startTestServer(BACKENDS.find((backend) => backend.database === 'postgres')!);
  t.teardown(() => server.close());
  const env = { DATABASE_URL: server.config.databaseUrl!, SECRET_KEY: server.config.secretKey! };
  await json(t, env, ['resources', 'create', '--identifier', API, '--scope', 'read', '--scope', 'write']);
  const created = await json(t, env, [
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
    '--scope',
    'write',
  ]);
  const tokenFor = (client: TestClient, scope: string) =>
    postForm(`${server.url}/token`, { grant_type: 'client_credentials', scope, resource: API }, client);
  const original = { clientId: created.clientId as string, clientSecret: created.clientSecret as string };
  t.is((await tokenFor(original, 'write')).status, 200, 'the server knows (and caches) the client');

  let followed = nextClientChange(server, original.clientId);
  await json(t, env, ['clients', 'update', original.clientId, '--scope', 'read']);
  await followed;
  t.is((await tokenFor(original, 'write')).body.error, 'invalid_scope');
  t.is((await tokenFor(original, 'read')).status, 200);

  followed = nextClientChange(server, original.clientId);
  const rotated = await json(t, env, ['clients', 'rotate-secret', original.clientId, '--previous-secret-ttl', '0']);
  await followed;
  t.is((await tokenFor({ clientId: original.clientId, clientSecret: rotated.clientSecret }, 'read')).status, 200);
  const old = await tokenFor(original, 'read');
  t.is(old.status, 401, 'ended at once');
  t.is(old.body.error, 'invalid_client');
});
