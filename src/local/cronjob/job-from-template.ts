/**
 * The Jobs a CronJob gives rise to: the controller's (`getJobFromTemplate2`)
 * for a scheduled time, and kubectl's (`kubectl create job NAME
 * --from=cronjob/x`, `createJobFromCronJob`) for a manual run.
 */
import { formatInZone } from '../cron/time-zone.ts';
import type { Job } from '../types.ts';
import { formatTime } from '../validate.ts';
import { scheduledJobName } from './schedule-times.ts';
import { CRONJOB_ANNOTATIONS, type CronJob, type OwnerReference } from './types.ts';

/** A Job manifest with the owner reference the API server keeps. */
export type OwnedJob = Job & { metadata: Job['metadata'] & { ownerReferences: OwnerReference[] } };

function templateCopy(cronJob: CronJob): { labels: Record<string, string> | undefined; annotations: Record<string, string>; spec: Job['spec'] } {
  const meta = cronJob.spec.jobTemplate.metadata;
  return {
    labels: meta?.labels === undefined ? undefined : { ...meta.labels },
    annotations: { ...(meta?.annotations ?? {}) },
    spec: structuredClone(cronJob.spec.jobTemplate.spec),
  };
}

/**
 * The Job the controller creates for a scheduled time: named
 * `<cronjob>-<minutes since the epoch>`, the template's labels and
 * annotations plus the scheduled-timestamp annotation (RFC 3339 in the
 * CronJob's time zone, UTC without one), a controller owner reference.
 *
 * @example
 * ```ts
 * const job = jobForScheduledTime(cronJob, Date.parse('2026-01-01T00:01:00Z'));
 * job.metadata.name; // 'hello-29453761'
 * ```
 */
export function jobForScheduledTime(cronJob: CronJob, scheduledTime: number): OwnedJob {
  const { labels, annotations, spec } = templateCopy(cronJob);
  // LoadLocation("") is UTC: without spec.timeZone the annotation ends in Z, whatever the controller's zone.
  annotations[CRONJOB_ANNOTATIONS.scheduledTimestamp] = formatInZone(new Date(scheduledTime), cronJob.spec.timeZone ?? 'UTC');
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: scheduledJobName(cronJob.metadata.name, scheduledTime),
      namespace: cronJob.metadata.namespace,
      ...(labels === undefined ? {} : { labels }),
      annotations,
      creationTimestamp: formatTime(scheduledTime),
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata.name, uid: cronJob.metadata.uid, controller: true, blockOwnerDeletion: true }],
    },
    spec,
  };
}

/**
 * The Job `kubectl create job NAME --from=cronjob/x` creates (kubectl 1.31+):
 * the `cronjob.kubernetes.io/instantiate: manual` annotation under the
 * template's, no scheduled timestamp, a controller owner reference without
 * blockOwnerDeletion. The CronJob's status is not touched.
 *
 * @example
 * ```ts
 * const job = manualJobFromCronJob(cronJob, 'report-rerun');
 * job.metadata.annotations['cronjob.kubernetes.io/instantiate']; // 'manual'
 * ```
 */
export function manualJobFromCronJob(cronJob: CronJob, name: string): OwnedJob {
  const { labels, annotations, spec } = templateCopy(cronJob);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name,
      namespace: cronJob.metadata.namespace,
      ...(labels === undefined ? {} : { labels }),
      annotations: { [CRONJOB_ANNOTATIONS.instantiate]: 'manual', ...annotations },
      ownerReferences: [{ apiVersion: 'batch/v1', kind: 'CronJob', name: cronJob.metadata.name, uid: cronJob.metadata.uid, controller: true }],
    },
    spec,
  };
}
