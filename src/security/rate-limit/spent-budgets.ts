// What this process knows to be used up. A count in the shared store answers how much is left; a
// process that saw a budget run out remembers it until the window ends, so checking a budget before
// the work costs no store round trip. Another process learns of it from its own next count: it may
// let one more request through first.
import type { BudgetState } from './spend.ts';

/** Budgets this process saw used up, by key: when their window ends (epoch ms). */
export class SpentBudgets {
  readonly #until = new Map<string, number>();

  note(key: string, budget: BudgetState): void {
    if (budget.remaining > 0) return;
    if (this.#until.size >= 10_000) this.#forgetEnded();
    this.#until.set(key, Date.now() + budget.resetSeconds * 1000);
  }

  /** Seconds until `key`'s quota is back, or 0 when it is not known to be used up. */
  secondsLeft(key: string): number {
    const until = this.#until.get(key);
    if (until === undefined) return 0;
    const left = (until - Date.now()) / 1000;
    if (left <= 0) this.#until.delete(key);
    return Math.max(0, left);
  }

  #forgetEnded(): void {
    const now = Date.now();
    for (const [key, until] of this.#until) if (until <= now) this.#until.delete(key);
  }
}
