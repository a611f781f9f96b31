/**
 * Defaults and limits of the idempotency module, in milliseconds and bytes.
 */

/** Default lease of a claim without renewal. */
export const DEFAULT_LEASE_MS = 10_000;
/** Default tolerated clock difference between pods. */
export const DEFAULT_CLOCK_SKEW_MARGIN_MS = 5_000;
/** Default time a completed key is remembered: 7 days, longer than a backfill's retries. */
export const DEFAULT_TTL_MS = 7 * 24 * 60 * 60 * 1_000;
/** Default longest wait for another owner. */
export const DEFAULT_MAX_WAIT_MS = 120_000;
/** Default first poll interval while waiting. */
export const DEFAULT_POLL_MIN_MS = 100;
/** Default largest poll interval while waiting. */
export const DEFAULT_POLL_MAX_MS = 2_000;
/** Default largest recorded result. */
export const DEFAULT_MAX_RESULT_BYTES = 256 * 1_024;
/** Default number of completed records cached in process. */
export const DEFAULT_CACHE_SIZE = 1_000;
/** Default concurrency of the batch API. */
export const DEFAULT_BATCH_CONCURRENCY = 16;
/** Longest accepted key, in UTF-16 code units. */
export const MAX_KEY_LENGTH = 1_024;
/** Key segment under the scope prefix where records live. */
export const RECORDS_SEGMENT = 'idempotency';
/**
 * How many claim rounds one call makes before giving up: each round ends in a
 * write that lost a race to a live writer, so this only bounds pathological churn.
 */
export const MAX_CLAIM_ROUNDS = 64;
