/**
 * Errors of the local emulator.
 */
import { ConfigurationError } from '../runtime/errors.ts';
import { type FieldError, formatInvalidJob } from './field-errors.ts';

/**
 * The Job manifest is invalid (the API server would reject it) or uses what the
 * emulator cannot run. `jobkit run` exits 2 and starts no pod.
 *
 * @example
 * ```ts
 * try { loadJobManifest(text); } catch (err) {
 *   if (err instanceof InvalidManifestError) console.error(err.fieldErrors.map((e) => e.field));
 * }
 * ```
 */
export class InvalidManifestError extends ConfigurationError {
  /** The field errors, in the API server's order. */
  readonly fieldErrors: readonly FieldError[];

  constructor(jobName: string, fieldErrors: readonly FieldError[]) {
    super(formatInvalidJob(jobName, fieldErrors));
    this.fieldErrors = fieldErrors;
  }
}
