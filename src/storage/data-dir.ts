// The embedded deployment's data directory: PGlite's files, the generated secret, and a lock so
// that only one process ever opens the database files (PGlite is single-process).
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const pgliteDir = (dataDir: string) => join(resolve(dataDir), 'pgdata');
export const controlSocketPath = (dataDir: string) => join(resolve(dataDir), 'portcullis.sock');
const lockPath = (dataDir: string) => join(resolve(dataDir), 'portcullis.lock');
const secretPath = (dataDir: string) => join(resolve(dataDir), 'secret.key');

/**
 * Creates the directory private to this user (0700), and makes an existing one private too: PGlite
 * writes its files (password hashes in tables and WAL among them) with the default umask, so only
 * the directory's own mode keeps other local users out. A directory that cannot be made private
 * (another owner) stops the server with a message saying what to do.
 */
export function ensureDataDir(dataDir: string): void {
  const path = resolve(dataDir);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  if ((statSync(path).mode & 0o777) === 0o700) return;
  try {
    chmodSync(path, 0o700);
  } catch (error) {
    throw new Error(
      `DATA_DIR ${path} is open to other users and could not be made private (${(error as NodeJS.ErrnoException).code ?? String(error)}): run "chmod 700 ${path}" as its owner, or choose another DATA_DIR`,
      { cause: error },
    );
  }
}

/** Reads the generated secret, creating it on first use. Returns whether it was just created. */
export function loadOrCreateSecretKey(dataDir: string): { secretKey: string; created: boolean } {
  ensureDataDir(dataDir);
  try {
    return { secretKey: readFileSync(secretPath(dataDir), 'utf8').trim(), created: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const secretKey = randomBytes(32).toString('base64url');
  try {
    writeFileSync(secretPath(dataDir), `${secretKey}\n`, { mode: 0o600, flag: 'wx' });
    return { secretKey, created: true };
  } catch (error) {
    // Another process created it first: use theirs.
    if ((error as NodeJS.ErrnoException).code === 'EEXIST')
      return { secretKey: readFileSync(secretPath(dataDir), 'utf8').trim(), created: false };
    throw error;
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

export type LockResult = { acquired: true; release: () => void } | { acquired: false; holderPid: number };

/** Takes the data directory's lock, reclaiming it from a process that no longer exists. */
export function acquireDataDirLock(dataDir: string): LockResult {
  ensureDataDir(dataDir);
  const path = lockPath(dataDir);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      writeFileSync(path, String(process.pid), { flag: 'wx', mode: 0o600 });
      let released = false;
      return {
        acquired: true,
        release: () => {
          if (released) return;
          released = true;
          rmSync(path, { force: true });
        },
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const holderPid = Number(readFileSync(path, 'utf8'));
      if (Number.isInteger(holderPid) && holderPid > 0 && isAlive(holderPid)) return { acquired: false, holderPid };
      rmSync(path, { force: true }); // stale: its process is gone
    }
  }
  return { acquired: false, holderPid: Number(readFileSync(path, 'utf8')) };
}
