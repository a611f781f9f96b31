/**
 * `jobkit manifest --schedule`: a batch/v1 CronJob around the Job template
 * `jobkit manifest` writes, with sane CronJob defaults (Forbid, an explicit
 * time zone), validated as the API server validates a CronJob on create.
 */
import { ConfigurationError } from '../../runtime/errors.ts';
import { InvalidManifestError } from '../errors.ts';
import { type ManifestOptions, generateJobManifest } from '../manifest-generator.ts';
import { SeededRandom } from '../rng.ts';
import { loadCronJobManifest } from './read-cronjob.ts';
import type { ConcurrencyPolicy } from './types.ts';

/** Inputs of {@link generateCronJobManifest}: the Job's, plus the schedule's. */
export interface CronJobManifestOptions extends ManifestOptions {
  /** `spec.schedule`, five fields or a descriptor (`@daily`), evaluated in `timeZone`. */
  readonly schedule: string;
  /**
   * `spec.timeZone`, an IANA name.
   * @default 'Etc/UTC' (explicit, so the schedule means the same on every cluster; without it, the controller's zone)
   */
  readonly timeZone?: string;
  /**
   * `spec.concurrencyPolicy`.
   * @default 'Forbid' (a run never overlaps the previous one; Kubernetes' own default is Allow)
   */
  readonly concurrencyPolicy?: ConcurrencyPolicy;
  /** `spec.startingDeadlineSeconds`: how late a missed run may still start. Default none (it starts however late). */
  readonly startingDeadlineSeconds?: number;
  /** `spec.successfulJobsHistoryLimit`. Kubernetes' default 3 when unset. */
  readonly successfulJobsHistoryLimit?: number;
  /** `spec.failedJobsHistoryLimit`. Kubernetes' default 1 when unset. */
  readonly failedJobsHistoryLimit?: number;
}

/** The default `spec.timeZone` of a generated CronJob. */
export const DEFAULT_CRONJOB_TIME_ZONE = 'Etc/UTC';
/** The default `spec.concurrencyPolicy` of a generated CronJob. */
export const DEFAULT_CRONJOB_CONCURRENCY_POLICY: ConcurrencyPolicy = 'Forbid';

/**
 * Builds the CronJob manifest for a jobkit program. Throws ConfigurationError
 * with the API server's message when the result would be refused.
 *
 * @example
 * ```ts
 * const cronJob = generateCronJobManifest({ name: 'nightly-report', image: 'acme/report:1', command: ['node', 'main.js'], schedule: '0 2 * * *', timeZone: 'Europe/Berlin' });
 * process.stdout.write(YAML.stringify(cronJob));
 * ```
 */
export function generateCronJobManifest(options: CronJobManifestOptions): Record<string, unknown> {
  const job = generateJobManifest({ ...options, cronJobName: options.name });
  const spec: Record<string, unknown> = {
    schedule: options.schedule,
    timeZone: options.timeZone ?? DEFAULT_CRONJOB_TIME_ZONE,
    concurrencyPolicy: options.concurrencyPolicy ?? DEFAULT_CRONJOB_CONCURRENCY_POLICY,
  };
  if (options.startingDeadlineSeconds !== undefined) spec.startingDeadlineSeconds = options.startingDeadlineSeconds;
  if (options.successfulJobsHistoryLimit !== undefined) spec.successfulJobsHistoryLimit = options.successfulJobsHistoryLimit;
  if (options.failedJobsHistoryLimit !== undefined) spec.failedJobsHistoryLimit = options.failedJobsHistoryLimit;
  spec.jobTemplate = { metadata: { labels: { ...(job.metadata.labels ?? {}) } }, spec: job.spec };
  const cronJob = { apiVersion: 'batch/v1', kind: 'CronJob', metadata: job.metadata, spec };
  try {
    loadCronJobManifest(cronJob, { random: new SeededRandom(0), now: new Date(), runnable: false });
  } catch (err) {
    if (err instanceof InvalidManifestError) throw new ConfigurationError(err.message);
    throw err;
  }
  return cronJob;
}
