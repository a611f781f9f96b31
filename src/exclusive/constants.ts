/**
 * Defaults of the single-run guard (`job.exclusive`), in milliseconds. The
 * option types point their `@default` tags here; docs/exclusive.md quotes them.
 */

/**
 * How long the guard is held without renewal. The holder renews every third
 * of it; a holder killed with SIGKILL frees the guard this long (plus the
 * clock-skew margin) after its last renewal.
 *
 * @default 15_000
 */
export const DEFAULT_EXCLUSIVE_LEASE_MS = 15_000;

/**
 * How long a second run waits for the holder before giving up: a minute
 * covers a Replace race (the old pod's grace period, 30 s by default) and a
 * short overlap of two schedules, without hiding a run that never ends.
 *
 * @default 60_000
 */
export const DEFAULT_EXCLUSIVE_WAIT_MS = 60_000;

/**
 * Clock difference between pods tolerated before an expired guard is taken
 * over.
 *
 * @default 2_000
 */
export const DEFAULT_EXCLUSIVE_CLOCK_SKEW_MARGIN_MS = 2_000;

/** How often a waiting run says who holds the guard (the first time at once). */
export const BUSY_LOG_INTERVAL_MS = 30_000;

/** The longest pause between two looks at a held guard. */
export const MAX_POLL_MS = 2_000;
