/**
 * Defaults and limits of the idempotency module, in milliseconds and bytes.
 * The option types (types.ts) point their `@default` tags here, and
 * docs/idempotency.md and docs/configuration.md quote these values.
 */
import type { InProgressPolicy, PermanentErrorPolicy } from './types.ts';

/**
 * How long a claim holds its key without renewal. Short, so that a crashed
 * owner's key frees within about 15 s (lease plus clock-skew margin); the
 * owner renews every third of it while the function runs, so a long function
 * keeps its key.
 *
 * @default 10_000
 */
export const DEFAULT_LEASE_MS = 10_000;

/**
 * Clock difference between pods that a lease tolerates before another pod
 * takes it over. NTP keeps nodes within milliseconds; 5 s covers a node whose
 * clock drifted without letting a dead owner's key wait long.
 *
 * @default 5_000
 */
export const DEFAULT_CLOCK_SKEW_MARGIN_MS = 5_000;

/**
 * How long a completed key is remembered: 7 days, longer than a backfill's
 * retries and a weekly CronJob's period, short enough for the records to be
 * collected.
 *
 * @default 604_800_000
 */
export const DEFAULT_TTL_MS = 7 * 24 * 60 * 60 * 1_000;

/**
 * Longest time `onInProgress: 'wait'` waits for another owner: two minutes is
 * several leases, so a live owner finishes or a dead one's lease expires.
 *
 * @default 120_000
 */
export const DEFAULT_MAX_WAIT_MS = 120_000;

/**
 * First poll interval while waiting for another owner; it doubles (with
 * jitter) up to {@link DEFAULT_POLL_MAX_MS}, so a short function is seen done
 * quickly without polling the store hard.
 *
 * @default 100
 */
export const DEFAULT_POLL_MIN_MS = 100;

/**
 * Largest poll interval while waiting: one GET per pod every 2 s at worst.
 *
 * @default 2_000
 */
export const DEFAULT_POLL_MAX_MS = 2_000;

/**
 * What a call does when another owner holds the key: wait for its result, the
 * usual wish of a retried pod.
 *
 * @default 'wait'
 */
export const DEFAULT_ON_IN_PROGRESS: InProgressPolicy = 'wait';

/**
 * What a permanent error of the function does to its key: release it, so a
 * fixed program can run the function again.
 *
 * @default 'release'
 */
export const DEFAULT_PERMANENT_ERRORS: PermanentErrorPolicy = 'release';

/**
 * Largest recorded result (bytes of its JSON): results are stored in the
 * record and read back on every replay, so they should be ids and small
 * summaries, not data.
 *
 * @default 262_144
 */
export const DEFAULT_MAX_RESULT_BYTES = 256 * 1_024;

/**
 * Completed records cached in process, so a loop that replays the same keys
 * does not GET each one again; 1 000 small records cost little memory.
 *
 * @default 1_000
 */
export const DEFAULT_CACHE_SIZE = 1_000;

/**
 * Keys the batch API claims at once: enough to hide store latency, few enough
 * to stay under an S3 prefix's request rate.
 *
 * @default 16
 */
export const DEFAULT_BATCH_CONCURRENCY = 16;

/** Longest accepted key, in UTF-16 code units (keeps the store key under S3's 1024 bytes with the prefix). */
export const MAX_KEY_LENGTH = 1_024;
/** Key segment under the scope prefix where records live. */
export const RECORDS_SEGMENT = 'idempotency';
/**
 * How many claim rounds one call makes before giving up: each round ends in a
 * write that lost a race to a live writer, so this only bounds pathological churn.
 */
export const MAX_CLAIM_ROUNDS = 64;
