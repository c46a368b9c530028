// `npx portcullis …` on a machine whose own Node is older than the pinned one: the CLI runs on the
// pinned Node 24 (node_modules/.bin/node), and npm must not print engine warnings on every command.
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The PATH a user's shell has: without the node_modules/.bin that npm puts first for npm scripts. */
const userPath = (process.env.PATH ?? '').split(':').filter((entry) => !entry.includes('node_modules')).join(':');

function run(home: string, command: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { PATH: userPath, HOME: home, npm_config_update_notifier: 'false' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

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
