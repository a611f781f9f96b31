/**
 * The CronJob controller's sync (pkg/controller/cronjob/cronjob_controllerv2.go
 * `sync`: `cleanupFinishedJobs`, then `syncCronJob`), over an injected view
 * of the cluster's Jobs and a clock, so the emulator can run it on real or
 * virtual time and tests can drive it step by step.
 */
import { CronScheduleError, type CronSchedule, parseCronSchedule } from '../cron/schedule.ts';
import { timeZoneError } from '../cron/schedule.ts';
import type { Job, JobCondition } from '../types.ts';
import { formatTime } from '../validate.ts';
import { jobForScheduledTime, type OwnedJob } from './job-from-template.ts';
import { mostRecentScheduleTime, nextScheduleDelayMs, scheduledJobName } from './schedule-times.ts';
import type { CronJob, CronJobEvent, JobReference } from './types.ts';

/** The cluster as the CronJob controller sees it. */
export interface CronJobCluster {
  /** Jobs whose controller owner reference names this CronJob (`getJobsToBeReconciled`), as they are now. */
  listJobs(): readonly Job[];
  /** A live GET of one Job. */
  getJob(name: string): Job | undefined;
  /** Creates a Job; `exists` with the existing Job when the name is taken; `failed` with the API error. */
  createJob(job: OwnedJob): { readonly created: Job } | { readonly exists: Job } | { readonly failed: string };
  /** Deletes a Job with propagation Background: the object goes now, its pods get their grace period. */
  deleteJob(name: string): void;
}

/** Options of {@link CronJobController}. */
export interface CronJobControllerOptions {
  readonly cluster: CronJobCluster;
  /** Records an event (`kubectl describe cronjob`). */
  readonly event: (event: Omit<CronJobEvent, 'time'>) => void;
  /** The zone of a schedule without timeZone: the controller's `time.Local`. */
  readonly localTimeZone: string;
}

/** What one sync decided. */
export interface SyncResult {
  /** When to sync again, ms from now; undefined: only a change (a Job, an edit of the CronJob) brings the next sync. */
  readonly requeueAfterMs: number | undefined;
}

function finishedCondition(job: Job): JobCondition['type'] | undefined {
  return job.status?.conditions?.find((c) => (c.type === 'Complete' || c.type === 'Failed') && c.status === 'True')?.type;
}

/** `byJobStartTime`: by status.startTime, Jobs without one last, ties by name. */
function byStartTime(a: Job, b: Job): number {
  const sa = a.status?.startTime;
  const sb = b.status?.startTime;
  if (sa === undefined || sb === undefined) return sa === undefined ? (sb === undefined ? 0 : 1) : -1;
  const d = Date.parse(sa) - Date.parse(sb);
  return d !== 0 ? d : a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0;
}

function jobRef(job: Job): JobReference {
  return { kind: 'Job', namespace: job.metadata.namespace, name: job.metadata.name, uid: job.metadata.uid ?? '', apiVersion: 'batch/v1' };
}

/** RFC 1123 with a numeric zone, as Go's time.RFC1123Z prints a UTC time: `Mon, 02 Jan 2006 15:04:05 +0000`. */
function rfc1123z(ms: number): string {
  return new Date(ms).toUTCString().replace('GMT', '+0000');
}

/**
 * One CronJob's controller. Holds the CronJob object (spec and status); each
 * {@link sync} reconciles it with the cluster at `now`.
 *
 * @example
 * ```ts
 * const controller = new CronJobController(cronJob, { cluster, event: (e) => console.log(e.reason), localTimeZone: 'UTC' });
 * const { requeueAfterMs } = controller.sync(Date.now());
 * ```
 */
export class CronJobController {
  #cronJob: CronJob;
  readonly #options: CronJobControllerOptions;

  constructor(cronJob: CronJob, options: CronJobControllerOptions) {
    this.#cronJob = cronJob;
    this.#options = options;
  }

  /** The CronJob with its current status. */
  get cronJob(): CronJob {
    return this.#cronJob;
  }

