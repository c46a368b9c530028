// `npm run fuzz -- --runs N [--seed S] [--backend pglite|postgres] [--time-limit SECONDS]`: a long
// fuzzing campaign against a real Portcullis server in this process (127.0.0.1 only), on fresh
// stores (postgres: TEST_DATABASE_URL and TEST_REDIS_URL, as the tests use). Prints requests/s, the
// status histogram and every distinct failure with a shrunk reproduction; exits 1 when any was found.
import { parseArgs } from 'node:util';
import { BACKENDS } from '../test/helpers/server.ts';
import { runCampaign } from '../test/security/fuzz/campaign.ts';
import { startFuzzTarget } from '../test/security/fuzz/fuzz-target.ts';

const { values: flags } = parseArgs({
  options: {
    runs: { type: 'string', default: '10000' },
    seed: { type: 'string' },
    backend: { type: 'string', default: 'pglite' },
    'time-limit': { type: 'string', default: '3600' },
    'refresh-every': { type: 'string', default: '2000' },
    'shrink-seconds': { type: 'string', default: '20' },
    'shrink-budget': { type: 'string', default: '600' },
    workers: { type: 'string', default: '4' },
  },
});

function whole(name: string, value: string | undefined, min: number): number {
  const number = Number(value);
  if (!Number.isInteger(number) || number < min) {
    console.error(`--${name} must be an integer >= ${min} (got ${value})`);
    process.exit(2);
  }
  return number;
}

const backend = BACKENDS.find((candidate) => candidate.database === flags.backend);
if (!backend) {
  console.error(`--backend must be pglite or postgres (got ${flags.backend})`);
  process.exit(2);
}
const runs = whole('runs', flags.runs, 1);
const seed = flags.seed === undefined ? Date.now() % 2 ** 31 : whole('seed', flags.seed, 0);
const timeLimitMs = whole('time-limit', flags['time-limit'], 1) * 1000;

console.log(
  `fuzz: ${runs} runs, seed ${seed} (workers use seed..seed+${Number(flags.workers) - 1}), backend ${backend.name}, time limit ${timeLimitMs / 1000} s`,
);
const target = await startFuzzTarget(backend);
console.log(`fuzz: ${target.endpoints.length} endpoints at ${target.server.url}`);
let lastLine = Date.now();
const report = await runCampaign(target, {
  runs,
  seed,
  timeLimitMs,
  refreshEvery: whole('refresh-every', flags['refresh-every'], 1),
  shrinkMs: whole('shrink-seconds', flags['shrink-seconds'], 1) * 1000,
  shrinkBudgetMs: whole('shrink-budget', flags['shrink-budget'], 0) * 1000,
  workers: whole('workers', flags.workers, 1),
  onProgress(done, elapsedMs) {
    if (Date.now() - lastLine < 10_000) return;
    lastLine = Date.now();
    console.log(`fuzz: ${done} requests, ${(done / (elapsedMs / 1000)).toFixed(0)}/s`);
  },
});
await target.close();

const seconds = report.elapsedMs / 1000;
console.log(
  `\nfuzz: ${report.requests} requests in ${seconds.toFixed(1)} s = ${(report.requests / seconds).toFixed(1)} requests/s (backend ${backend.name}, seed ${seed})`,
);
console.log(`fuzz: ${report.unsendable} requests Node itself refused to send (not counted as failures)`);
console.log('fuzz: status histogram');
for (const [status, count] of [...report.statuses].sort(([a], [b]) => a.localeCompare(b))) console.log(`  ${status.padEnd(10)} ${count}`);
console.log(
  `fuzz: /healthz afterwards: ${report.aliveAfterwards ? 'ok' : 'NO ANSWER'}; liveness checks failed during the run: ${report.livenessFailures}`,
);
console.log(`fuzz: longest event-loop stall ${report.maxEventLoopStallMs.toFixed(0)} ms; the slowest requests:`);
for (const slow of report.slowest)
  console.log(
    `  ${slow.ms.toFixed(0)} ms -> ${slow.status ?? 'no answer'}: ${slow.request
      .split('\n')
      .map((line) => line.slice(0, 200))
      .join('\n    ')}`,
  );
if (report.refreshFailures.length > 0)
  console.log(`fuzz: ${report.refreshFailures.length} fixture refreshes failed, the first: ${report.refreshFailures[0]}`);
console.log(`fuzz: ${report.failures.length} distinct failures (endpoint | problem | trigger); by problem and trigger:`);
const groups = new Map<string, { count: number; endpoints: Set<string> }>();
for (const failure of report.failures) {
  const [endpoint, problem, trigger] = failure.signature.split(' | ');
  const group = groups.get(`${problem} | ${trigger}`) ?? { count: 0, endpoints: new Set<string>() };
  group.count += failure.count;
  group.endpoints.add(endpoint!);
  groups.set(`${problem} | ${trigger}`, group);
}
for (const [key, group] of [...groups].sort((a, b) => b[1].count - a[1].count))
  console.log(`  ${String(group.count).padStart(6)}× ${key}: ${[...group.endpoints].join(', ')}`);
for (const failure of report.failures) {
  console.log(`\n== ${failure.signature}  (${failure.count}×, first at seed ${failure.seed} run ${failure.firstRun})`);
  console.log(
    failure.shrunk
      ? `shrunk:\n${failure.shrunk}`
      : `as seen (not reproduced when replayed):\n${failure.problems.join('\n')}\n${failure.seen}`,
  );
}
process.exit(report.failures.length > 0 || !report.aliveAfterwards ? 1 : 0);
