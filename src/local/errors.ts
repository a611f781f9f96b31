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

  /**
   * @param jobName metadata.name, for the API server's message form.
   * @param fieldErrors what is wrong, field by field.
   * @param message replaces the API server's message form (for text that is not a manifest at all).
   * @param kind the object's kind, for the API server's message form.
   */
  constructor(jobName: string, fieldErrors: readonly FieldError[], message?: string, kind: 'Job' | 'CronJob' = 'Job') {
    super(message ?? formatInvalidJob(jobName, fieldErrors, kind));
    this.fieldErrors = fieldErrors;
  }
}
