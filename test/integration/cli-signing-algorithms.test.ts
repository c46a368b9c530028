// `--id-token-alg` on clients and `--token-alg` on resource servers, as an admin types them.
import test, { type ExecutionContext } from 'ava';
import { randomBytes } from 'node:crypto';
import { runCli } from '../helpers/cli-process.ts';
import { createTestDatabase } from '../helpers/stores.ts';

const API = 'https://api.example.com';

async function run(t: ExecutionContext, env: Record<string, string>, args: string[]) {
  const result = await runCli(env, args);
  t.is(result.code, 0, `portcullis ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

const shown = (stdout: string, label: string) =>
  stdout
    .split('\n')
    .find((line) => line.startsWith(`${label}  `))
    ?.slice(label.length)
    .trim();

test('postgres: an admin chooses the ID token and access token algorithms; help lists them; a bad one is refused naming the flag', async (t) => {
  const database = await createTestDatabase('postgres');
  t.teardown(() => database.dispose());
  const env = { DATABASE_URL: database.url!, SECRET_KEY: randomBytes(32).toString('hex') };

  t.is(
    shown(await run(t, env, ['resources', 'create', '--identifier', API, '--scope', 'read', '--token-alg', 'RS256']), 'token algorithm'),
    'RS256',
  );
  t.is(shown(await run(t, env, ['resources', 'update', API, '--token-alg', 'PS256']), 'token algorithm'), 'PS256');

  const created = JSON.parse(
    await run(t, env, ['clients', 'create', '--name', 'Web', '--redirect-uri', 'https://app.example.com/cb', '--json']),
  ) as { clientId: string; idTokenAlg: string };
  t.is(created.idTokenAlg, 'RS256', 'the default');
  t.is(shown(await run(t, env, ['clients', 'update', created.clientId, '--id-token-alg', 'ES256']), 'ID tokens signed'), 'ES256');
  t.is(shown(await run(t, env, ['clients', 'show', created.clientId]), 'ID tokens signed'), 'ES256');

  const help = await run(t, env, ['clients', 'create', '--help']);
  t.regex(help, /--id-token-alg <RS256\|ES256\|PS256\|EdDSA>/);
  t.regex(await run(t, env, ['resources', 'create', '--help']), /--token-alg <RS256\|ES256\|PS256\|EdDSA>/);

  for (const args of [
    ['clients', 'create', '--name', 'Evil', '--redirect-uri', 'https://app.example.com/cb', '--id-token-alg', 'HS256'],
    ['clients', 'update', created.clientId, '--id-token-alg', 'none'],
    ['resources', 'update', API, '--token-alg', 'rs256'],
  ]) {
    const refused = await runCli(env, args);
    t.is(refused.code, 1, args.join(' '));
    t.regex(refused.stderr, /(id-token-alg|token-alg).*must be one of RS256, ES256, PS256, EdDSA/, refused.stderr);
  }
  t.is(shown(await run(t, env, ['clients', 'show', created.clientId]), 'ID tokens signed'), 'ES256', 'a refused update changed nothing');
});
