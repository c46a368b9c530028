// The attacker's fuzzer, seeded and bounded for CI: generated requests to every endpoint (the
// provider's from discovery, the admin API's from its OpenAPI document, the sign-in and account pages
// from their routers) with hostile values, on both backends. Each must get an answer of the endpoint's
// documented shape, never a 5xx, a dropped connection or an unhandled rejection; the server must still
// answer /healthz afterwards. A failure is shrunk and printed with the seed, fast-check's path and the
// request (template and the values it ran with). Replay: FUZZ_SEED=<seed> FUZZ_PATH=<path> npx ava test/security/fuzz.test.ts
// Longer campaigns: npm run fuzz -- --runs N (scripts/fuzz.ts).
import test from 'ava';
import fc from 'fast-check';
import { BACKENDS } from '../helpers/server.ts';
import { describeFailure, exercise, stillAlive, watchUnhandledRejections } from './fuzz/exercise.ts';
import { startFuzzTarget } from './fuzz/fuzz-target.ts';
import { requestArbitrary } from './fuzz/request-arbitrary.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_203);
const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
/** Per backend, shrinking included: the whole file stays well under a minute on a small machine. */
const TIME_LIMIT_MS = Number(process.env.FUZZ_TIME_LIMIT_MS ?? 20_000);

for (const backend of BACKENDS) {
  test.serial(
    `[${backend.name}] generated requests to every endpoint get an answer of its documented shape, never a 5xx, a dropped connection or an unhandled rejection`,
    async (t) => {
      const target = await startFuzzTarget(backend);
      t.teardown(() => target.close());
      const rejections = watchUnhandledRejections();
      t.teardown(() => rejections.stop());
      let runs = 0;
      const statuses = new Map<string, number>();

      const property = fc.asyncProperty(requestArbitrary(target.endpoints), async (request) => {
        runs++;
        const outcome = await exercise(target, request, rejections);
        const key = String(outcome.status ?? 'none');
        statuses.set(key, (statuses.get(key) ?? 0) + 1);
        if (outcome.problems.length > 0) throw new Error(describeFailure(target, request, outcome));
      });
      const result = await fc.check(property, {
        seed: SEED,
        numRuns: RUNS,
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- its plugin replacement is a harness change
        interruptAfterTimeLimit: TIME_LIMIT_MS,
        // eslint-disable-next-line @typescript-eslint/no-deprecated -- as above
        markInterruptAsFailure: false,
        ...(process.env.FUZZ_PATH ? { path: process.env.FUZZ_PATH } : {}),
      });
      t.log(
        `${runs} requests (seed ${SEED}); statuses: ${[...statuses]
          .sort()
          .map(([status, count]) => `${status}×${count}`)
          .join(' ')}`,
      );
      // fast-check's report (seed, path, shrunk counterexample) and the request as it was sent, with its problems
      if (result.failed)
        t.fail(
          `${fc.defaultReportMessage(result) ?? 'the fuzzer failed'}\n\n${(result.errorInstance as Error | undefined)?.message ?? ''}`,
        );
      t.true(runs >= Math.min(RUNS, 50), 'the fuzzer ran (a time limit may cut a slow run short, never to nothing)');
      t.true(await stillAlive(target), 'the server still answers /healthz');
    },
  );
}
