/**
 * Defaults of the rate limiter (`job.limiter`, {@link createRateLimiter}).
 * Each value is the `@default` of its option or a fixed rule of the
 * adaptive behaviour; docs/limits.md shows them.
 */

/**
 * Tokens a pod's bucket holds at most, when `burst` is not given: 1, so a
 * pod never sends two requests closer together than its rate allows. A
 * bucket of `b` tokens lets `rate × window + b` requests through in any
 * window; with many pods the bursts add up, so the default keeps them small.
 * @default 1
 *
 * @example
 * ```ts
 * job.limiter('api', { ratePerSecond: 5 }).limit.burst; // DEFAULT_LIMITER_BURST
 * ```
 */
export const DEFAULT_LIMITER_BURST = 1;

/**
 * The rate is multiplied by this on a throttled response (429, 503):
 * the multiplicative decrease of AIMD.
 * @default 0.5
 *
 * @example
 * ```ts
 * const slowed = rate * LIMITER_DECREASE_FACTOR;
 * ```
 */
export const LIMITER_DECREASE_FACTOR = 0.5;

/**
 * Each success adds this fraction of the configured rate back, up to the
 * configured rate: the additive increase of AIMD (from half the rate, ten
 * successes recover it).
 * @default 0.05
 *
 * @example
 * ```ts
 * const next = Math.min(configured, rate + configured * LIMITER_INCREASE_FRACTION);
 * ```
 */
export const LIMITER_INCREASE_FRACTION = 0.05;

/**
 * The floor of the adaptive rate, as a fraction of the configured rate, when
 * `minRatePerSecond` is not given: throttling never stops a pod entirely.
 * @default 0.05
 *
 * @example
 * ```ts
 * const floor = podRate * DEFAULT_LIMITER_MIN_RATE_FRACTION;
 * ```
 */
export const DEFAULT_LIMITER_MIN_RATE_FRACTION = 0.05;

/**
 * Throttled responses within this many milliseconds of a decrease do not
 * decrease the rate again: the requests already in flight when the first 429
 * came back answer for the same overload.
 * @default 1000
 *
 * @example
 * ```ts
 * if (now - lastDecrease >= LIMITER_DECREASE_COOLDOWN_MS) rate /= 2;
 * ```
 */
export const LIMITER_DECREASE_COOLDOWN_MS = 1_000;

/**
 * The longest pause a `Retry-After` can impose (a server asking for an hour
 * is capped to this, and the rate decrease does the rest).
 * @default 300000 (5 minutes)
 *
 * @example
 * ```ts
 * const pause = Math.min(retryAfterMs('3600') ?? 0, LIMITER_MAX_RETRY_AFTER_MS); // 300000
 * ```
 */
export const LIMITER_MAX_RETRY_AFTER_MS = 300_000;

/**
 * How many limiters of distinct names one run may create: the name is a
 * metric label, so it must stay low-cardinality.
 * @default 32
 *
 * @example
 * ```ts
 * if (names.size >= MAX_LIMITERS) throw new ConfigurationError('too many limiters');
 * ```
 */
export const MAX_LIMITERS = 32;

/**
 * What a limiter's name must look like: a metric label value, 1 to 64 characters.
 *
 * @example
 * ```ts
 * LIMITER_NAME_PATTERN.test('api'); // true
 * ```
 */
export const LIMITER_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_.:-]{0,63}$/;
