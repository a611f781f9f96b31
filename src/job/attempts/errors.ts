/**
 * The errors of the attempt records and dead-letter records, each with its exit class.
 */
import { ConfigurationError, PermanentError } from '../../runtime/errors.ts';
import { versionMismatch } from '../../util/format-version.ts';

/**
 * An attempt or dead-letter record in the store is not one (damaged, or not
 * written by jobkit). Readers skip it with a warning (the lineage is advisory
 * and never stops a job); the codec throws it. Exits 65 where it escapes.
 *
 * @example
 * ```ts
 * new AttemptRecordCorruptError('jobs/default/etl/index-0/attempts/x/start.json', 'field "startedAt" must be a number');
 * ```
 */
export class AttemptRecordCorruptError extends PermanentError {
  constructor(storeKey: string, why: string) {
    super(`the attempt record ${storeKey} is corrupt: ${why} (nothing was overwritten)`);
  }
}

/**
 * An attempt or dead-letter record has a format version this jobkit does not
 * read. Exits 78 where it escapes (readers skip it with a warning).
 *
 * @example
 * ```ts
 * new AttemptRecordVersionError('jobs/default/etl/index-0/attempts/x/end.json', 2, 1);
 * ```
 */
export class AttemptRecordVersionError extends ConfigurationError {
  constructor(storeKey: string, found: number, current: number) {
    super(`the attempt record ${storeKey} ${versionMismatch(found, current)}`);
  }
}
