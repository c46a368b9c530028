// The small protocol between a benchmark (parent, load generator; its side is bench-harness.ts) and
// its targets (child processes): a child sends one `ready` message describing itself (for
// token-throughput.ts: its token endpoint and client), and shuts down cleanly on `stop` or when the
// IPC channel closes. `cpu` asks for the process' CPU time so far; `memory` for its resident set
// size now and at its peak; `profile-start` and `profile-stop` (with a path) record a CPU profile of
// the measured rounds only. Token targets also answer `mint` (answerMintRequests): user grants'
// authorization codes or refresh tokens, made before the clock starts. login-target.ts speaks this
// protocol too, with a `ready` of its own and a `verify` request.
import { readFileSync, writeFileSync } from 'node:fs';
import { readProcStat } from './bench-cpu.ts';
import { startProfiling } from './cpu-profile.ts';

/** The API both targets issue tokens for, and the one scope the service client may request. */
export const BENCH_RESOURCE = 'https://api.example.com';
export const BENCH_SCOPE = 'read';
/** The user grants' scope: an ID token (openid), a refresh token (offline_access) and the API's scope. */
export const BENCH_USER_SCOPE = `openid offline_access ${BENCH_SCOPE}`;
/** The public app client's one redirect URI (never contacted: codes are minted, not redirected). */
export const BENCH_REDIRECT_URI = 'http://127.0.0.1:8080/callback';

export interface TargetInfo {
  name: string;
  issuer: string;
  tokenEndpoint: string;
  /** the client_secret_basic service client (client_credentials) */
  clientId: string;
  clientSecret: string;
  /** the public app client (token_endpoint_auth_method none) whose codes and refresh tokens are minted */
  appClientId: string;
}

/** The grants whose credentials a target mints for the load generator. */
export type MintedGrant = 'authorization_code' | 'refresh_token';
/** An authorization code with the PKCE verifier of its challenge, or a refresh token (`verifier` absent). */
export interface MintedCredential {
  value: string;
  verifier?: string;
}

export type TargetMessage =
  | { type: 'ready'; target: TargetInfo }
  | { type: 'profiled'; path: string | undefined }
  /** `mainThreadMicros`: the event loop's thread alone (Linux only, else null), in 10 ms steps */
  | { type: 'cpu'; micros: number; mainThreadMicros: number | null }
  /**
   * `peakRssBytes`: the kernel's high-water mark since the last reset (Linux only, else null);
   * `heapUsedBytes`: V8's heap in use, garbage not yet collected included (RSS far above it is
   * heap the collector sized up, or native memory)
   */
  | { type: 'memory'; rssBytes: number; peakRssBytes: number | null; heapUsedBytes: number }
  | { type: 'minted'; credentials: MintedCredential[]; error?: string };
export type ParentMessage =
  | { type: 'stop' }
  | { type: 'profile-start' }
  | { type: 'profile-stop'; path: string }
  | { type: 'cpu' }
  /** `reset`: start the peak over from the current RSS (so start-up does not count) */
  | { type: 'memory'; reset?: boolean }
  | { type: 'mint'; grant: MintedGrant; count: number };

export function reportReady(target: TargetInfo): void {
  if (!process.send) throw new Error('benchmark targets are started by scripts/bench/token-throughput.ts');
  process.send({ type: 'ready', target } satisfies TargetMessage);
}

/** Runs `cleanup` once, on a `stop` message or when the parent disappears, then exits. */
export function stopOnRequest(cleanup: () => Promise<void>): void {
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    cleanup().then(
      () => process.exit(0),
      (error: unknown) => {
        console.error('benchmark target cleanup failed:', error);
        process.exit(1);
      },
    );
  };
  let stopProfiling: ((path: string) => Promise<void>) | undefined;
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'stop') stop();
    if (message.type === 'cpu') {
      const usage = process.cpuUsage(); // this whole process, crypto worker threads included
      process.send!({ type: 'cpu', micros: usage.user + usage.system, mainThreadMicros: mainThreadCpuMicros() } satisfies TargetMessage);
    }
    if (message.type === 'memory') {
      if (message.reset) resetPeakRss();
      const { rss, heapUsed } = process.memoryUsage();
      process.send!({ type: 'memory', rssBytes: rss, peakRssBytes: peakRssBytes(), heapUsedBytes: heapUsed } satisfies TargetMessage);
    }
    if (message.type === 'profile-start') {
      void startProfiling().then((stopper) => {
        stopProfiling = stopper;
        process.send!({ type: 'profiled', path: undefined } satisfies TargetMessage);
      });
    }
    if (message.type === 'profile-stop') {
      const stopper = stopProfiling;
      stopProfiling = undefined;
      void (stopper ? stopper(message.path).then(() => message.path) : Promise.resolve(undefined)).then((path) =>
        process.send!({ type: 'profiled', path } satisfies TargetMessage),
      );
    }
  });
  process.on('disconnect', stop);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop); // Ctrl-C reaches the whole process group: still drop the database
}

/**
 * CPU time of this process' main thread (the event loop: JavaScript, and the system calls it makes),
 * µs in 10 ms steps; null off Linux. The rest of the process' time is its threadpool's (argon2) and
 * V8's helper threads'.
 */
function mainThreadCpuMicros(): number | null {
  const stat = readProcStat(`/proc/self/task/${process.pid}/stat`);
  return stat ? stat.busyMs * 1000 : null;
}

/**
 * Answers `mint` requests with `mint`'s credentials (a failure is reported in the reply, so that the
 * parent fails the run with its message instead of waiting).
 */
export function answerMintRequests(mint: (grant: MintedGrant, count: number) => Promise<MintedCredential[]>): void {
  process.on('message', (message: ParentMessage) => {
    if (message.type !== 'mint') return;
    mint(message.grant, message.count).then(
      (credentials) => process.send!({ type: 'minted', credentials } satisfies TargetMessage),
      (error: unknown) =>
        process.send!({
          type: 'minted',
          credentials: [],
          error: error instanceof Error ? error.message : String(error),
        } satisfies TargetMessage),
    );
  });
}

/**
 * This process' peak resident set size (VmHWM of /proc/self/status): the kernel tracks it on every
 * page fault, so no short peak between two samples is missed. Null off Linux.
 */
function peakRssBytes(): number | null {
  try {
    const kib = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
    return kib === undefined ? null : Number(kib) * 1024;
  } catch {
    return null;
  }
}

/** Starts the high-water mark over from the current RSS (Linux >= 4.0: `5` to clear_refs); ignored elsewhere. */
function resetPeakRss(): void {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
  } catch {
    // no /proc (or not allowed): the peak then covers the whole life of the process
  }
}