  /** Replaces the spec (an update of the CronJob); the status is kept. */
  update(cronJob: CronJob): void {
    this.#cronJob = { ...cronJob, ...(this.#cronJob.status === undefined ? {} : { status: this.#cronJob.status }) };
  }

  /** The schedule as the controller evaluates it (`formatSchedule`), or the parse error. */
  schedule(recordWarnings: boolean): CronSchedule | CronScheduleError {
    const spec = this.#cronJob.spec;
    let text = spec.schedule;
    if (text.includes('TZ')) {
      if (recordWarnings) {
        this.#warn(
          'UnsupportedSchedule',
          `CRON_TZ or TZ used in schedule ${JSON.stringify(text)} is not officially supported, see https://kubernetes.io/docs/concepts/workloads/controllers/cron-jobs/ for more details`,
        );
      }
    } else if (spec.timeZone !== undefined && timeZoneError(spec.timeZone) === undefined) {
      text = `TZ=${spec.timeZone} ${text}`;
    }
    try {
      return parseCronSchedule(text, { defaultTimeZone: this.#options.localTimeZone });
    } catch (err) {
      if (err instanceof CronScheduleError) return err;
      throw err;
    }
  }

  /**
   * One sync at `now`: deletes finished Jobs over the history limits, updates
   * `status.active` and `lastSuccessfulTime`, and creates the Job of the most
   * recent unmet scheduled time when one is due. With `schedule: false` only
   * the bookkeeping runs (the emulator's end: no new Job).
   */
  sync(now: number, options: { readonly schedule?: boolean } = {}): SyncResult {
    const jobs = this.#options.cluster.listJobs();
    this.#cleanupFinishedJobs(jobs);
    return this.#syncCronJob(now, jobs, options.schedule ?? true);
  }

  #normal(reason: string, message: string): void {
    this.#options.event({ type: 'Normal', reason, message });
  }

