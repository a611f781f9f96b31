/**
 * The token bucket itself: pure arithmetic on a clock the caller passes in,
 * so its unit tests need no timers.
 */

/**
 * A token bucket: `rate` tokens per second flow in, up to `burst`; taking `n`
 * tokens succeeds when there are `n`, otherwise it says how long until there
 * will be. It can be paused (a `Retry-After`): no token flows in, and none can
 * be taken, until then. Times are milliseconds on any monotonic clock.
 *
 * @example
 * ```ts
 * const bucket = new TokenBucket({ ratePerSecond: 10, burst: 1, nowMs: 0 });
 * bucket.tryTake(1, 0);   // 0: taken
 * bucket.tryTake(1, 0);   // 100: try again in 100 ms
 * bucket.tryTake(1, 100); // 0: taken
 * ```
 */
export class TokenBucket {
  #rate: number;
  readonly #burst: number;
  #tokens: number;
  #updatedMs: number;
  #pausedUntilMs = -Infinity;

  /**
   * @param options `ratePerSecond` > 0, `burst` >= 1, `nowMs` the clock's
   * reading now; `initialTokens` (default 0: the first take waits one
   * interval, so pods started together do not burst together).
   */
  constructor(options: { readonly ratePerSecond: number; readonly burst: number; readonly nowMs: number; readonly initialTokens?: number }) {
    this.#rate = options.ratePerSecond;
    this.#burst = options.burst;
    this.#tokens = Math.min(options.burst, options.initialTokens ?? 0);
    this.#updatedMs = options.nowMs;
  }

  /** The current rate, tokens per second. */
  get ratePerSecond(): number {
    return this.#rate;
  }

  /** The most tokens the bucket holds (and the most one take may ask for). */
  get burst(): number {
    return this.#burst;
  }

  /** Until when takes are refused (`-Infinity` when not paused). */
  get pausedUntilMs(): number {
    return this.#pausedUntilMs;
  }

  /**
   * The tokens there are at `nowMs` (fractional).
   *
   * @example
   * ```ts
   * new TokenBucket({ ratePerSecond: 2, burst: 4, nowMs: 0 }).tokens(1_000); // 2
   * ```
   */
  tokens(nowMs: number): number {
    this.#refill(nowMs);
    return this.#tokens;
  }

  /**
   * Take `n` tokens if there are: 0 when taken, else the milliseconds to wait
   * before trying again (> 0). `n` must be at most {@link TokenBucket.burst}.
   *
   * @example
   * ```ts
   * const wait = bucket.tryTake(1, performance.now());
   * if (wait > 0) await sleep(wait);
   * ```
   */
  tryTake(n: number, nowMs: number): number {
    if (nowMs < this.#pausedUntilMs) return this.#pausedUntilMs - nowMs + ((n - this.#tokens) / this.#rate) * 1000;
    this.#refill(nowMs);
    if (this.#tokens >= n) {
      this.#tokens -= n;
      return 0;
    }
    // At least a millisecond, so a caller's loop never spins on rounding.
    return Math.max(1, ((n - this.#tokens) / this.#rate) * 1000);
  }

  /**
   * Change the rate from `nowMs` on (tokens gathered so far at the old rate
   * are kept).
   *
   * @example
   * ```ts
   * bucket.setRate(5, now); // half of 10/s after a 429
   * ```
   */
  setRate(ratePerSecond: number, nowMs: number): void {
    this.#refill(nowMs);
    this.#rate = ratePerSecond;
  }

  /**
   * Pause until `untilMs`: takes are refused until then, the bucket is
   * emptied, and tokens flow in again only from then on (so the end of a
   * pause is not a burst). A pause never shortens an earlier, longer one.
   *
   * @example
   * ```ts
   * bucket.pauseUntil(now + 1_000); // Retry-After: 1
   * ```
   */
  pauseUntil(untilMs: number): void {
    if (untilMs <= this.#pausedUntilMs) return;
    this.#pausedUntilMs = untilMs;
    this.#tokens = 0;
    this.#updatedMs = untilMs;
  }

  #refill(nowMs: number): void {
    if (nowMs <= this.#updatedMs) return;
    this.#tokens = Math.min(this.#burst, this.#tokens + ((nowMs - this.#updatedMs) / 1000) * this.#rate);
    this.#updatedMs = nowMs;
  }
}
