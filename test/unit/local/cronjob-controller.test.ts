/**
 * The CronJob controller's sync, step by step on a fake cluster: the cases of
 * upstream's TestControllerV2SyncCronJob (never ran / is time / still
 * active / past deadline / long overdue, per concurrency policy), history
 * limits, manual Jobs, missing Jobs, the scheduled-timestamp annotation.
 */
import { describe, expect, it } from 'vitest';
import { type CronJobCluster, CronJobController } from '../../../src/local/cronjob/controller.ts';
import type { OwnedJob } from '../../../src/local/cronjob/job-from-template.ts';
import { jobForScheduledTime, manualJobFromCronJob } from '../../../src/local/cronjob/job-from-template.ts';
import { loadCronJobManifest } from '../../../src/local/cronjob/read-cronjob.ts';
import { mostRecentScheduleTime, nextScheduleDelayMs, scheduledJobName } from '../../../src/local/cronjob/schedule-times.ts';
import type { CronJob, CronJobEvent } from '../../../src/local/cronjob/types.ts';
import { parseCronSchedule } from '../../../src/local/cron/schedule.ts';
import { SeededRandom } from '../../../src/local/rng.ts';
import type { Job } from '../../../src/local/types.ts';

const T = (iso: string): number => Date.parse(iso);
// Upstream's times: an hourly schedule around 10:00 on 2016-05-19.
const justBeforeThePriorHour = T('2016-05-19T08:59:00Z');
const justAfterThePriorHour = T('2016-05-19T09:01:00Z');
const justBeforeTheHour = T('2016-05-19T09:59:00Z');
const topOfTheHour = T('2016-05-19T10:00:00Z');
const justAfterTheHour = T('2016-05-19T10:01:00Z');
const weekAfterTheHour = T('2016-05-26T10:00:00Z');

function cronJobManifest(spec: Record<string, unknown> = {}, name = 'mycronjob'): Record<string, unknown> {
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: { name, namespace: 'snazzycats' },
    spec: {
      schedule: '0 * * * *',
      jobTemplate: {
        metadata: { labels: { a: 'b' }, annotations: { x: 'y' } },
        spec: { template: { spec: { restartPolicy: 'OnFailure', containers: [{ name: 'c', image: 'i', command: ['true'] }] } } },
      },
      ...spec,
    },
  };
}

function makeCronJob(spec: Record<string, unknown> = {}, created = justAfterThePriorHour - 3600_000): CronJob {
  return loadCronJobManifest(cronJobManifest(spec), { random: new SeededRandom(1), now: new Date(created) });
}

class FakeCluster implements CronJobCluster {
  readonly jobs = new Map<string, Job>();
  readonly created: string[] = [];
  readonly deleted: string[] = [];
  #uid = 0;
  listJobs(): readonly Job[] {
    return [...this.jobs.values()];
  }
  getJob(name: string): Job | undefined {
    return this.jobs.get(name);
  }
  createJob(job: OwnedJob): { created: Job } | { exists: Job } {
    const existing = this.jobs.get(job.metadata.name);
    if (existing !== undefined) return { exists: existing };
    const created: Job = { ...job, metadata: { ...job.metadata, uid: `uid-${++this.#uid}` } };
    this.jobs.set(job.metadata.name, created);
    this.created.push(job.metadata.name);
    return { created };
  }
  deleteJob(name: string): void {
    this.jobs.delete(name);
    this.deleted.push(name);
  }
  finish(name: string, type: 'Complete' | 'Failed', startTime: number, completionTime: number): void {
    const job = this.jobs.get(name)!;
    const iso = (ms: number): string => new Date(ms).toISOString().replace('.000Z', 'Z');
    job.status = {
      startTime: iso(startTime),
      conditions: [{ type, status: 'True' }],
      ...(type === 'Complete' ? { completionTime: iso(completionTime) } : {}),
    };
  }
}

function setup(spec: Record<string, unknown> = {}, created?: number): { controller: CronJobController; cluster: FakeCluster; events: Omit<CronJobEvent, 'time'>[] } {
  const cluster = new FakeCluster();
  const events: Omit<CronJobEvent, 'time'>[] = [];
  const controller = new CronJobController(makeCronJob(spec, created), { cluster, event: (e) => events.push(e), localTimeZone: 'UTC' });
  return { controller, cluster, events };
}

const reasons = (events: readonly { reason: string }[]): string[] => events.map((e) => e.reason);

