// Request budgets (per address, per client) spent through this process's own tally, so that a busy
// endpoint does not pay a round trip to the shared counter for every request. The counting itself
// stays rate-limiter-flexible's: a sync adds this process's pending points to the shared counter
// (`penalty`, one atomic increment) and learns how many the whole deployment has spent.
//
// When to sync, and therefore how exact the limit is:
//   - near the end of a budget (pending points reach an eighth of what was left at the last sync),
//     every request syncs: the limit is exact where it is about to refuse;
//   - otherwise at the first request of a key after SYNC_MS;
// so another process can overshoot a large budget by at most an eighth of it. Points spent in a burst
// and followed by silence reach the shared counter with the key's next request (no timers: nothing
// to stop, nothing running while idle).
// A store fault during a sync is thrown: the caller answers 503 rather than letting requests through
// uncounted.
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import { storeFault, type BudgetState } from './spend.ts';

const SYNC_MS = 100;
/** Tallies kept before ones whose window has ended are swept away. */
const SWEEP_AT = 10_000;

interface Tally {
  /** Points the shared counter reported at the last sync. */
  known: number;
  /** Points spent here since, not yet added to the shared counter. */
  pending: number;
  /** When the shared window ends (epoch ms). */
  resetAt: number;
  syncedAt: number;
  syncing: Promise<void> | undefined;
}

export interface BatchedBudgets {
  /** Spends one point of `key`'s budget. */
  spend(key: string): Promise<BudgetState>;
}

export function createBatchedBudgets(
  limiter: RateLimiterAbstract,
  points: number,
  windowSeconds: number,
  now: () => number = Date.now,
): BatchedBudgets {
  const tallies = new Map<string, Tally>();

  async function sync(key: string, tally: Tally): Promise<void> {
    const adding = tally.pending;
    tally.pending = 0;
    try {
      const result = await limiter.penalty(key, adding).catch((error: unknown) => {
        throw storeFault(error);
      });
      tally.known = result.consumedPoints;
      tally.resetAt = now() + Math.max(0, result.msBeforeNext);
      tally.syncedAt = now();
    } catch (error) {
      tally.pending += adding; // not counted: kept for the next sync
      throw error;
    }
  }

  const state = (tally: Tally): BudgetState => {
    const consumed = tally.known + tally.pending;
    return {
      allowed: consumed <= points,
      consumed,
      remaining: Math.max(0, points - consumed),
      resetSeconds: Math.max(0, tally.resetAt - now()) / 1000,
    };
  };

  function sweep(at: number): void {
    for (const [key, tally] of tallies) if (tally.pending === 0 && !tally.syncing && at > tally.resetAt) tallies.delete(key);
  }

  return {
    async spend(key) {
      const at = now();
      let tally = tallies.get(key);
      if (!tally && tallies.size >= SWEEP_AT) sweep(at);
      if (!tally) tallies.set(key, (tally = { known: 0, pending: 0, resetAt: at + windowSeconds * 1000, syncedAt: 0, syncing: undefined }));
      if (at >= tally.resetAt) {
        // the shared window has ended: start counting afresh until a sync says otherwise
        tally.known = 0;
        tally.resetAt = at + windowSeconds * 1000;
      }
      tally.pending += 1;
      const leftAtSync = points - tally.known;
      const nearTheEnd = tally.pending >= Math.max(1, Math.floor(leftAtSync / 8));
      if (!tally.syncing && (nearTheEnd || at - tally.syncedAt >= SYNC_MS)) {
        const syncing = sync(key, tally);
        tally.syncing = syncing;
        try {
          await syncing;
        } finally {
          tally.syncing = undefined;
        }
      }
      return state(tally);
    },
  };
}
