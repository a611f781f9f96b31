/**
 * The timers of one run: every delayed action (back-off requeues, chaos,
 * suspend and resume) goes through one set, so the run can tell whether
 * anything is still due and cancel all of it when it ends.
 */

/**
 * A set of pending timeouts.
 *
 * @example
 * ```ts
 * const timers = new RunTimers();
 * timers.later(1000, () => console.log('due'));
 * timers.size; // 1
 * timers.clear();
 * ```
 */
export class RunTimers {
  readonly #pending = new Set<NodeJS.Timeout>();

  /** Runs `fn` after `ms`, unless cleared first. */
  readonly later = (ms: number, fn: () => void): void => {
    const t = setTimeout(() => {
      this.#pending.delete(t);
      fn();
    }, ms);
    this.#pending.add(t);
  };

  /** How many are still due. */
  get size(): number {
    return this.#pending.size;
  }

  /** Cancels every pending one. */
  clear(): void {
    for (const t of this.#pending) clearTimeout(t);
    this.#pending.clear();
  }
}