describe('CronJob controller sync', () => {
  it('never ran, not time: nothing created, requeued for the hour plus 100 ms', () => {
    const { controller, cluster, events } = setup({}, justAfterThePriorHour);
    expect(controller.sync(justBeforeTheHour).requeueAfterMs).toBe(60_000 + 100);
    expect(cluster.created).toEqual([]);
    expect(events).toEqual([]);
  });

  it('never ran, is time: creates <name>-<minutes>, active and lastScheduleTime set to the nominal time', () => {
    const { controller, cluster, events } = setup({}, justAfterThePriorHour);
    expect(controller.sync(justAfterTheHour).requeueAfterMs).toBe(3600_000 - 60_000 + 100);
    const name = `mycronjob-${topOfTheHour / 60_000}`;
    expect(cluster.created).toEqual([name]);
    expect(events).toEqual([{ type: 'Normal', reason: 'SuccessfulCreate', message: `Created job ${name}` }]);
    expect(controller.cronJob.status).toEqual({
      active: [{ kind: 'Job', namespace: 'snazzycats', name, uid: 'uid-1', apiVersion: 'batch/v1' }],
      lastScheduleTime: '2016-05-19T10:00:00Z',
    });
    // The same scheduled time is never created twice.
    controller.sync(justAfterTheHour + 1000);
    expect(cluster.created).toHaveLength(1);
  });

  it.each([
    ['Allow', 2, []],
    ['Forbid', 1, ['JobAlreadyActive']],
    ['Replace', 1, ['SuccessfulDelete']],
  ] as const)('still active at the next time, %s', (policy, active, expected) => {
    const { controller, cluster, events } = setup({ concurrencyPolicy: policy }, justAfterThePriorHour - 3600_000);
    controller.sync(justAfterThePriorHour);
    expect(cluster.created).toHaveLength(1);
    events.length = 0;
    controller.sync(justAfterTheHour);
    expect(reasons(events)).toEqual([...expected, ...(policy === 'Forbid' ? [] : ['SuccessfulCreate'])]);
    expect(controller.cronJob.status?.active).toHaveLength(active);
    if (policy === 'Replace') expect(cluster.deleted).toEqual([`mycronjob-${(topOfTheHour - 3600_000) / 60_000}`]);
    if (policy === 'Forbid') expect(controller.cronJob.status?.lastScheduleTime).toBe('2016-05-19T09:00:00Z');
  });

  it('Forbid catches up once the active Job finishes, with the most recent unmet time only', () => {
    const { controller, cluster, events } = setup({ concurrencyPolicy: 'Forbid' }, justAfterThePriorHour - 3600_000);
    controller.sync(justAfterThePriorHour);
    const first = cluster.created[0]!;
    controller.sync(justAfterTheHour);
    controller.sync(justAfterTheHour + 3600_000); // 11:01, still running: 10:00 and 11:00 missed
    expect(cluster.created).toHaveLength(1);
    cluster.finish(first, 'Complete', justAfterThePriorHour, justAfterTheHour + 3600_000 + 30_000);
    events.length = 0;
    controller.sync(justAfterTheHour + 3600_000 + 31_000);
    expect(reasons(events)).toEqual(['SawCompletedJob', 'SuccessfulCreate']);
    expect(events[0]!.message).toBe(`Saw completed job: ${first}, condition: Complete`);
    expect(cluster.created[1]).toBe(`mycronjob-${(topOfTheHour + 3600_000) / 60_000}`);
    expect(controller.cronJob.status?.lastSuccessfulTime).toBe('2016-05-19T11:01:30Z');
  });

  it('past the starting deadline: the time is not found (earliest clamped), no Job, no event', () => {
    const { controller, cluster, events } = setup({ startingDeadlineSeconds: 10 }, justAfterThePriorHour);
    controller.sync(justAfterTheHour);
    expect(cluster.created).toEqual([]);
    expect(events).toEqual([]);
  });

  it('within the starting deadline: created', () => {
    const { controller, cluster } = setup({ startingDeadlineSeconds: 120 }, justAfterThePriorHour);
    controller.sync(justAfterTheHour);
    expect(cluster.created).toHaveLength(1);
  });

  it('long overdue, no deadline: TooManyMissedTimes, and still one Job for the most recent time', () => {
    const { controller, cluster, events } = setup({}, justBeforeThePriorHour);
    controller.sync(weekAfterTheHour + 60_000);
    expect(reasons(events)).toEqual(['TooManyMissedTimes', 'SuccessfulCreate']);
    expect(events[0]).toMatchObject({ type: 'Warning', message: 'too many missed start times. Set or decrease .spec.startingDeadlineSeconds or check clock skew' });
    expect(cluster.created).toEqual([`mycronjob-${weekAfterTheHour / 60_000}`]);
  });

  it('a few missed: no warning, the most recent one only', () => {
    const { controller, cluster, events } = setup({}, justBeforeThePriorHour);
    controller.sync(topOfTheHour + 5 * 3600_000 + 60_000);
    expect(reasons(events)).toEqual(['SuccessfulCreate']);
    expect(cluster.created).toEqual([`mycronjob-${(topOfTheHour + 5 * 3600_000) / 60_000}`]);
  });

  it('suspended: nothing created, no requeue', () => {
    const { controller, cluster } = setup({ suspend: true }, justAfterThePriorHour);
    expect(controller.sync(justAfterTheHour).requeueAfterMs).toBeUndefined();
    expect(cluster.created).toEqual([]);
  });

  it('history limits delete the oldest finished Jobs by start time; unfinished ones are kept', () => {
    const { controller, cluster, events } = setup({ concurrencyPolicy: 'Allow', successfulJobsHistoryLimit: 2, failedJobsHistoryLimit: 0 }, justBeforeThePriorHour);
    const hours = [0, 1, 2, 3, 4].map((h) => topOfTheHour + h * 3600_000);
    for (const h of hours) controller.sync(h + 1000);
    expect(cluster.created).toHaveLength(5);
    const names = [...cluster.created];
    cluster.finish(names[0]!, 'Complete', hours[0]!, hours[0]! + 10_000);
    cluster.finish(names[1]!, 'Complete', hours[1]!, hours[1]! + 10_000);
    cluster.finish(names[2]!, 'Complete', hours[2]!, hours[2]! + 10_000);
    cluster.finish(names[3]!, 'Failed', hours[3]!, hours[3]! + 10_000);
    events.length = 0;
    controller.sync(hours[4]! + 2000);
    expect(cluster.deleted).toEqual([names[0], names[3]]);
    expect(reasons(events).filter((r) => r === 'SuccessfulDelete')).toHaveLength(2);
    expect([...cluster.jobs.keys()]).toEqual([names[1], names[2], names[4]]);
    // lastSuccessfulTime also counts the Job deleted in this sync (the list was read before the cleanup).
    expect(controller.cronJob.status?.lastSuccessfulTime).toBe(new Date(hours[2]! + 10_000).toISOString().replace(/\.\d{3}Z$/, 'Z'));
    expect(controller.cronJob.status?.active?.map((r) => r.name)).toEqual([names[4]]);
  });

  it('a manual Job: UnexpectedJob while it runs, not active, its success moves lastSuccessfulTime', () => {
    const { controller, cluster, events } = setup({ concurrencyPolicy: 'Forbid' }, justAfterThePriorHour);
    const manual = manualJobFromCronJob(controller.cronJob, 'manual-run');
    cluster.createJob(manual);
    controller.sync(justBeforeTheHour);
    expect(events).toEqual([{ type: 'Warning', reason: 'UnexpectedJob', message: 'Saw a job that the controller did not create or forgot: manual-run' }]);
    expect(controller.cronJob.status?.active).toBeUndefined();
    // It does not block Forbid.
    controller.sync(justAfterTheHour);
    expect(cluster.created).toHaveLength(2);
    cluster.finish('manual-run', 'Complete', justBeforeTheHour, justAfterTheHour + 5000);
    controller.sync(justAfterTheHour + 6000);
    expect(controller.cronJob.status?.lastSuccessfulTime).toBe('2016-05-19T10:01:05Z');
    expect(controller.cronJob.status?.lastScheduleTime).toBe('2016-05-19T10:00:00Z');
  });

  it('an active Job that no longer exists: MissingJob, then a new Job when due', () => {
    const { controller, cluster, events } = setup({ concurrencyPolicy: 'Forbid' }, justAfterThePriorHour - 3600_000);
    controller.sync(justAfterThePriorHour);
    cluster.jobs.clear();
    events.length = 0;
    controller.sync(justAfterTheHour);
    expect(reasons(events)).toEqual(['MissingJob', 'SuccessfulCreate']);
  });

  it('a Job of the scheduled name already exists, ours and not active: adopted into active without SuccessfulCreate', () => {
    const { controller, cluster, events } = setup({}, justAfterThePriorHour);
    cluster.createJob(jobForScheduledTime(controller.cronJob, topOfTheHour));
    cluster.finish(cluster.created[0]!, 'Complete', topOfTheHour, topOfTheHour + 1000);
    controller.sync(justAfterTheHour);
    expect(reasons(events)).toEqual([]);
    expect(controller.cronJob.status?.active?.map((r) => r.name)).toEqual([cluster.created[0]]);
  });

  it('UnknownTimeZone: a zone the controller cannot load stops the sync', () => {
    const { controller, events } = setup({}, justAfterThePriorHour);
    controller.update({ ...controller.cronJob, spec: { ...controller.cronJob.spec, timeZone: 'Mars/Olympus' } });
    expect(controller.sync(justAfterTheHour).requeueAfterMs).toBeUndefined();
    expect(reasons(events)).toEqual(['UnknownTimeZone']);
    expect(events[0]!.message).toContain('invalid timeZone: "Mars/Olympus": unknown time zone Mars/Olympus');
  });
});

