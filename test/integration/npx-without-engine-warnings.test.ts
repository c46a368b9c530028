// `npx portcullis …` on a machine whose own Node is older than the pinned one: the CLI runs on the
// pinned Node 24 (node_modules/.bin/node), and npm must not print engine warnings when it first links the project.
import test from 'ava';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runProcess } from '../helpers/cli-process.ts';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The PATH a user's shell has: without the node_modules/.bin that npm puts first for npm scripts. */
const userPath = (process.env.PATH ?? '')
  .split(':')
  .filter((entry) => !entry.includes('node_modules'))
  .join(':');

const run = (home: string, command: string, args: string[]) =>
  runProcess(command, args, { cwd: ROOT, env: { PATH: userPath, HOME: home, npm_config_update_notifier: 'false' } });

test('npx portcullis --help prints the help and no npm warning, whatever Node the machine has', async (t) => {
  // A new user's home: npx links the project into an empty npm cache (~/.npm/_npx) on the first
  // run, and that install is when npm checks the engines (later runs reuse the link).
  const home = await mkdtemp(join(tmpdir(), 'portcullis-npx-'));
  t.teardown(() => rm(home, { recursive: true, force: true }));
  const systemNode = await run(home, 'node', ['--version']);
  t.log(`the machine's own Node: ${systemNode.stdout.trim()}`);
  const help = await run(home, 'npx', ['portcullis', '--help']);
  t.is(help.code, 0, help.stderr);
  t.regex(help.stdout, /^Usage: portcullis <command>/);
  t.notRegex(help.stderr, /EBADENGINE|npm warn/i, help.stderr);
});
