// A fresh embedded database starts from a copy of an initialised PGlite data directory (the
// "template") instead of running initdb: initdb inside the WASM is most of a first start's CPU, while
// copying its result is a file copy. `npm ci` builds the template (the `prepare` script runs
// scripts/build-pglite-template.ts) into node_modules/.cache, next to the PGlite it was made by: a
// new `npm ci` rebuilds it, and a template of another PGlite version is never used.
//
// The template is exactly what initdb leaves, shut down cleanly (starting a copy is an ordinary
// start, not a crash recovery), and nothing else: no migration has run in it. Migrations record
// this deployment's facts (schema_migrations.applied_at; the admin API's registry entry goes "live"
// and is due for review relative to the day they ran), which must be the day of the first start,
// not of `npm ci`; and signing keys are created later still, by createPortcullis. What copies share
// is initdb's own: pg_control's system identifier and SCRAM mock-authentication nonce, which only
// a PostgreSQL that accepts network logins uses (Portcullis never opens PGlite to the network).
//
// Anything wrong (no template, another version's, unreadable, a copy that fails) means initdb as
// before: the template only ever saves time.
import { PGlite } from '@electric-sql/pglite';
import {
  constants,
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where `npm ci` puts the template: the project's node_modules/.cache, rebuilt by every install. */
export const DEFAULT_TEMPLATE_ROOT = fileURLToPath(new URL('../../node_modules/.cache/portcullis/', import.meta.url));

const MANIFEST = 'template.json';

interface Manifest {
  pglite: string;
}

/** The version of the PGlite this process loads (a template is only valid for the one that made it). */
export function installedPgliteVersion(): string {
  const entry = import.meta.resolve('@electric-sql/pglite'); // …/@electric-sql/pglite/dist/index.js
  const { version } = JSON.parse(readFileSync(new URL('../package.json', entry), 'utf8')) as { version: string };
  return version;
}

export const templateDirFor = (root: string, version = installedPgliteVersion()) => join(root, `pglite-${version}`);

/**
 * Builds the template for the installed PGlite under `root`, replacing an older one, and removes the
 * templates of other versions. Returns its directory. Built in a temporary directory and renamed
 * into place, so a reader never sees half a template.
 */
export async function buildPgliteTemplate(root = DEFAULT_TEMPLATE_ROOT): Promise<string> {
  const version = installedPgliteVersion();
  const target = templateDirFor(root, version);
  mkdirSync(root, { recursive: true });
  const building = mkdtempSync(join(root, '.building-'));
  try {
    // the same options openPglite's initdb would use, so a copy is what initdb would have left
    const pglite = await PGlite.create({ dataDir: join(building, 'pgdata') });
    await pglite.close(); // a clean shutdown: a copy then starts without recovery
    writeFileSync(join(building, MANIFEST), `${JSON.stringify({ pglite: version } satisfies Manifest)}\n`);
    rmSync(target, { recursive: true, force: true });
    renameSync(building, target);
  } catch (error) {
    rmSync(building, { recursive: true, force: true });
    throw error;
  }
  for (const entry of readdirSync(root)) {
    if (entry.startsWith('pglite-') && entry !== basename(target)) rmSync(join(root, entry), { recursive: true, force: true });
  }
  return target;
}

/** How an embedded data directory came to be: already there, copied from the template, or left to initdb (and why). */
export type SeedResult = { from: 'existing' } | { from: 'template'; template: string } | { from: 'initdb'; reason: string };

/** The template under `root` if it is complete and made by the installed PGlite; otherwise why not. */
function usableTemplate(root: string): { dir: string } | { reason: string } {
  const version = installedPgliteVersion();
  const dir = templateDirFor(root, version);
  let manifest: Partial<Manifest>;
  try {
    manifest = JSON.parse(readFileSync(join(dir, MANIFEST), 'utf8')) as Partial<Manifest>;
  } catch {
    return { reason: `no PGlite ${version} template in ${root} (npm ci builds it)` };
  }
  if (manifest.pglite !== version)
    return { reason: `the template in ${dir} was made by PGlite ${String(manifest.pglite)}, not ${version}` };
  if (!existsSync(join(dir, 'pgdata', 'PG_VERSION'))) return { reason: `the template in ${dir} is incomplete` };
  const unsafe = unsafeEntry(dir);
  if (unsafe) return { reason: `the template in ${dir} is not used: ${unsafe}` };
  return { dir };
}

/**
 * Why the template may not become a deployment's database, if it may not: a symbolic link (copied
 * as a link, it would put database files outside the 0700 DATA_DIR, where whoever planted it reads
 * or swaps them), anything but plain files and directories, or a template folder that others than
 * its owner may write (they could plant a database, signing keys and all). Checked at each seeding:
 * the installer wrote it, but the folder may have been opened up since.
 */
function unsafeEntry(dir: string): string | undefined {
  // The template's own folder is 0700 (its files are PGlite's 0666 inside it), and its parent holds it:
  // others able to write either could replace what is copied.
  for (const folder of [dir, dirname(dir)]) if ((lstatSync(folder).mode & 0o022) !== 0) return `${folder} is writable by other users`;
  for (const entry of readdirSync(join(dir, 'pgdata'), { recursive: true, withFileTypes: true })) {
    const path = join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink()) return `${path} is a symbolic link`;
    if (!entry.isFile() && !entry.isDirectory()) return `${path} is not a plain file or directory`;
  }
  return undefined;
}

/**
 * Makes `pgdata` a copy of the template when it holds no database yet, so that PGlite finds a
 * database there instead of running initdb. The caller holds the data directory's lock (only one
 * process seeds it). Never throws for a missing or bad template: the result says initdb, and PGlite
 * then runs it as it always did.
 */
export function seedFromTemplate(pgdata: string, root = DEFAULT_TEMPLATE_ROOT): SeedResult {
  if (existsSync(join(pgdata, 'PG_VERSION'))) return { from: 'existing' };
  // Something that is not a database (a crash in the middle of an initdb of old): leave it to PGlite as before.
  if (existsSync(pgdata) && readdirSync(pgdata).length > 0) return { from: 'initdb', reason: `${pgdata} is not empty` };
  const template = usableTemplate(root);
  if ('reason' in template) return { from: 'initdb', reason: template.reason };
  // Copied beside it, then renamed into place: a copy cut short is never mistaken for a database.
  const partial = `${pgdata}.seeding`;
  try {
    rmSync(partial, { recursive: true, force: true }); // left by a start that died copying
    // COPYFILE_FICLONE: a copy-on-write clone where the file system can (btrfs, XFS, APFS), else a copy
    cpSync(join(template.dir, 'pgdata'), partial, { recursive: true, mode: constants.COPYFILE_FICLONE });
    rmSync(pgdata, { recursive: true, force: true }); // an empty directory, or nothing (checked above)
    renameSync(partial, pgdata);
    return { from: 'template', template: template.dir };
  } catch (error) {
    rmSync(partial, { recursive: true, force: true });
    return { from: 'initdb', reason: `copying the template failed: ${(error as Error).message}` };
  }
}
