/**
 * Errors of the idempotency module. Each extends the runtime error of its exit
 * class, so `instanceof PermanentError` (etc.) and the exit-code table keep
 * working for code that does not know about idempotency:
 *
 * | error | class | exit |
 * |---|---|---|
 * | IdempotencyKeyError | permanent | 65 |
 * | IdempotencyPayloadMismatchError | permanent | 65 |
 * | IdempotencyResultError | permanent | 65 |
 * | IdempotencyRecordedFailureError | permanent | 65 |
 * | IdempotencyKeyInProgressError | retryable | 75 |
 * | IdempotencyLeaseLostError | fenced | 73 |
 * | IdempotencyRecordCorruptError | permanent | 65 |
 * | IdempotencyRecordVersionError | configuration | 78 |
 */
import { ConfigurationError, FencedError, type JobkitErrorOptions, PermanentError, RetryableError } from '../runtime/errors.ts';
import { versionMismatch } from '../util/format-version.ts';

/**
 * An idempotency key is unusable: empty, longer than the limit, not a string,
 * or containing control characters or lone surrogates. The key comes from the
 * item, so the same item would fail every time: permanent (exit 65).
 *
 * @example
 * ```ts
 * try { await job.idempotent('', write); }
 * catch (err) { if (err instanceof IdempotencyKeyError) job.log.error(err.message); }
 * ```
 */
export class IdempotencyKeyError extends PermanentError {}

/**
 * The key was already used with a different payload. The recorded result
 * belongs to another item, so it is never replayed: two different items were
 * given the same key, which is a bug in the key derivation or in the input.
 * Permanent (exit 65).
 *
 * @example
 * ```ts
 * await ledger.run('order-1', send, { payload: { amount: 10 } });
 * await ledger.run('order-1', send, { payload: { amount: 99 } }); // throws IdempotencyPayloadMismatchError
 * ```
 */
export class IdempotencyPayloadMismatchError extends PermanentError {
  /** The key as the caller gave it. */
  readonly key: string;
  /** sha256 of the canonical JSON of the recorded payload (`null`: recorded without a payload). */
  readonly recordedPayloadHash: string | null;
  /** sha256 of the canonical JSON of this call's payload (`null`: no payload given). */
  readonly payloadHash: string | null;

  constructor(key: string, recordedPayloadHash: string | null, payloadHash: string | null) {
    super(
      `idempotency key ${JSON.stringify(key)} was already used with a different payload ` +
        `(recorded ${recordedPayloadHash ?? 'none'}, this call ${payloadHash ?? 'none'}); ` +
        'the recorded result belongs to another item and is not replayed: give each item its own key',
    );
    this.key = key;
    this.recordedPayloadHash = recordedPayloadHash;
    this.payloadHash = payloadHash;
  }
}

/**
 * The function ran (its side effect happened) but its result cannot be
 * recorded: it is not JSON-serializable (a function, a class instance, a
 * cycle, a non-finite number, a bigint...) or larger than `maxResultBytes`.
 * The key is NOT marked completed and the claim is released, so a later run
 * runs the function again. Return a plain JSON value (or nothing). Permanent
 * (exit 65): the same code would fail the same way.
 *
 * @example
 * ```ts
 * await ledger.run('k', async () => new Map()); // throws IdempotencyResultError: ... at $
 * ```
 */
export class IdempotencyResultError extends PermanentError {
  /** The key as the caller gave it. */
  readonly key: string;

  constructor(key: string, why: string, options?: JobkitErrorOptions) {
    super(
      `the function for idempotency key ${JSON.stringify(key)} ran (its side effect happened) but its result ` +
        `cannot be recorded: ${why}. The key was not marked completed and was released, so a later run ` +
        'runs the function again; return a plain JSON value (or nothing)',
      options,
    );
    this.key = key;
  }
}

/**
 * A permanent error recorded by an earlier run (with `permanentErrors:
 * 'record'`), replayed instead of running the function again. `name`,
 * `message` and `exitClass` are those of the original error.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof IdempotencyRecordedFailureError) log.warn(err.originalName); }
 * ```
 */
