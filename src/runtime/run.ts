/**
 * The run: what one execution of a Job is, beyond the Job object. For a
 * CronJob that is the CronJob plus its scheduled time, whichever Job (a
 * re-created one, a retry) carries it; for a manual run or a plain Job, the
 * Job itself. Logs, metrics and traces carry its id; checkpoints and
 * idempotency can be scoped to it (`scope: 'run'`).
 */
import type { JobIdentity, JobTrigger } from './types.ts';

/** This run, as `job.run` gives it. */
export interface JobRun {
  /**
   * `<cronjob>@<scheduled time, RFC 3339 UTC>` for a scheduled run of a
   * CronJob, else the Job name.
   */
  readonly id: string;
  /** The CronJob, when this Job came from one. */
  readonly cronJobName: string | undefined;
  /** The nominal time of a scheduled run. */
  readonly scheduledTime: Date | undefined;
  /** What started it. */
  readonly trigger: JobTrigger;
}

/** RFC 3339 in UTC with whole seconds: `2026-11-30T02:00:00Z`. */
export function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The run of an identity.
 *
 * @example
 * ```ts
 * describeRun(resolveIdentity({ JOBKIT_JOB_NAME: 'report-29453761', JOBKIT_CRONJOB_NAME: 'report' })).id;
 * // 'report@2026-01-01T00:01:00Z'
 * ```
 */
export function describeRun(identity: JobIdentity): JobRun {
  const trigger = identity.trigger ?? 'none';
  const { cronJobName, scheduledTime } = identity;
  const scheduled = trigger === 'schedule' && cronJobName !== undefined && scheduledTime !== undefined;
  return Object.freeze({
    id: scheduled ? `${cronJobName}@${rfc3339Seconds(scheduledTime)}` : identity.jobName,
    cronJobName,
    scheduledTime,
    trigger,
  });
}
