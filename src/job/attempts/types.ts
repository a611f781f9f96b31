/**
 * The public types of the attempt lineage (`job.attempts`) and of
 * `job.item`. Views built from the stored records (format.ts), so no stored
 * type is package API.
 */

/**
 * How a previous attempt ended:
 * - `completed`: exit 0;
 * - `failed`: an error ended it (`exitClass` says which: retryable, permanent, crash...);
 * - `stopped`: SIGTERM/SIGINT (a preemption, an eviction, a drain) or the deadline (`reason`);
 * - `crashed`: a start record and no end record: the process died without
 *   running its shutdown hooks (OOM kill, SIGKILL, `abort()`, node loss), or
 *   it is still running (a duplicate pod).
 */
export type AttemptOutcome = 'completed' | 'failed' | 'stopped' | 'crashed';

/**
 * A previous attempt of this index, as its records tell it.
 *
 * @example
 * ```ts
 * const last = job.attempts.previous[0];
 * if (last?.outcome === 'crashed') job.log.warn({ on: last.inProgress }, 'the last attempt died');
 * ```
 */
export interface PastAttempt {
  /** Unique per attempt: start time and pod UID. */
  readonly id: string;
  /** 0-based attempt number (the platform's when it tells one; see {@link JobAttempts.attempt}). */
  readonly attempt: number;
  readonly pod: string | null;
  readonly node: string | null;
  readonly startedAt: Date;
  readonly outcome: AttemptOutcome;
  /** Exit code and its class; null for a crashed attempt. */
  readonly exitCode: number | null;
  readonly exitClass: string | null;
  /** Shutdown reason (completed, failed, signal, deadline); null for a crashed attempt. */
  readonly reason: string | null;
  /** Run time; for a crashed attempt, until its last record write (its last sign of life). */
  readonly durationMs: number;
  /** Items processed (`jobkit_items_total{outcome="processed"}`), at the end or the last record write. */
  readonly itemsDone: number;
  /** The shard position reached (`jobkit_shard_position`), when a share was handed out. */
  readonly position: number | null;
  /** Items (job.item keys) in progress at its last record write: for a crashed attempt, what it died on. */
  readonly inProgress: readonly string[];
  /** Items it quarantined; 0 when unknown (crashed). */
  readonly quarantined: number;
}

/**
 * This attempt and the previous ones of this index (`job.attempts`), read
 * once at start, newest first. Use it to adapt: smaller batches after a
 * crash, a cheaper mode after a deadline.
 *
 * @example
 * ```ts
 * // Halve the batch size after each crash in a row (OOM kills), down to 1.
 * const batchSize = Math.max(1, 1_000 >> job.attempts.consecutiveCrashes);
 * job.log.info({ batchSize }, job.attempts.describe());
 * ```
 */
export interface JobAttempts {
  /** Whether attempts are recorded (a store is configured and `attempts` is not false). */
  readonly recorded: boolean;
  /** This attempt's id (empty when not recorded). */
  readonly id: string;
  /** This attempt's 0-based number: `identity.attempt` when the platform tells it, else one more than the previous attempt's. */
  readonly attempt: number;
  /** Previous attempts, newest first (at most the records kept). */
  readonly previous: readonly PastAttempt[];
  /** Previous attempts in a row, newest first, that crashed. */
  readonly consecutiveCrashes: number;
  /** How many previous attempts crashed with `itemKey` in progress. */
  crashesOn(itemKey: string): number;
  /** One line: `attempt 3; previous: stopped (signal) at item 1,200 after 14 min; before that crashed at item 900 on "row-17"`. */
  describe(): string;
}

/**
 * What job.item quarantines instead of failing the index:
 * - `crashes` (default): an item that attempts keep dying on (OOM, abort, SIGKILL);
 * - `permanent`: also an item whose run throws a permanent error (exit class `permanent`);
 * - `false`: nothing (the item is still marked and counted).
 */
export type QuarantineMode = 'crashes' | 'permanent' | false;

/**
 * Options of `job.item`.
 *
 * @example
 * ```ts
 * await job.item(`row-${i}`, () => load(i), { quarantine: 'permanent' });
 * ```
 */
export interface ItemOptions {
  /** @default 'crashes' */
  readonly quarantine?: QuarantineMode;
}

/**
 * What `job.item` did: ran the function (`value`), or skipped a quarantined item.
 *
 * @example
 * ```ts
 * const r = await job.item(`row-${i}`, () => transform(i));
 * if (!r.quarantined) rows.push(r.value);
 * ```
 */
export type ItemRun<T> =
  | { readonly quarantined: false; readonly value: T }
  | { readonly quarantined: true; readonly cause: 'crashed' | 'permanent' };

/**
 * Options of the attempt lineage (runJob's `attempts`), or `false` to record nothing.
 *
 * @example
 * ```ts
 * await runJob(main, { store: 's3://bucket/jobkit', attempts: { keep: 10, quarantineAfter: 3 } });
 * ```
 */
export interface AttemptsOptions {
  /** Attempts whose records are kept per index. @default {@link DEFAULT_ATTEMPTS_KEEP} (20) */
  readonly keep?: number;
  /** Crashes on the same item after which it is quarantined. @default {@link DEFAULT_QUARANTINE_AFTER} (2) */
  readonly quarantineAfter?: number;
  /** ms after an item before its in-progress mark is cleared. @default {@link DEFAULT_CLEAR_AFTER_MS} (1 000) */
  readonly clearAfterMs?: number;
}
