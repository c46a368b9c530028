// The small protocol between a benchmark (parent, load generator; its side is bench-harness.ts) and
// its targets (child processes): a child sends one `ready` message describing itself (for
// token-throughput.ts: its token endpoint and client), and shuts down cleanly on `stop` or when the
// IPC channel closes. `cpu` asks for the process' CPU time so far; `profile-start` and
// `profile-stop` (with a path) record a CPU profile of the measured rounds only. login-target.ts
// speaks this protocol too, with a `ready` of its own and a `verify` request.
import { readProcStat } from './bench-cpu.ts';
import { startProfiling } from './cpu-profile.ts';

/** The API both targets issue tokens for, and the one scope the service client may request. */
export const BENCH_RESOURCE = 'https://api.example.com';
export const BENCH_SCOPE = 'read';

export interface TargetInfo {
  name: string;
  issuer: string;
  tokenEndpoint: string;
  clientId: string;
  clientSecret: string;
}

export type TargetMessage =
  | { type: 'ready'; target: TargetInfo }
  | { type: 'profiled'; path: string | undefined }
  /** `mainThreadMicros`: the event loop's thread alone (Linux only, else null), in 10 ms steps */
  | { type: 'cpu'; micros: number; mainThreadMicros: number | null };
export type ParentMessage = { type: 'stop' } | { type: 'profile-start' } | { type: 'profile-stop'; path: string } | { type: 'cpu' };

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
