// Which template a new embedded data directory may start from (src/storage/pglite-template.ts),
// with stand-in templates (a few files, no PGlite): only a complete one made by the installed PGlite
// version is copied, anything else leaves the directory to initdb, an existing database is never
// touched, and a copy cut short is never taken for a database. The real template, started and
// migrated, is in test/integration/pglite-template.test.ts.
import test from 'ava';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installedPgliteVersion, seedFromTemplate, templateDirFor } from '../../src/storage/pglite-template.ts';

function scratch(t: { teardown(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'portcullis-template-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A stand-in template under `root`: a manifest naming `version` and a pgdata with PG_VERSION and one more file. */
function fakeTemplate(root: string, options: { version?: string; dirVersion?: string; complete?: boolean } = {}): string {
  const dir = templateDirFor(root, options.dirVersion ?? installedPgliteVersion());
  mkdirSync(join(dir, 'pgdata', 'base'), { recursive: true });
  if (options.complete !== false) writeFileSync(join(dir, 'pgdata', 'PG_VERSION'), '17\n');
  writeFileSync(join(dir, 'pgdata', 'base', 'file'), 'from the template');
  writeFileSync(join(dir, 'template.json'), JSON.stringify({ pglite: options.version ?? installedPgliteVersion() }));
  return dir;
}

test('a new data directory is a copy of a template made by the installed PGlite', (t) => {
  const base = scratch(t);
  const template = fakeTemplate(join(base, 'cache'));
  const pgdata = join(base, 'data', 'pgdata');
  mkdirSync(join(base, 'data'));
  t.deepEqual(seedFromTemplate(pgdata, join(base, 'cache')), { from: 'template', template });
  t.is(readFileSync(join(pgdata, 'base', 'file'), 'utf8'), 'from the template');
  t.true(existsSync(join(pgdata, 'PG_VERSION')));
  t.deepEqual(readdirSync(join(base, 'data')), ['pgdata'], 'nothing is left beside it');
});

test('an empty pgdata directory (as PGlite leaves one) is seeded too', (t) => {
  const base = scratch(t);
  fakeTemplate(join(base, 'cache'));
  const pgdata = join(base, 'pgdata');
  mkdirSync(pgdata);
  t.is(seedFromTemplate(pgdata, join(base, 'cache')).from, 'template');
  t.true(existsSync(join(pgdata, 'PG_VERSION')));
});

test('a template made by another PGlite version is ignored: initdb', (t) => {
  const base = scratch(t);
  const pgdata = join(base, 'pgdata');
  // a manifest that names another version, in the installed version's place
  fakeTemplate(join(base, 'relabelled'), { version: '0.0.1' });
  const relabelled = seedFromTemplate(pgdata, join(base, 'relabelled'));
  t.is(relabelled.from, 'initdb');
  t.regex(relabelled.from === 'initdb' ? relabelled.reason : '', /made by PGlite 0\.0\.1/);
  // only another version's template there
  fakeTemplate(join(base, 'other'), { version: '0.0.1', dirVersion: '0.0.1' });
  t.is(seedFromTemplate(pgdata, join(base, 'other')).from, 'initdb');
  t.false(existsSync(pgdata), 'the data directory is left for PGlite to create');
});

test('a template with a symbolic link, or that others may write, is never copied: initdb', (t) => {
  const base = scratch(t);
  const pgdata = join(base, 'pgdata');
  // a link planted in the template would leave a database file outside the 0700 DATA_DIR
  const linked = fakeTemplate(join(base, 'linked'));
  mkdirSync(join(base, 'elsewhere'));
  symlinkSync(join(base, 'elsewhere'), join(linked, 'pgdata', 'base', 'planted'));
  const refused = seedFromTemplate(pgdata, join(base, 'linked'));
  t.is(refused.from, 'initdb');
  t.regex(refused.from === 'initdb' ? refused.reason : '', /planted is a symbolic link/);
  t.false(existsSync(pgdata));
  // a template folder opened to other users
  const open = fakeTemplate(join(base, 'open'));
  chmodSync(open, 0o777);
  const opened = seedFromTemplate(pgdata, join(base, 'open'));
  t.regex(opened.from === 'initdb' ? opened.reason : '', /writable by other users/);
  chmodSync(open, 0o700);
  t.is(seedFromTemplate(pgdata, join(base, 'open')).from, 'template', 'closed again, it is used');
});

test('a missing or incomplete template means initdb', (t) => {
  const base = scratch(t);
  const pgdata = join(base, 'pgdata');
  const missing = seedFromTemplate(pgdata, join(base, 'nothing-here'));
  t.is(missing.from, 'initdb');
  t.regex(missing.from === 'initdb' ? missing.reason : '', /no PGlite .* template/);
  fakeTemplate(join(base, 'cache'), { complete: false });
  t.is(seedFromTemplate(pgdata, join(base, 'cache')).from, 'initdb');
  t.false(existsSync(pgdata));
});

test('an existing database is never replaced, nor a directory that is not empty', (t) => {
  const base = scratch(t);
  fakeTemplate(join(base, 'cache'));
  const pgdata = join(base, 'pgdata');
  mkdirSync(pgdata);
  writeFileSync(join(pgdata, 'PG_VERSION'), '17\n');
  writeFileSync(join(pgdata, 'mine'), 'data');
  t.deepEqual(seedFromTemplate(pgdata, join(base, 'cache')), { from: 'existing' });
  t.deepEqual(readdirSync(pgdata).sort(), ['PG_VERSION', 'mine']);

  const halfDone = join(base, 'half');
  mkdirSync(halfDone);
  writeFileSync(join(halfDone, 'postgresql.conf'), '');
  t.is(seedFromTemplate(halfDone, join(base, 'cache')).from, 'initdb');
  t.deepEqual(readdirSync(halfDone), ['postgresql.conf'], 'left as it was');
});

test('a copy cut short by a crash is replaced, never taken for a database', (t) => {
  const base = scratch(t);
  fakeTemplate(join(base, 'cache'));
  const pgdata = join(base, 'pgdata');
  // what a start that died while copying leaves: the partial copy beside pgdata, which does not exist
  mkdirSync(`${pgdata}.seeding`);
  writeFileSync(join(`${pgdata}.seeding`, 'PG_VERSION'), '17\n');
  writeFileSync(join(`${pgdata}.seeding`, 'stale'), '');
  t.is(seedFromTemplate(pgdata, join(base, 'cache')).from, 'template');
  t.false(existsSync(join(pgdata, 'stale')));
  t.true(existsSync(join(pgdata, 'base', 'file')));
  t.false(existsSync(`${pgdata}.seeding`));
});