describe('the created Job', () => {
  it('is named <cronjob>-<minutes since the epoch> and carries template labels, annotations and a controller owner reference', () => {
    const cronJob = makeCronJob();
    const job = jobForScheduledTime(cronJob, T('2026-01-01T00:01:00Z'));
    expect(job.metadata.name).toBe('mycronjob-29453761');
    expect(job.metadata.labels).toEqual({ a: 'b' });
    expect(job.metadata.annotations).toEqual({ x: 'y', 'batch.kubernetes.io/cronjob-scheduled-timestamp': '2026-01-01T00:01:00Z' });
    expect(job.metadata.ownerReferences).toEqual([
      { apiVersion: 'batch/v1', kind: 'CronJob', name: 'mycronjob', uid: cronJob.metadata.uid, controller: true, blockOwnerDeletion: true },
    ]);
  });

  it('has the scheduled timestamp in the CronJob time zone', () => {
    const cronJob = makeCronJob({ timeZone: 'Europe/Berlin', schedule: '0 9 * * *' });
    expect(jobForScheduledTime(cronJob, T('2026-01-01T08:00:00Z')).metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      '2026-01-01T09:00:00+01:00',
    );
    expect(jobForScheduledTime(cronJob, T('2026-07-01T07:00:00Z')).metadata.annotations?.['batch.kubernetes.io/cronjob-scheduled-timestamp']).toBe(
      '2026-07-01T09:00:00+02:00',
    );
  });

  it('from kubectl create job --from=cronjob: instantiate manual (template annotations win), no timestamp, no blockOwnerDeletion', () => {
    const cronJob = makeCronJob();
    const job = manualJobFromCronJob(cronJob, 'rerun');
    expect(job.metadata.name).toBe('rerun');
    expect(job.metadata.annotations).toEqual({ 'cronjob.kubernetes.io/instantiate': 'manual', x: 'y' });
    expect(job.metadata.ownerReferences).toEqual([{ apiVersion: 'batch/v1', kind: 'CronJob', name: 'mycronjob', uid: cronJob.metadata.uid, controller: true }]);
  });
});

