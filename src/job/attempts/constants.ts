/**
 * Defaults of the attempt lineage and the poison-item quarantine (job.attempts, job.item).
 */

/**
 * Attempts of an index whose records are kept; the writer deletes older ones
 * at start. 20 covers a backoffLimitPerIndex of 6 several times over while a
 * listing stays one page; it must be at least {@link DEFAULT_QUARANTINE_AFTER}.
 *
 * @default 20
 */
export const DEFAULT_ATTEMPTS_KEEP = 20;

/**
 * Crashed attempts (no end record) with the same item in progress after which
 * the next attempt quarantines the item. 2: one crash can be the node's fault
 * (OOM kill of a noisy neighbour, node loss); two on the same item rarely are.
 *
 * @default 2
 */
export const DEFAULT_QUARANTINE_AFTER = 2;

/**
 * Milliseconds after an item finished before its in-progress mark is cleared
 * in the store (when no other item marked first): the next item's mark
 * replaces it for free, so a run of items costs one write each, not two.
 *
 * @default 1_000
 */
export const DEFAULT_CLEAR_AFTER_MS = 1_000;

/**
 * Budget of the shutdown hook that writes the end record (phase `release`,
 * after the checkpoint's final save, so the progress it records is saved).
 *
 * @default 2_000
 */
export const END_RECORD_BUDGET_MS = 2_000;

/** Items marked in progress at once (concurrent job.item calls); more are run unmarked, with a warning. */
export const MAX_IN_PROGRESS = 64;

/** Longest item key job.item takes (characters): keys are stored in every record. */
export const MAX_ITEM_KEY_LENGTH = 1_024;

/** Store requests in flight while reading or pruning the records of one index. */
export const RECORD_CONCURRENCY = 8;

/** Characters of an error message kept in a dead-letter record. */
export const MAX_ERROR_CHARS = 500;
