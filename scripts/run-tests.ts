// `npm test`'s last step: the suite through ava, then the timing tests by themselves.
//
// A timing test (test/integration/login-timing.test.ts) compares two samples of response times to
// show an unknown email and a wrong password cannot be told apart. ava runs two test files at once
// on this 2-core host, and the other file's load (argon2, PostgreSQL writes) lands unevenly on the
// two samples: a quiet host is the condition the comparison is about, so these files run alone,
// after the rest. Given file names (`npm test -- test/unit/x.test.ts`), it runs just those.
// Any other argument (`--tap`, `--match`) goes to every ava run; the exit status fails if any run did.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

/** Kept out of the main run by package.json's `ava.files`, and run here alone. */
export const RUN_ALONE = ['test/integration/login-timing.test.ts'];

const avaCli = join(import.meta.dirname, '..', 'node_modules', 'ava', 'entrypoints', 'cli.mjs');
const args = process.argv.slice(2);
const files = args.filter((arg) => arg.endsWith('.ts'));
const options = args.filter((arg) => !arg.endsWith('.ts'));

const ava = (extra: string[]): number => spawnSync(process.execPath, [avaCli, ...options, ...extra], { stdio: 'inherit' }).status ?? 1;

if (files.length > 0) process.exit(ava(files));
const statuses = [ava([]), ava(RUN_ALONE)];
process.exit(statuses.every((status) => status === 0) ? 0 : 1);
