/**
 * The one table of identity variables: which `JOBKIT_*` variable sets each
 * identity field (read by identity.ts) and where a generated Kubernetes
 * manifest takes its value from (written by local/manifest-generator.ts). A
 * field added here is read and written, or the compiler says where not.
 */
import type { JobIdentity } from './types.ts';

/** Where a generated Job manifest takes an identity variable's value from. */
export type KubernetesSource =
  /** The downward API: `valueFrom.fieldRef.fieldPath`. */
  | { readonly fieldPath: string }
  /** A literal: the Job's `spec.completions`. */
  | 'completions'
  /** Not written: the Job controller sets its own variable (`JOB_COMPLETION_INDEX`), read natively. */
  | 'controller'
  /** Not written: detected from the environment. */
  | 'detected'
  /** A literal, written only in a CronJob's template: the CronJob's name. */
  | 'cronjob'
  /** Not written: derived from other fields (the Job name the CronJob controller gives). */
  | 'derived';

/** The identity fields a variable can set. */
export type IdentityEnvField = keyof JobIdentity;

/** One row of {@link IDENTITY_ENV}. */
export interface IdentityEnvEntry {
  /** The variable's name. */
  readonly env: `JOBKIT_${string}`;
  /** Where a generated Kubernetes manifest takes it from. */
  readonly kubernetes: KubernetesSource;
}

/**
 * Every identity field's variable and its Kubernetes source, in the order a
 * generated manifest lists them.
 *
 * @example
 * ```ts
 * process.env[IDENTITY_ENV.podName.env]; // the JOBKIT_POD_NAME value
 * ```
 */
export const IDENTITY_ENV: { readonly [F in IdentityEnvField]: IdentityEnvEntry } = Object.freeze({
  jobName: { env: 'JOBKIT_JOB_NAME', kubernetes: { fieldPath: "metadata.labels['batch.kubernetes.io/job-name']" } },
  namespace: { env: 'JOBKIT_NAMESPACE', kubernetes: { fieldPath: 'metadata.namespace' } },
  podName: { env: 'JOBKIT_POD_NAME', kubernetes: { fieldPath: 'metadata.name' } },
  podUid: { env: 'JOBKIT_POD_UID', kubernetes: { fieldPath: 'metadata.uid' } },
  nodeName: { env: 'JOBKIT_NODE_NAME', kubernetes: { fieldPath: 'spec.nodeName' } },
  attempt: { env: 'JOBKIT_ATTEMPT', kubernetes: { fieldPath: "metadata.annotations['batch.kubernetes.io/job-index-failure-count']" } },
  count: { env: 'JOBKIT_COUNT', kubernetes: 'completions' },
  index: { env: 'JOBKIT_INDEX', kubernetes: 'controller' },
  platform: { env: 'JOBKIT_PLATFORM', kubernetes: 'detected' },
  cronJobName: { env: 'JOBKIT_CRONJOB_NAME', kubernetes: 'cronjob' },
  scheduledTime: { env: 'JOBKIT_SCHEDULED_TIME', kubernetes: 'derived' },
  trigger: { env: 'JOBKIT_TRIGGER', kubernetes: 'derived' },
});
