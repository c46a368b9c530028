// The shape of the load a benchmark offers: operations run C at a time, and measured rounds that
// alternate between the two targets.

/**
 * Runs `task(0)` … `task(count - 1)`, at most `concurrency` at once: each of `concurrency` workers
 * takes the next index as soon as its previous task is done, so the load stays at C in flight. A
 * task that throws rejects the whole, and no further task is started (the run has failed: its
 * targets are about to be stopped).
 */
export async function inParallel(count: number, concurrency: number, task: (index: number) => Promise<void>): Promise<void> {
  let next = 0;
  let failed = false;
  const worker = async () => {
    while (!failed && next < count) {
      try {
        await task(next++);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker));
}

export interface Round<T> {
  /** 0-based */
  round: number;
  /** operations per target in this round */
  size: number;
  /** the two targets in the order they run this round */
  order: T[];
}

/**
 * `rounds` measured rounds over `requests` operations per target (split as evenly as possible), run
 * A B | B A | A B …: each round of A sits next to a round of B, so slow drift of the host (thermal,
 * other work) falls on both alike and cancels out of their ratio.
 */
export function alternatingRounds<T>(requests: number, rounds: number, [a, b]: readonly [T, T]): Round<T>[] {
  return Array.from({ length: rounds }, (_, round) => ({
    round,
    size: Math.floor(requests / rounds) + (round < requests % rounds ? 1 : 0),
    order: round % 2 === 0 ? [a, b] : [b, a],
  }));
}
