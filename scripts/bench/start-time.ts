// Start time of the embedded server, the way `npm start` runs it (`node src/main.ts`): PGlite in a
// fresh DATA_DIR with nothing configured but a free PORT (README: `npm ci && npm start` is all a
// first start needs; HOST defaults to 127.0.0.1), timed from spawn to the first 200 of
// /.well-known/openid-configuration. Then a second start on the same DATA_DIR, as a restart finds it.
//
//   node scripts/bench/start-time.ts [--runs N] [--profile [--profile-dir DIR]]
//
//   --runs N      cold + warm start pairs, each in a DATA_DIR of its own (default 3)
//   --profile     run the first pair under `node --cpu-prof` and print where their start went (the
//                 profiler slows them: read times from a run without it); the .cpuprofile files stay
//
// Targets: first start <= 5 s, second <= 2 s, judged on the medians. Also printed: each start's
// timeline (when the server's log lines arrived: the first is written once every module is loaded;
// `migrations applied` after PGlite's initdb and the migrations, first start only; `Portcullis is
// listening`) and the resident memory of the server just after its first 200.
// Each server is stopped with SIGTERM (as an operator would) before the next starts; on any exit of
// this script every server still running is killed and every DATA_DIR removed. The whole run is
// bounded (60 s per pair); 127.0.0.1 only. Exit status 1 when a start fails.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { request, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { warnIfHostBusy } from './bench-cpu.ts';
import { runBenchmark, serverNodeFlags } from './bench-harness.ts';
import { median } from './bench-stats.ts';
import { busyTimeMs, formatSummary, summariseProfile, type CpuProfile } from './cpu-profile.ts';

const { values: args } = parseArgs({
  options: {
    runs: { type: 'string', default: '3' },
    profile: { type: 'boolean', default: false },
    'profile-dir': { type: 'string' },
  },
  strict: true,
});
const RUNS = Number(args.runs);
if (!Number.isInteger(RUNS) || RUNS < 1) {
  console.error(`--runs must be an integer >= 1 (got ${args.runs})`);
  process.exit(2);
}

const TARGET_FIRST_MS = 5_000;
const TARGET_SECOND_MS = 2_000;
/** The longest one start may take before the run is given up. */
const START_TIMEOUT_MS = 60_000;
const ROOT = new URL('../../', import.meta.url).pathname;
const DISCOVERY = '/.well-known/openid-configuration';

// --- cleanup, whatever happens --------------------------------------------------------------------

const servers = new Set<ChildProcess>();
const dataDirs = new Set<string>();
// 'exit' runs on every way out (runBenchmark ends with process.exit, also on Ctrl-C and at its hard
// timeout): only synchronous work is possible there, so a server still running is killed outright.
process.on('exit', () => {
  for (const server of servers) server.kill('SIGKILL');
  for (const dir of dataDirs) rmSync(dir, { recursive: true, force: true });
});

// --- one start ------------------------------------------------------------------------------------

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as AddressInfo;
      probe.close(() => resolve(port));
    });
  });