export class IdempotencyRecordedFailureError extends PermanentError {
  /** The key as the caller gave it. */
  readonly key: string;
  /** `name` of the error the first run threw. */
  readonly originalName: string;
  /** When the failure was recorded (ms since the epoch). */
  readonly failedAtMs: number;

  constructor(key: string, originalName: string, originalMessage: string, failedAtMs: number) {
    super(originalMessage);
    this.key = key;
    this.originalName = originalName;
    this.failedAtMs = failedAtMs;
  }
}

/**
 * Another owner holds the key and did not finish within `maxWaitMs` (or the
 * policy is `onInProgress: 'fail'`). Retryable (exit 75): a later attempt will
 * find the result, or take the key over once the owner's lease expires.
 *
 * @example
 * ```ts
 * await ledger.run('k', fn, { onInProgress: 'fail' }); // throws IdempotencyKeyInProgressError if busy
 * ```
 */
export class IdempotencyKeyInProgressError extends RetryableError {
  /** The key as the caller gave it. */
  readonly key: string;
  /** When the current owner's lease expires (ms since the epoch, owner's clock). */
  readonly leaseExpiresAtMs: number;
  /** The owner, for the message: pod name (or host) and process id. */
  readonly owner: string;

  constructor(key: string, owner: string, leaseExpiresAtMs: number, why: string) {
    super(
      `idempotency key ${JSON.stringify(key)} is in progress in ${owner} ` +
        `(lease expires at ${new Date(leaseExpiresAtMs).toISOString()}); ${why}`,
    );
    this.key = key;
    this.owner = owner;
    this.leaseExpiresAtMs = leaseExpiresAtMs;
  }
}

/**
 * This owner's lease on the key was taken over (it expired: renewals failed or
 * the process stalled longer than the lease), or could not be renewed before
 * it expired. The function's signal was aborted and its result was NOT
 * recorded; the new owner runs the function. Fenced (exit 73, ignored by the
 * generated podFailurePolicy), like the work queue's LeaseLostError: why a
 * lost lease is fenced and not retryable is written once, on LeaseLostError
 * (src/sharding/errors.ts) and in docs/exit-codes.md ("Lost leases").
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof IdempotencyLeaseLostError) return; // someone else owns it now
 * }
 * ```
 */
export class IdempotencyLeaseLostError extends FencedError {
  /** The key as the caller gave it. */
  readonly key: string;
  /** Why the lease was lost. */
  readonly reason: string;

  constructor(key: string, reason: string, options?: JobkitErrorOptions) {
    super(`lost the lease on idempotency key ${JSON.stringify(key)}: ${reason}; the result was not recorded`, options);
    this.key = key;
    this.reason = reason;
  }
}

/**
 * An idempotency record in the store is not one jobkit wrote (bad JSON,
 * unknown version or status). It is left alone rather than overwritten.
 * Permanent (exit 65): inspect or delete the object named in the message.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof IdempotencyRecordCorruptError) log.error({ key: err.storeKey }, err.message); }
 * ```
 */
export class IdempotencyRecordCorruptError extends PermanentError {
  /** The store key of the record. */
  readonly storeKey: string;

  constructor(storeKey: string, why: string) {
    super(`idempotency record ${storeKey} is not readable (${why}); inspect or delete it`);
    this.storeKey = storeKey;
  }
}

/**
 * An idempotency record has a format version this jobkit does not read:
 * written by a newer jobkit (an older image runs against records a newer one
 * wrote), or more than one version older. A reader decodes its own version and
 * the previous one. The record is left alone; every pod of this image would
 * hit the same, so it is a configuration error (exit 78): upgrade the image.
 *
 * @example
 * ```ts
 * catch (err) { if (err instanceof IdempotencyRecordVersionError) log.error({ key: err.storeKey, found: err.found }, err.message); }
 * ```
 */
export class IdempotencyRecordVersionError extends ConfigurationError {
  /** The store key of the record. */
  readonly storeKey: string;
  /** The version found in the record. */
  readonly found: number;
  /** The version this jobkit writes, the highest it reads. */
  readonly supported: number;

  constructor(storeKey: string, found: number, supported: number) {
    super(`idempotency record ${storeKey} ${versionMismatch(found, supported)}`);
    this.storeKey = storeKey;
    this.found = found;
    this.supported = supported;
  }
}
