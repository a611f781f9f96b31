/**
 * The errors of the single-run guard, each with its exit class.
 */
import { ConfigurationError, FencedError, JobkitError, PermanentError } from '../runtime/errors.ts';
import { versionMismatch } from '../util/format-version.ts';

/**
 * Another run holds the guard and did not let go within `waitMs`. Exits 69;
 * the generated podFailurePolicy fails the Job (retrying while the other run
 * holds it would only burn retries). The message names the holder.
 *
 * @example
 * ```ts
 * try { await job.exclusive('migrate', migrate); } catch (err) {
 *   if (err instanceof ExclusiveBusyError) console.log(err.holder.pod);
 * }
 * ```
 */
export class ExclusiveBusyError extends JobkitError {
  readonly exitClass = 'busy';
  /** Who held it when this run gave up. */
  readonly holder: ExclusiveHolder;

  constructor(message: string, holder: ExclusiveHolder) {
    super(message);
    this.holder = holder;
  }
}

/**
 * This run lost the guard while `fn` ran (another run took it over after a
 * renewal failed long enough, or the store refused the renewal): `fn`'s signal
 * is aborted with it and `exclusive` rejects with it. Exits 73.
 *
 * @example
 * ```ts
 * await job.exclusive('migrate', async ({ signal }) => {
 *   for (const batch of batches) { signal.throwIfAborted(); await apply(batch); }
 * });
 * ```
 */
export class ExclusiveLeaseLostError extends FencedError {}

/** Who holds a guard, as its record says. */
export interface ExclusiveHolder {
  readonly job: string;
  readonly pod: string | null;
  readonly podUid: string | null;
  readonly node: string | null;
  readonly attempt: number | null;
  /** The holder's run id (`job.run.id`). */
  readonly run: string;
  /** Fencing epoch: grows by one on every acquisition. */
  readonly epoch: number;
  /** When the holder acquired it, ms since the epoch. */
  readonly acquiredAt: number;
  /** When its lease runs out unless renewed, ms since the epoch. */
  readonly expiresAt: number;
}

/**
 * The guard's record in the store is not one (damaged, or not written by
 * jobkit): nothing is overwritten. Exits 65.
 *
 * @example
 * ```ts
 * new ExclusiveRecordCorruptError('exclusive/migrate', 'field "epoch" must be an integer >= 1');
 * ```
 */
export class ExclusiveRecordCorruptError extends PermanentError {
  constructor(storeKey: string, why: string) {
    super(`the single-run guard record ${storeKey} is corrupt: ${why}; delete it if no run is active (nothing was overwritten)`);
  }
}

/**
 * The guard's record has a format version this jobkit does not read. Exits 78.
 *
 * @example
 * ```ts
 * new ExclusiveRecordVersionError('exclusive/migrate', 2, 1);
 * ```
 */
export class ExclusiveRecordVersionError extends ConfigurationError {
  constructor(storeKey: string, found: number, current: number) {
    super(`the single-run guard record ${storeKey} ${versionMismatch(found, current)}`);
  }
}
