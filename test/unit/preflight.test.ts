// npm test's preflight: on a fresh machine it starts what is installed but stopped, installs Chromium
// when it can, and otherwise names what is missing and the command that fixes it.
import test from 'ava';
import { plan, type Facts } from '../../scripts/preflight.ts';

const ready: Facts = {
  postgresAnswers: true,
  postgresVersions: ['15'],
  redisAnswers: true,
  redisInstalled: true,
  chromiumInstalled: true,
  aptAvailable: true,
  root: true,
};

test('nothing to do when everything answers', (t) => {
  t.deepEqual(plan(ready), []);
});

test('installed but stopped: PostgreSQL and Redis are started', (t) => {
  const steps = plan({ ...ready, postgresAnswers: false, redisAnswers: false, postgresVersions: ['16', '15'] });
  t.deepEqual(
    steps.map((step) => step.kind === 'run' && step.command.slice(0, 4)),
    [
      ['pg_ctlcluster', '--skip-systemctl-redirect', '16', 'main'],
      ['redis-server', '--daemonize', 'yes', '--bind'],
    ],
  );
});

test('Chromium: installed with apt-get as root; otherwise the user is told the command', (t) => {
  t.like(plan({ ...ready, chromiumInstalled: false })[0], { kind: 'run', command: ['apt-get', 'install', '-y', 'chromium'] });
  t.like(plan({ ...ready, chromiumInstalled: false, root: false })[0], { kind: 'missing', fix: 'sudo apt-get install -y chromium' });
});

test('not installed at all: one line each, naming the fix', (t) => {
  const steps = plan({ ...ready, postgresAnswers: false, postgresVersions: [], redisAnswers: false, redisInstalled: false });
  t.deepEqual(
    steps.map((step) => step.kind),
    ['missing', 'missing'],
  );
  t.regex(JSON.stringify(steps), /apt-get install -y postgresql.*apt-get install -y redis-server/);
});
