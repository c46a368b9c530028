// An id may start with a dash (base64url): `--session -WLA…` must pass it as the flag's value, not
// be refused as an unknown or ambiguous option (seen in CI: a random session id beginning with "-").
import test from 'ava';
import { parseArgs } from 'node:util';
import { COMMANDS } from '../../src/admin/cli/commands.ts';
import { joinDashValues } from '../../src/cli.ts';

const revokeSession = COMMANDS.find((spec) => spec.command === 'users revoke-session')!;

test('a string flag takes a value that starts with a dash', (t) => {
  t.deepEqual(joinDashValues(revokeSession, ['alice@example.com', '--session', '-WLACB4Ef']), ['alice@example.com', '--session=-WLACB4Ef']);
  const { values } = parseArgs({
    args: joinDashValues(revokeSession, ['--session', '-WLACB4Ef']),
    options: { session: { type: 'string' } },
    strict: true,
  });
  t.is(values.session, '-WLACB4Ef');
});

test("the command's own options are never taken as a value: a missing value is still refused", (t) => {
  t.deepEqual(joinDashValues(revokeSession, ['--session', '--json']), ['--session', '--json']);
  t.deepEqual(joinDashValues(revokeSession, ['--session', '-h']), ['--session', '-h']);
  t.deepEqual(joinDashValues(revokeSession, ['--session', '--user=bob']), ['--session', '--user=bob']);
  t.deepEqual(joinDashValues(revokeSession, ['--json', '-x']), ['--json', '-x'], 'a boolean flag takes no value');
});
