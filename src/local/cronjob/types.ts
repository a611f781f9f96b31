/**
 * The subset of the batch/v1 CronJob API the local CronJob controller reads
 * and writes. Field names and optionality follow the Kubernetes Go types.
 */
import type { JobSpec, ObjectMeta } from '../types.ts';

/** `spec.concurrencyPolicy`. */
export type ConcurrencyPolicy = 'Allow' | 'Forbid' | 'Replace';

/** The supported values of `spec.concurrencyPolicy`, in the API server's order. */
export const CONCURRENCY_POLICIES: readonly ConcurrencyPolicy[] = ['Allow', 'Forbid', 'Replace'];

/** `spec.jobTemplate`. */
export interface JobTemplateSpec {
  metadata?: ObjectMeta;
  spec: JobSpec;
}

/** `spec` of a CronJob, after defaulting. */
export interface CronJobSpec {
  schedule: string;
  timeZone?: string;
  startingDeadlineSeconds?: number;
  concurrencyPolicy: ConcurrencyPolicy;
  suspend: boolean;
  successfulJobsHistoryLimit: number;
  failedJobsHistoryLimit: number;
  jobTemplate: JobTemplateSpec;
}

/** A reference to a Job in `status.active`, as `ref.GetReference` builds it. */
export interface JobReference {
  kind: 'Job';
  namespace: string;
  name: string;
  uid: string;
  apiVersion: 'batch/v1';
}

/** A CronJob's status, in the API's shape. Unset fields are absent. */
export interface CronJobStatus {
  active?: JobReference[];
  lastScheduleTime?: string;
  lastSuccessfulTime?: string;
}

/** A batch/v1 CronJob. */
export interface CronJob {
  apiVersion: 'batch/v1';
  kind: 'CronJob';
  metadata: ObjectMeta & { name: string; namespace: string; uid: string; creationTimestamp: string };
  spec: CronJobSpec;
  status?: CronJobStatus;
}

/** An owner reference on a Job. */
export interface OwnerReference {
  apiVersion: 'batch/v1';
  kind: 'CronJob';
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** A CronJob event, as the controller records it (`kubectl describe cronjob` lists them). */
export interface CronJobEvent {
  /** The virtual time of the event, RFC 3339 with milliseconds. */
  readonly time: string;
  readonly type: 'Normal' | 'Warning';
  /** The controller's reason string, e.g. `SuccessfulCreate`, `JobAlreadyActive`. */
  readonly reason: string;
  readonly message: string;
}

/** The annotations the CronJob controller and kubectl write on Jobs. */
export const CRONJOB_ANNOTATIONS = {
  /** The nominal schedule time, RFC 3339 in the CronJob's time zone (controller, 1.28+). */
  scheduledTimestamp: 'batch.kubernetes.io/cronjob-scheduled-timestamp',
  /** `manual` on Jobs made by `kubectl create job --from=cronjob/...`. */
  instantiate: 'cronjob.kubernetes.io/instantiate',
} as const;
