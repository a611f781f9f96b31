/**
 * Errors of the sharding module.
 */
import { ConfigurationError, FencedError, type JobkitErrorOptions } from '../runtime/errors.ts';

/**
 * The input holds the same key more than once. Every index sees the same input,
 * so every index would fail the same way: it is a Job-level error (exit 78).
 * Pass `duplicates: 'keep-first'` to drop repeats, or `'allow'` to keep them.
 *
 * @example
 * ```ts
 * try { shardItems(rows, spec, { strategy: 'hash', key: (r) => r.id }); }
 * catch (err) { if (err instanceof DuplicateShardKeyError) console.log(err.duplicates); }
 * ```
 */
export class DuplicateShardKeyError extends ConfigurationError {
  /** The first duplicated keys found (at most 20). */
  readonly duplicates: readonly string[];
  /** How many repeated occurrences were found (a stream stops at the first one). */
  readonly duplicateCount: number;

  constructor(duplicates: readonly string[], duplicateCount: number, options?: JobkitErrorOptions) {
    const shown = duplicates.slice(0, 20);
    super(
      `sharding input has ${duplicateCount} duplicate key occurrence(s), e.g. ${shown.map((k) => JSON.stringify(k)).join(', ')}; ` +
        `each key must appear once (or pass duplicates: 'keep-first' or 'allow')`,
      options,
    );
    this.duplicates = shown;
    this.duplicateCount = duplicateCount;
  }
}

/**
 * A frozen shard plan in the store fails its checksum, has an unknown format
 * version, or does not match what this pod asked for. Every index reads the same
 * plan, so this is a Job-level error (exit 78): inspect or delete the plan
 * (its key is in the message) and re-run.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof ShardPlanError) log.error({ key: err.key }, err.message); }
 * ```
 */
export class ShardPlanError extends ConfigurationError {
  /** Store key of the offending plan object. */
  readonly key: string;

  constructor(key: string, message: string, options?: JobkitErrorOptions) {
    super(`shard plan ${key}: ${message}`, options);
    this.key = key;
  }
}

/**
 * A work-queue record in the store (`queue.json` or a chunk record) cannot be
 * used: it is not JSON, a field has the wrong type (named in the message), or
 * its format version is one this jobkit does not read (written by a newer
 * jobkit: upgrade the image). Every worker reads the same records, so this is
 * a Job-level error (exit 78); the record is left alone.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof WorkQueueRecordError) log.error({ key: err.key }, err.message); }
 * ```
 */
export class WorkQueueRecordError extends ConfigurationError {
  /** Store key of the offending record. */
  readonly key: string;

  constructor(key: string, message: string, options?: JobkitErrorOptions) {
    super(`work-queue record ${key} ${message}`, options);
    this.key = key;
  }
}

/**
 * This worker's lease on a work-queue chunk was taken over (it did not renew in
 * time) or could not be renewed before it expired. The chunk's `signal` is
 * aborted with this error; the worker must stop working on the chunk, whose new
 * owner redoes it. Not a failure of the pod: fenced (exit 73, ignored by the
 * generated podFailurePolicy).
 *
 * Why fenced, the class of the idempotency ledger's IdempotencyLeaseLostError
 * too (this one was retryable, 75, until both were made one): a lost lease
 * means "another worker owns this unit of work now", as a superseded
 * checkpoint writer's does. The pod's input is not at fault and the unit is
 * redone by its new owner, so the failure must not use up backoffLimit
 * (Ignore still brings a replacement pod for the rest of the work), and
 * `retry()` must not run the unit again in process, which it would do with a
 * retryable error. Lasting store trouble still counts: the replacement's
 * first request fails retryable. docs/exit-codes.md ("Lost leases") has the
 * same reasoning for operators, and the one case Ignore leaves unbounded.
 *
 * @example
 * ```ts
 * await queue.run(async ({ chunk, signal }) => {
 *   signal.throwIfAborted(); // throws LeaseLostError after a takeover
 * });
 * ```
 */
export class LeaseLostError extends FencedError {
  /** The chunk whose lease was lost. */
  readonly chunk: number;

  constructor(chunk: number, message: string, options?: JobkitErrorOptions) {
    super(`work-queue chunk ${chunk}: ${message}`, options);
    this.chunk = chunk;
  }
}
