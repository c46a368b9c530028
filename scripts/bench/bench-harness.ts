// The parent side of a throughput benchmark: its targets, each a child process of its own (so no
// target shares an event loop with another or with the load generator), and the wrapper around the
// benchmark's main function that always stops them again — on success, on failure, on Ctrl-C and
// at a hard timeout — because a Portcullis target drops its database only when it is stopped.
//
// Every target speaks the protocol of target-ipc.ts (`ready`, `stop`, `cpu`, `profile-start`,
// `profile-stop`); a benchmark may add messages of its own (login-target.ts adds `verify`).
import { fork, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { once } from 'node:events';
import type { CpuTimes } from './bench-cpu.ts';
import type { ParentMessage, TargetMessage } from './target-ipc.ts';

interface Message {
  type: string;
}

/**
 * A started target. `Info` is what it reported when ready; `Reply` and `Request` are the messages it
 * sends and understands — those of target-ipc.ts, plus any of the benchmark's own.
 */
export interface Target<Key extends string, Info, Reply extends Message = TargetMessage, Request extends Message = ParentMessage> {
  readonly key: Key;
  readonly info: Info;
  /** Sends `message` and resolves with the target's next reply of `type`; rejects if it exits first. */
  request<T extends Reply['type']>(message: Request, type: T): Promise<Extract<Reply, { type: T }>>;
  /** CPU time (user + system) the target has used so far. */
  cpuTimes(): Promise<CpuTimes>;
}

/** Any target, whatever it reports and whatever messages it speaks. */
type AnyTarget = Target<string, unknown, Message, Message>;

/** Every child started here, so that stopTargets() can stop them all whatever happened. */
const children: ChildProcess[] = [];

/**
 * The Node flags `npm start` gives the server (package.json's `start` script is their one home), so
 * that a Portcullis target runs the way it is deployed (its young generation's size, for one).
 */
export function serverNodeFlags(): string[] {
  const { scripts } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { scripts: { start: string } };
  const match = /^node((?: --[\w-]+(?:=\S+)?)*) src\/main\.ts$/.exec(scripts.start);
  if (!match) throw new Error(`package.json's start script is not "node [--flag ...] src/main.ts": ${scripts.start}`);
  return match[1]!.trim().split(' ').filter(Boolean);
}

/**
 * Forks `file` (relative to scripts/bench/) with `env` added to this process' environment and waits
 * for its `ready` message. `quietStdout` sends its stdout to /dev/null: request logs
 * (--log-level info) are then written, as in production, but not onto the benchmark's report.
 * `asServer` runs it with the server's Node flags (serverNodeFlags): for targets that are Portcullis.
 */
export async function startTarget<T extends AnyTarget>(
  key: T['key'],
  file: string,
  { env = {}, quietStdout = false, asServer = false }: { env?: Record<string, string>; quietStdout?: boolean; asServer?: boolean } = {},
): Promise<T> {
  const child = fork(new URL(file, import.meta.url).pathname, [], {
    ...(asServer ? { execArgv: [...process.execArgv, ...serverNodeFlags()] } : {}),
    env: { ...process.env, ...env },
    stdio: ['ignore', quietStdout ? 'ignore' : 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  const info = await new Promise<T['info']>((resolve, reject) => {
    child.on('message', (message: Message & { target?: T['info'] }) => {
      if (message.type === 'ready') resolve(message.target);
    });
    child.once('exit', (code) => reject(new Error(`${key} target exited (code ${code}) before it was ready`)));
  });

  const request = (message: Message, type: string) =>
    new Promise<Message>((resolve, reject) => {
      // Listening before sending: a fast target may answer before send() returns.
      const onExit = (code: number | null) => reject(new Error(`${key} target exited (code ${code}) while a reply was awaited`));
      const listener = (reply: Message) => {
        if (reply.type !== type) return;
        child.off('message', listener);
        child.off('exit', onExit);
        resolve(reply);
      };
      child.on('message', listener);
      child.once('exit', onExit);
      child.send(message);
    });
  const cpuTimes = async (): Promise<CpuTimes> => {
    const reply = (await request({ type: 'cpu' } satisfies ParentMessage, 'cpu')) as Extract<TargetMessage, { type: 'cpu' }>;
    return { processMicros: reply.micros, mainThreadMicros: reply.mainThreadMicros ?? NaN };
  };
  return { key, info, request, cpuTimes } as unknown as T;
}

/** Asks every live target to stop (it cleans up, then exits); kills one that takes over 15 s. */
export async function stopTargets(): Promise<void> {
  await Promise.all(
    children.map(async (child) => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      if (child.connected) child.send({ type: 'stop' } satisfies ParentMessage);
      else child.kill('SIGTERM');
      const kill = setTimeout(() => child.kill('SIGKILL'), 15_000);
      await exited;
      clearTimeout(kill);
    }),
  );
}

/** The longest a benchmark may run before it stops its targets and gives up. */
export const HARD_TIMEOUT_MS = 120_000;

/**
 * Runs a benchmark's `main` (which resolves with the exit code), always stopping the targets before
 * the process exits. Exit codes: `main`'s own; 1 if it throws ("<name> failed: …") or the hard
 * timeout is reached; 130 on Ctrl-C.
 */
export function runBenchmark(name: string, main: () => Promise<number>, hardTimeoutMs = HARD_TIMEOUT_MS): void {
  process.once('SIGINT', () => {
    console.error(`${name}: interrupted, stopping the targets`);
    void stopTargets().finally(() => process.exit(130));
  });

  const deadline = setTimeout(() => {
    console.error(`${name}: hard timeout of ${hardTimeoutMs / 1000} s reached, stopping the targets`);
    void stopTargets().finally(() => process.exit(1));
  }, hardTimeoutMs);

  main().then(
    async (code) => {
      await stopTargets();
      clearTimeout(deadline);
      process.exit(code);
    },
    async (error: unknown) => {
      console.error(`${name} failed:`, error instanceof Error ? error.message : error);
      await stopTargets();
      clearTimeout(deadline);
      process.exit(1);
    },
  );
}
