// CPU readings around a measured round. Throughput alone cannot tell a slower target from a busier
// host, so each round also records the CPU time it cost: in the target process (the figure that
// compares the targets), in this load generator, and on the whole host (which also counts
// PostgreSQL, Redis and the kernel — the work a Portcullis target hands off). A loaded host is
// reported, since its figures are noisy.
import { readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';

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

/** What one measured round cost: wall time, and CPU time in the target, here and on the whole host. */
export interface RoundCost {
  elapsedMs: number;
  /** CPU time the target process used during the round, µs */
  cpuMicros: number;
  /** CPU time this load generator used during the round, µs */
  generatorCpuMicros: number;
  /** busy CPU time of the whole host during the round (every process and the kernel), ms; NaN if unknown */
  hostBusyMs: number;
}

/**
 * Times `work` against `target` and reads what it cost in CPU. The target is asked for its CPU time
 * before the clock starts and after it stops, so those IPC round trips stay out of `elapsedMs`.
 */
export async function measure<T>(target: { cpuMicros(): Promise<number> }, work: () => Promise<T>): Promise<{ value: T; cost: RoundCost }> {
  const cpuBefore = await target.cpuMicros();
  const generatorBefore = process.cpuUsage();
  const hostBefore = hostBusyMs();
  const started = performance.now();
  const value = await work();
  const elapsedMs = performance.now() - started;
  const hostUsed = hostBusyMs() - hostBefore;
  const generator = process.cpuUsage(generatorBefore);
  const cpuUsed = (await target.cpuMicros()) - cpuBefore;
  return { value, cost: { elapsedMs, cpuMicros: cpuUsed, generatorCpuMicros: generator.user + generator.system, hostBusyMs: hostUsed } };
}

/**
 * Prints a warning when the 1-minute load average exceeds the host's CPUs by more than `slack`:
 * other work was then competing with the benchmark. The benchmarks differ here: token-throughput
 * warns above the CPU count, login-throughput only 0.5 above it.
 */
export function warnIfHostBusy(slack = 0): void {
  const [load1] = loadavg();
  if (load1! > availableParallelism() + slack) {
    console.log(`  warning: host load average ${load1!.toFixed(1)} exceeds its ${availableParallelism()} CPUs: other work is competing, figures are noisy`);
  }
}
