// Attack 20 (loose end): an embedded DATA_DIR that already existed kept its mode, so PGlite's files
// (argon2 hashes in tables and WAL) were readable by every local user. Starting the embedded
// server (what main.ts and the CLI do first: the secret, then the lock) leaves the folder 0700.
import test from 'ava';
import { chmodSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireDataDirLock, loadOrCreateSecretKey } from '../../src/storage/data-dir.ts';

const modeOf = (path: string) => statSync(path).mode & 0o777;

test('an existing world-readable DATA_DIR is made private (0700) when the server starts on it', (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'portcullis-data-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dataDir = join(parent, 'data');
  loadOrCreateSecretKey(dataDir);
  chmodSync(dataDir, 0o755); // as an operator's `mkdir data` (umask 022) leaves it
  t.is(modeOf(dataDir), 0o755);

  loadOrCreateSecretKey(dataDir);
  t.is(modeOf(dataDir), 0o700, 'nobody but its owner may list or read it');
  chmodSync(dataDir, 0o777);
  const lock = acquireDataDirLock(dataDir);
  t.true(lock.acquired);
  if (lock.acquired) lock.release();
  t.is(modeOf(dataDir), 0o700);
  t.is(modeOf(join(dataDir, 'secret.key')), 0o600);
});

test('a new DATA_DIR is created private', (t) => {
  const parent = mkdtempSync(join(tmpdir(), 'portcullis-data-'));
  t.teardown(() => rmSync(parent, { recursive: true, force: true }));
  const dataDir = join(parent, 'nested', 'data');
  loadOrCreateSecretKey(dataDir);
  t.is(modeOf(dataDir), 0o700);
});