  #warn(reason: string, message: string): void {
    this.#options.event({ type: 'Warning', reason, message });
  }

  #status(): NonNullable<CronJob['status']> {
    return (this.#cronJob.status ??= {});
  }

  #inActive(uid: string | undefined): boolean {
    return (this.#cronJob.status?.active ?? []).some((r) => r.uid === uid);
  }

  #removeFromActive(uid: string | undefined): void {
    const status = this.#status();
    const active = (status.active ?? []).filter((r) => r.uid !== uid);
    if (active.length === 0) delete status.active;
    else status.active = active;
  }

  #deleteJob(job: Job): void {
    this.#options.cluster.deleteJob(job.metadata.name);
    this.#removeFromActive(job.metadata.uid);
    this.#normal('SuccessfulDelete', `Deleted job ${job.metadata.name}`);
  }

  #cleanupFinishedJobs(jobs: readonly Job[]): void {
    const spec = this.#cronJob.spec;
    const succeeded = jobs.filter((j) => finishedCondition(j) === 'Complete');
    const failed = jobs.filter((j) => finishedCondition(j) === 'Failed');
    for (const [list, limit] of [
      [succeeded, spec.successfulJobsHistoryLimit],
      [failed, spec.failedJobsHistoryLimit],
    ] as const) {
      const excess = list.length - limit;
      if (excess <= 0) continue;
      for (const job of [...list].sort(byStartTime).slice(0, excess)) this.#deleteJob(job);
    }
  }

  #syncCronJob(now: number, jobs: readonly Job[], schedule: boolean): SyncResult {
    const cluster = this.#options.cluster;
    const status = this.#status();
    const children = new Set<string | undefined>();
    for (const job of jobs) {
      children.add(job.metadata.uid);
      const found = this.#inActive(job.metadata.uid);
      const finished = finishedCondition(job);
      if (!found && finished === undefined) {
        this.#warn('UnexpectedJob', `Saw a job that the controller did not create or forgot: ${job.metadata.name}`);
      } else if (finished !== undefined) {
        if (found) {
          this.#removeFromActive(job.metadata.uid);
          this.#normal('SawCompletedJob', `Saw completed job: ${job.metadata.name}, condition: ${finished}`);
        }
        const completion = job.status?.completionTime;
        if (finished === 'Complete' && completion !== undefined) {
          // A Job need not be active to count: a manual run's success moves lastSuccessfulTime too.
          if (status.lastSuccessfulTime === undefined || Date.parse(completion) > Date.parse(status.lastSuccessfulTime)) status.lastSuccessfulTime = completion;
        }
      }
    }
    for (const ref of [...(status.active ?? [])]) {
      if (children.has(ref.uid)) continue;
      if (cluster.getJob(ref.name) === undefined) {
        this.#normal('MissingJob', `Active job went missing: ${ref.name}`);
        this.#removeFromActive(ref.uid);
      }
    }

    const spec = this.#cronJob.spec;
    if (spec.timeZone !== undefined) {
      const tzError = timeZoneError(spec.timeZone);
      if (tzError !== undefined) {
        this.#warn('UnknownTimeZone', `invalid timeZone: ${JSON.stringify(spec.timeZone)}: ${tzError}`);
        return { requeueAfterMs: undefined };
      }
    }
    if (spec.suspend || !schedule) return { requeueAfterMs: undefined };
    const sched = this.schedule(true);
    if (sched instanceof CronScheduleError) {
      this.#warn('UnparseableSchedule', `unparseable schedule: ${JSON.stringify(spec.schedule)} : ${sched.message}`);
      return { requeueAfterMs: undefined };
    }
    const requeue = (): SyncResult => ({ requeueAfterMs: nextScheduleDelayMs(this.#cronJob, now, sched) });

    const found = mostRecentScheduleTime(this.#cronJob, now, sched, true);
    const scheduledTime = found.mostRecent !== undefined && found.mostRecent <= now ? found.mostRecent : undefined;
    if (scheduledTime !== undefined && found.missed === 'many') {
      this.#warn('TooManyMissedTimes', 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew');
    }
    if (found.error !== undefined) {
      this.#warn('InvalidSchedule', `invalid schedule: ${spec.schedule} : ${found.error}`);
      return { requeueAfterMs: undefined };
    }
    if (scheduledTime === undefined) return requeue();

    if (spec.startingDeadlineSeconds !== undefined && scheduledTime + spec.startingDeadlineSeconds * 1000 < now) {
      this.#warn('MissSchedule', `Missed scheduled time to start a job: ${rfc1123z(scheduledTime)}`);
      return requeue();
    }
    const name = scheduledJobName(this.#cronJob.metadata.name, scheduledTime);
    if ((status.active ?? []).some((r) => r.name === name) || (status.lastScheduleTime !== undefined && Date.parse(status.lastScheduleTime) === scheduledTime)) {
      return requeue();
    }
    if (spec.concurrencyPolicy === 'Forbid' && (status.active ?? []).length > 0) {
      this.#normal('JobAlreadyActive', 'Not starting job because prior execution is running and concurrency policy is Forbid');
      return requeue();
    }
    if (spec.concurrencyPolicy === 'Replace') {
      for (const ref of [...(status.active ?? [])]) {
        const job = cluster.getJob(ref.name);
        if (job === undefined) {
          this.#warn('FailedGet', `Get job: jobs.batch ${JSON.stringify(ref.name)} not found`);
          return { requeueAfterMs: undefined };
        }
        this.#deleteJob(job);
      }
    }

    const created = cluster.createJob(jobForScheduledTime(this.#cronJob, scheduledTime));
    let job: Job;
    if ('failed' in created) {
      this.#warn('FailedCreate', `Error creating job: ${created.failed}`);
      return { requeueAfterMs: undefined };
    }
    if ('exists' in created) {
      job = created.exists;
      const owner = (job.metadata['ownerReferences'] as { uid?: string; controller?: boolean }[] | undefined)?.find((o) => o.controller === true);
      // Someone else's Job, or ours and already active: nothing to repair.
      if (owner?.uid !== this.#cronJob.metadata.uid || this.#inActive(job.metadata.uid)) return { requeueAfterMs: undefined };
    } else {
      job = created.created;
      this.#normal('SuccessfulCreate', `Created job ${job.metadata.name}`);
    }
    status.active = [...(status.active ?? []), jobRef(job)];
    status.lastScheduleTime = formatTime(scheduledTime);
    return requeue();
  }
}
