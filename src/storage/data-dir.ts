// The embedded deployment's data directory: PGlite's files, the generated secret, and a lock so
// that only one process ever opens the database files (PGlite is single-process).
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const pgliteDir = (dataDir: string) => join(resolve(dataDir), 'pgdata');
export const controlSocketPath = (dataDir: string) => join(resolve(dataDir), 'portcullis.sock');
const lockPath = (dataDir: string) => join(resolve(dataDir), 'portcullis.lock');
const secretPath = (dataDir: string) => join(resolve(dataDir), 'secret.key');

export function ensureDataDir(dataDir: string): void {
  mkdirSync(resolve(dataDir), { recursive: true, mode: 0o700 });
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
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return { secretKey: readFileSync(secretPath(dataDir), 'utf8').trim(), created: false };
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