describe('scheduling arithmetic', () => {
  it('the requeue of upstream: never ran, is time -> 1h - 1m + 100ms', () => {
    const cronJob = makeCronJob({}, justAfterThePriorHour);
    const sched = parseCronSchedule('0 * * * *', { defaultTimeZone: 'UTC' });
    // Nothing scheduled yet: the base is now, so the next is 11:00.
    cronJob.status = { lastScheduleTime: '2016-05-19T10:00:00Z' };
    expect(nextScheduleDelayMs(cronJob, justAfterTheHour, sched)).toBe(3600_000 - 60_000 + 100);
  });

  it('@every counts from the last schedule, not the clock', () => {
    const cronJob = makeCronJob({ schedule: '@every 90m' }, T('2026-01-01T00:00:30Z'));
    const sched = parseCronSchedule('@every 90m', { defaultTimeZone: 'UTC' });
    expect(mostRecentScheduleTime(cronJob, T("2026-01-01T01:31:00Z"), sched, true).mostRecent).toBe(T('2026-01-01T01:30:30Z'));
  });

  it('a schedule without two distinct times is an error, as upstream (59 23 31 2 *)', () => {
    const cronJob = makeCronJob({ schedule: '59 23 31 2 *' });
    const sched = parseCronSchedule('59 23 31 2 *', { defaultTimeZone: 'UTC' });
    expect(mostRecentScheduleTime(cronJob, justAfterTheHour, sched, true).error).toBe('time difference between two schedules is less than 1 second');
  });

  it('job names are minutes since the epoch, whatever the zone', () => {
    expect(scheduledJobName('hello', T('2026-01-01T00:01:00Z'))).toBe('hello-29453761');
    expect(scheduledJobName('hello', T('2026-01-01T01:01:00+01:00'))).toBe('hello-29453761');
  });
});
