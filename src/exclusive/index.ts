/**
 * The single-run guard: `job.exclusive(name, fn)` (and runJob's `exclusive`
 * option) runs `fn` only while this pod holds a fenced lease in the store,
 * so a second run of the same CronJob, scheduled or manual, waits or stops.
 *
 * @example
 * ```ts
 * import { runExclusive } from 'jobkit';
 * const result = await runExclusive({ store, identity, log }, 'migrate-users', ({ signal }) => migrate(signal));
 * ```
 */
export { exclusiveOptionsFromEnv } from './config.ts';
export {
  BUSY_LOG_INTERVAL_MS,
  DEFAULT_EXCLUSIVE_CLOCK_SKEW_MARGIN_MS,
  DEFAULT_EXCLUSIVE_LEASE_MS,
  DEFAULT_EXCLUSIVE_WAIT_MS,
} from './constants.ts';
export { ExclusiveBusyError, type ExclusiveHolder, ExclusiveLeaseLostError, ExclusiveRecordCorruptError, ExclusiveRecordVersionError } from './errors.ts';
export {
  checkExclusiveOptions,
  describeHolder,
  type ExclusiveContext,
  type ExclusiveEnvironment,
  exclusiveKey,
  type ExclusiveOptions,
  type ExclusiveResult,
  type ExclusiveScope,
  runExclusive,
} from './guard.ts';
