// `npm test`'s first step: the suite needs PostgreSQL, Redis and Chromium (its tests never skip).
// On a fresh machine this starts PostgreSQL or Redis when installed but stopped, installs Debian's
// Chromium when it is missing and we are root, and otherwise stops with one line per missing thing
// naming the command that fixes it.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { connect } from 'node:net';

export const CHROMIUM = '/usr/bin/chromium';
const POSTGRES_CONFIG = '/etc/postgresql';

/** What the preflight found of one need. */
export interface Facts {
  postgresAnswers: boolean;
  /** The installed PostgreSQL cluster versions (directories of /etc/postgresql). */
  postgresVersions: string[];
  redisAnswers: boolean;
  redisInstalled: boolean;
  chromiumInstalled: boolean;
  aptAvailable: boolean;
  root: boolean;
}

export type Step = { kind: 'run'; what: string; command: string[] } | { kind: 'missing'; what: string; fix: string };

const REDIS_START = [
  'redis-server',
  '--daemonize',
  'yes',
  '--bind',
  '127.0.0.1',
  '-::1',
  '--port',
  '6379',
  '--save',
  '',
  '--appendonly',
  'no',
];

/** Pure: what to do about what is missing (the commands to run, or what to tell the user). */
export function plan(facts: Facts): Step[] {
  const steps: Step[] = [];
  if (!facts.postgresAnswers) {
    const version = facts.postgresVersions[0];
    steps.push(
      version
        ? { kind: 'run', what: 'PostgreSQL', command: ['pg_ctlcluster', '--skip-systemctl-redirect', version, 'main', 'start'] }
        : {
            kind: 'missing',
            what: 'PostgreSQL (127.0.0.1:5432, or TEST_DATABASE_URL)',
            fix: 'apt-get install -y postgresql, or set TEST_DATABASE_URL',
          },
    );
  }
  if (!facts.redisAnswers) {
    steps.push(
      facts.redisInstalled
        ? { kind: 'run', what: 'Redis', command: REDIS_START }
        : {
            kind: 'missing',
            what: 'Redis (127.0.0.1:6379, or TEST_REDIS_URL)',
            fix: 'apt-get install -y redis-server, or set TEST_REDIS_URL',
          },
    );
  }
  if (!facts.chromiumInstalled) {
    steps.push(
      facts.root && facts.aptAvailable
        ? { kind: 'run', what: 'Chromium', command: ['apt-get', 'install', '-y', 'chromium'] }
        : { kind: 'missing', what: `Chromium (${CHROMIUM}, for the browser tests)`, fix: 'sudo apt-get install -y chromium' },
    );
  }
  return steps;
}

/** Whether something accepts TCP connections at the URL's host and port, within a second. */
function answers(url: string, defaultPort: number): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = connect({ host: hostname.replace(/^\[|\]$/g, ''), port: Number(port || defaultPort), timeout: 1000 });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket
      .once('connect', () => done(true))
      .once('error', () => done(false))
      .once('timeout', () => done(false));
  });
}

const installed = (command: string) => spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;

async function waitFor(probe: () => Promise<boolean>, seconds: number): Promise<boolean> {
  for (let attempt = 0; attempt < seconds * 4; attempt++) {
    if (await probe()) return true;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return false;
}

async function main(): Promise<number> {
  const databaseUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
  const redisUrl = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const postgres = () => answers(databaseUrl, 5432);
  const redis = () => answers(redisUrl, 6379);
  const facts: Facts = {
    postgresAnswers: await postgres(),
    postgresVersions: existsSync(POSTGRES_CONFIG) ? readdirSync(POSTGRES_CONFIG).sort().reverse() : [],
    redisAnswers: await redis(),
    redisInstalled: installed('redis-server'),
    chromiumInstalled: existsSync(CHROMIUM),
    aptAvailable: installed('apt-get'),
    root: process.getuid?.() === 0,
  };
  let failed = false;
  for (const step of plan(facts)) {
    if (step.kind === 'missing') {
      console.error(`preflight: ${step.what} is missing; fix: ${step.fix}`);
      failed = true;
      continue;
    }
    console.error(`preflight: starting ${step.what}: ${step.command.join(' ')}`);
    try {
      execFileSync(step.command[0]!, step.command.slice(1), { stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      if (step.what === 'Chromium') spawnSync('apt-get', ['update'], { stdio: 'ignore' });
      if (step.what !== 'Chromium' || spawnSync(step.command[0]!, step.command.slice(1), { stdio: 'ignore' }).status !== 0) {
        console.error(`preflight: could not start ${step.what}; run it yourself: ${step.command.join(' ')}`);
        failed = true;
        continue;
      }
    }
    const up =
      step.what === 'PostgreSQL' ? await waitFor(postgres, 30) : step.what === 'Redis' ? await waitFor(redis, 30) : existsSync(CHROMIUM);
    if (!up) {
      console.error(`preflight: ${step.what} still does not answer after: ${step.command.join(' ')}`);
      failed = true;
    }
  }
  return failed ? 1 : 0;
}

if (import.meta.main) process.exitCode = await main();
