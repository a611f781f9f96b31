/**
 * Which request to send first for a key. A fresh key is claimed with one
 * write (create-only PUT); a key that is already recorded is answered with
 * one read (GET). Sending the wrong one first costs a request: a create on a
 * recorded key fails (412) and must be followed by a read. A pod replaying a
 * finished range (a retried pod, a duplicate pod) mostly meets recorded keys,
 * a first run mostly fresh ones, so the ledger follows what it has recently
 * seen. Correctness never depends on the order: the create is conditional
 * either way.
 */

/** Weight of the newest observation in the moving average. */
const NEWEST_WEIGHT = 0.1;

/**
 * An exponentially weighted share of recent claims that found the key
 * already taken (recorded or in progress).
 *
 * @example
 * ```ts
 * const tendency = new ReplayTendency();
 * tendency.observe(true);
 * tendency.likely; // false until most recent claims were replays
 * ```
 */
export class ReplayTendency {
  #share = 0;

  /** True when most recent claims found the key taken: read first. */
  get likely(): boolean {
    return this.#share > 0.5;
  }

  /** Record whether a claim found the key already taken. */
  observe(taken: boolean): void {
    this.#share = this.#share * (1 - NEWEST_WEIGHT) + (taken ? NEWEST_WEIGHT : 0);
  }
}