/** The status of one GET, on a connection of its own (none is kept open to delay the server's stop). */
const getStatus = (url: string) =>
  new Promise<number>((resolve, reject) => {
    const req = request(url, { agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });

/** Resident memory of a live process, MiB (Linux /proc; NaN elsewhere). */
function rssMiB(pid: number): number {
  try {
    const kib = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kib === undefined ? NaN : Number(kib) / 1024;
  } catch {
    return NaN;
  }
}

/**
 * CPU time a live process has used so far, ms (Linux /proc; NaN elsewhere): user + system, in clock
 * ticks of 1/100 s. Unlike the wall time, it hardly depends on what else the host is running.
 */
function cpuMs(pid: number): number {
  try {
    // the fields after the command name, which is in parentheses and may hold spaces
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10; // utime, stime (fields 14 and 15 of stat)
  } catch {
    return NaN;
  }
}

/** Short names for the server's start-up log lines (src/main.ts, src/server.ts). */
const MILESTONES: Record<string, string> = {
  'SECRET_KEY is not set: using the generated secret kept in DATA_DIR/secret.key (set SECRET_KEY in production)': 'modules loaded',
  'new database created from the PGlite template': 'from template',
  'new database: running initdb (no usable PGlite template)': 'initdb',
  'migrations applied': 'migrated',
  'Portcullis is listening': 'listening',
};

interface Start {
  ms: number;
  rssMiB: number;
  /** CPU time of the server until its first 200 */
  cpuMs: number;
  /** when each start-up log line arrived, ms after spawn */
  timeline: { label: string; ms: number }[];
}

/** Starts the server on `dataDir`, waits for its first 200, reads its RSS, then stops it. */
async function timeStart(dataDir: string, profileDir: string | undefined): Promise<Start> {
  const port = await freePort();
  const env: Record<string, string> = { DATA_DIR: dataDir, PORT: String(port) };
  // Nothing of this shell's configuration (DATABASE_URL, REDIS_URL, SECRET_KEY…) may reach the server.
  for (const name of ['PATH', 'HOME', 'LANG', 'TZ']) if (process.env[name] !== undefined) env[name] = process.env[name];
  const nodeArgs = profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : [];

  const started = performance.now();
  // process.execPath: the node this script runs on, the pinned one when started by npm or npx.
  const server = spawn(process.execPath, [...serverNodeFlags(), ...nodeArgs, 'src/main.ts'], {
    cwd: ROOT,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  servers.add(server);
  const exited = new Promise<void>((resolve) => server.once('exit', () => resolve()));
  const output: string[] = [];
  const timeline: Start['timeline'] = [];
  const keep = (line: string) => {
    output.push(line);
    if (output.length > 20) output.shift();
  };
  createInterface({ input: server.stdout }).on('line', (line) => {
    const at = performance.now() - started;
    keep(line);
    try {
      const label = MILESTONES[(JSON.parse(line) as { msg?: string }).msg ?? ''];
      if (label) timeline.push({ label, ms: at });
    } catch {
      // the start-up banner, not a log line
    }
  });
  createInterface({ input: server.stderr }).on('line', keep);

  try {
    const url = `http://127.0.0.1:${port}${DISCOVERY}`;
    for (;;) {
      if (server.exitCode !== null || server.signalCode !== null) {
        throw new Error(`the server exited (${server.exitCode ?? server.signalCode}) before answering:\n${output.join('\n')}`);
      }
      if (performance.now() - started > START_TIMEOUT_MS) throw new Error(`no 200 from ${DISCOVERY} within ${START_TIMEOUT_MS / 1000} s`);
      const status = await getStatus(url).catch(() => 0); // refused until it listens
      if (status === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const ms = performance.now() - started;
    return { ms, rssMiB: rssMiB(server.pid!), cpuMs: cpuMs(server.pid!), timeline: [...timeline, { label: 'first 200', ms }] };
  } finally {
    server.kill('SIGTERM'); // a clean stop: it releases DATA_DIR's lock and writes a --cpu-prof profile
    const kill = setTimeout(() => server.kill('SIGKILL'), 15_000);
    await exited;
    clearTimeout(kill);
    servers.delete(server);
  }
}

// --- main -----------------------------------------------------------------------------------------

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const verdict = (ms: number, target: number) => (ms <= target ? 'PASS' : 'FAIL');
const formatStart = (label: string, start: Start, target: number) =>
  `  ${label} ${seconds(start.ms).padStart(8)} (${verdict(start.ms, target)} <= ${target / 1000} s)   CPU ${seconds(start.cpuMs)}   RSS ${start.rssMiB.toFixed(0)} MiB   ` +
  start.timeline.map(({ label: what, ms }) => `${what} ${seconds(ms)}`).join(' → ');

async function printProfiles(dir: string, label: string): Promise<void> {
  const files = readdirSync(dir)
    .filter((name) => name.endsWith('.cpuprofile'))
    .sort();
  for (const name of files) {
    const path = join(dir, name);
    const profile = JSON.parse(await readFile(path, 'utf8')) as CpuProfile;
    const title = `${label} start, spawn to stop (${path})`;
    console.log(`\n${formatSummary(title, summariseProfile(profile, { top: 20 }), busyTimeMs(profile))}`);
  }
}

async function main(): Promise<number> {
  console.log(
    `start-time: embedded (PGlite) server, ${RUNS} run(s) of a first start in a fresh DATA_DIR and a second on it, Node ${process.version}`,
  );
  const first: Start[] = [];
  const second: Start[] = [];
  const profileDirs: string[] = [];
  for (let run = 0; run < RUNS; run++) {
    const home = mkdtempSync(join(tmpdir(), 'portcullis-start-'));
    dataDirs.add(home);
    // A DATA_DIR that does not exist yet, as ./data before the first `npm start`.
    const dataDir = join(home, 'data');
    let profileDir: string | undefined;
    if (args.profile && run === 0) {
      profileDir = args['profile-dir'] ?? mkdtempSync(join(tmpdir(), 'portcullis-start-profile-'));
      profileDirs.push(profileDir);
    }
    first.push(await timeStart(dataDir, profileDir && join(profileDir, '1-first')));
    console.log(formatStart(`run ${run + 1}: first start `, first.at(-1)!, TARGET_FIRST_MS));
    second.push(await timeStart(dataDir, profileDir && join(profileDir, '2-second')));
    console.log(formatStart(`run ${run + 1}: second start`, second.at(-1)!, TARGET_SECOND_MS));
    rmSync(home, { recursive: true, force: true });
    dataDirs.delete(home);
  }
  const firstMedian = median(first.map((start) => start.ms));
  const secondMedian = median(second.map((start) => start.ms));
  console.log(
    `\n  first start:  median ${seconds(firstMedian)} (target <= ${TARGET_FIRST_MS / 1000} s: ${verdict(firstMedian, TARGET_FIRST_MS)})`,
  );
  console.log(
    `  second start: median ${seconds(secondMedian)} (target <= ${TARGET_SECOND_MS / 1000} s: ${verdict(secondMedian, TARGET_SECOND_MS)})`,
  );
  console.log(
    `  CPU time to the first 200: median ${seconds(median(first.map((start) => start.cpuMs)))} (first start), ${seconds(median(second.map((start) => start.cpuMs)))} (second)`,
  );
  console.log(
    `  RSS after the first 200: median ${median(first.map((start) => start.rssMiB)).toFixed(0)} MiB (first start), ${median(second.map((start) => start.rssMiB)).toFixed(0)} MiB (second)`,
  );
  warnIfHostBusy();
  if (args.profile) {
    console.log('  (the first run was CPU-profiled: its times are inflated)');
    for (const dir of profileDirs) {
      await printProfiles(join(dir, '1-first'), 'first');
      await printProfiles(join(dir, '2-second'), 'second');
    }
  }
  return 0;
}

runBenchmark('start-time', main, RUNS * START_TIMEOUT_MS);
