// CPU readings around a measured round. Throughput alone cannot tell a slower target from a busier
// host, so each round also records the CPU time it cost: in the target process (the figure that
// compares the targets) and its main thread, in this load generator, in the PostgreSQL and Redis
// processes, and on the whole host (which adds the kernel's own work, such as loopback traffic).
// A loaded host is reported, since its figures are noisy.
import { readdirSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

/** A target's CPU time so far, as it reports it (bench-harness.ts asks; target-ipc.ts answers). */
export interface CpuTimes {
  /** the whole process, its worker threads included, µs */
  processMicros: number;
  /** its main thread (the event loop) alone, µs in 10 ms steps; NaN where unknown (off Linux) */
  mainThreadMicros: number;
}

/**
 * Busy CPU time of the whole host so far, ms (Linux /proc/stat, in clock ticks of 10 ms): the
 * target's share plus PostgreSQL, Redis, the kernel and this load generator. NaN elsewhere.
 */
export function hostBusyMs(): number {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
    return (user + nice + system + irq + softirq + steal) * 10; // USER_HZ is 100 on Linux
  } catch {
    return NaN;
  }
}

/**
 * A process' or thread's command and CPU time so far (utime + stime, ms, 10 ms ticks) from its
 * /proc/.../stat; undefined when it cannot be read (off Linux, or the process ended). The command
 * may itself hold ") ", so the fields are read after the last one.
 */
export function readProcStat(path: string): { command: string; busyMs: number } | undefined {
  try {
    const stat = readFileSync(path, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { command: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), busyMs: (Number(fields[11]) + Number(fields[12])) * 10 };
  } catch {
    return undefined;
  }
}

/** The host's database and cache servers, whose CPU time a Portcullis target hands off to them. */
const SERVICE_COMMANDS = new Set(['postgres', 'redis-server']);

/** CPU time so far (ms, 10 ms ticks) of each live PostgreSQL and Redis process on this host, by pid (Linux). */
function serviceBusyMs(): Map<string, { command: string; busyMs: number }> {
  const busy = new Map<string, { command: string; busyMs: number }>();
  let pids: string[];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return busy;
  }
  for (const pid of pids) {
    const stat = readProcStat(`/proc/${pid}/stat`); // undefined: it ended between the listing and the read
    if (stat && SERVICE_COMMANDS.has(stat.command)) busy.set(pid, stat);
  }
  return busy;
}

/** CPU each service used between two readings: a process that started since counts in full, one that ended is lost. */
function serviceBusySince(before: Map<string, { busyMs: number }>): ServicesBusy {
  const used: ServicesBusy = { postgresMs: 0, redisMs: 0 };
  for (const [pid, { command, busyMs }] of serviceBusyMs()) {
    const spent = busyMs - (before.get(pid)?.busyMs ?? 0);
    if (command === 'postgres') used.postgresMs += spent;
    else used.redisMs += spent;
  }
  return used;
}

/** CPU time of the PostgreSQL and the Redis processes, ms (10 ms steps); NaN where unknown */
export interface ServicesBusy {
  postgresMs: number;
  redisMs: number;
}

/** What one measured round cost: wall time, and CPU time in the target, here, in the services and on the whole host. */
export interface RoundCost {
  elapsedMs: number;
  /** CPU time the target process used during the round, µs */
  cpuMicros: number;
  /** CPU time the target's main thread used during the round, µs (10 ms steps); NaN where unknown */
  mainThreadCpuMicros: number;
  /** CPU time this load generator used during the round, µs */
  generatorCpuMicros: number;
  /** CPU time PostgreSQL and Redis processes used during the round */
  services: ServicesBusy;
  /** busy CPU time of the whole host during the round (every process and the kernel), ms; NaN if unknown */
  hostBusyMs: number;
}

/**
 * Times `work` against `target` and reads what it cost in CPU. The target is asked for its CPU time
 * before the clock starts and after it stops, so those IPC round trips stay out of `elapsedMs`.
 */
export async function measure<T>(
  target: { cpuTimes(): Promise<CpuTimes> },
  work: () => Promise<T>,
): Promise<{ value: T; cost: RoundCost }> {
  const cpuBefore = await target.cpuTimes();
  const servicesBefore = serviceBusyMs();
  const generatorBefore = process.cpuUsage();
  const hostBefore = hostBusyMs();
  const started = performance.now();
  const value = await work();
  const elapsedMs = performance.now() - started;
  const hostUsed = hostBusyMs() - hostBefore;
  const generator = process.cpuUsage(generatorBefore);
  const servicesUsed = servicesBefore.size > 0 ? serviceBusySince(servicesBefore) : { postgresMs: NaN, redisMs: NaN };
  const cpuAfter = await target.cpuTimes();
  return {
    value,
    cost: {
      elapsedMs,
      cpuMicros: cpuAfter.processMicros - cpuBefore.processMicros,
      mainThreadCpuMicros: cpuAfter.mainThreadMicros - cpuBefore.mainThreadMicros,
      generatorCpuMicros: generator.user + generator.system,
      services: servicesUsed,
      hostBusyMs: hostUsed,
    },
  };
}

/**
 * Prints a warning when the 1-minute load average exceeds the host's CPUs by more than `slack`:
 * other work was then competing with the benchmark. The benchmarks differ here: token-throughput
 * warns above the CPU count, login-throughput only 0.5 above it.
 */
export function warnIfHostBusy(slack = 0): void {
  const [load1] = loadavg();
  if (load1! > availableParallelism() + slack) {
    console.log(
      `  warning: host load average ${load1!.toFixed(1)} exceeds its ${availableParallelism()} CPUs: other work is competing, figures are noisy`,
    );
  }
}
