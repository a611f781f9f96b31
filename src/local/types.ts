/**
 * The subset of the batch/v1 Job and core/v1 Pod API the local emulator reads
 * and writes. Field names and optionality follow the Kubernetes Go types.
 */

/** Object metadata. */
export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  creationTimestamp?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  [key: string]: unknown;
}

/** An env var source resolved from the pod (downward API). */
export interface ObjectFieldSelector {
  apiVersion?: string;
  fieldPath: string;
}

/** A container env var. */
export interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: {
    fieldRef?: ObjectFieldSelector;
    [key: string]: unknown;
  };
}

/** A container of the pod template. */
export interface Container {
  name: string;
  image?: string;
  command?: string[];
  args?: string[];
  workingDir?: string;
  env?: EnvVar[];
  [key: string]: unknown;
}

/** The pod template's spec. */
export interface PodSpec {
  restartPolicy?: string;
  terminationGracePeriodSeconds?: number;
  containers: Container[];
  initContainers?: Container[];
  [key: string]: unknown;
}

/** A pod template. */
export interface PodTemplateSpec {
  metadata?: ObjectMeta;
  spec: PodSpec;
}

/** `podFailurePolicy.rules[].onExitCodes`. */
export interface PodFailurePolicyOnExitCodesRequirement {
  containerName?: string;
  operator: 'In' | 'NotIn';
  values: number[];
}

/** `podFailurePolicy.rules[].onPodConditions[]`. */
export interface PodFailurePolicyOnPodConditionsPattern {
  type: string;
  status: 'True' | 'False' | 'Unknown';
}

/** The action of a podFailurePolicy rule. */
export type PodFailurePolicyAction = 'FailJob' | 'FailIndex' | 'Ignore' | 'Count';

/** One podFailurePolicy rule. */
export interface PodFailurePolicyRule {
  action: PodFailurePolicyAction;
  onExitCodes?: PodFailurePolicyOnExitCodesRequirement;
  onPodConditions?: PodFailurePolicyOnPodConditionsPattern[];
}

/** `spec.podFailurePolicy`. */
export interface PodFailurePolicy {
  rules: PodFailurePolicyRule[];
}

/** One successPolicy rule. */
export interface SuccessPolicyRule {
  succeededIndexes?: string;
  succeededCount?: number;
}

/** `spec.successPolicy`. */
export interface SuccessPolicy {
  rules: SuccessPolicyRule[];
}

/** `spec` of a Job, after defaulting. */
export interface JobSpec {
  parallelism?: number;
  completions?: number;
  activeDeadlineSeconds?: number;
  podFailurePolicy?: PodFailurePolicy;
  successPolicy?: SuccessPolicy;
  backoffLimit?: number;
  backoffLimitPerIndex?: number;
  maxFailedIndexes?: number;
  selector?: { matchLabels?: Record<string, string> };
  manualSelector?: boolean;
  template: PodTemplateSpec;
  ttlSecondsAfterFinished?: number;
  completionMode?: 'NonIndexed' | 'Indexed';
  suspend?: boolean;
  podReplacementPolicy?: 'TerminatingOrFailed' | 'Failed';
  /** The controller that runs the Job; unset or `kubernetes.io/job-controller` is the built-in one. */
  managedBy?: string;
  [key: string]: unknown;
}

/** A Job condition, in the API's shape and key order. */
export interface JobCondition {
  type: 'Suspended' | 'Complete' | 'Failed' | 'FailureTarget' | 'SuccessCriteriaMet';
  status: 'True' | 'False' | 'Unknown';
  lastProbeTime?: string;
  lastTransitionTime?: string;
  reason?: string;
  message?: string;
}

/** `status.uncountedTerminatedPods`. */
export interface UncountedTerminatedPods {
  succeeded?: string[];
  failed?: string[];
}

/** A Job's status, in the API's shape. Zero-valued omitempty fields are absent. */
export interface JobStatus {
  conditions?: JobCondition[];
  startTime?: string;
  completionTime?: string;
  active?: number;
  succeeded?: number;
  failed?: number;
  terminating?: number;
  completedIndexes?: string;
  failedIndexes?: string;
  uncountedTerminatedPods?: UncountedTerminatedPods;
  ready?: number;
}

/** A batch/v1 Job. */
export interface Job {
  apiVersion: 'batch/v1';
  kind: 'Job';
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: JobSpec;
  status?: JobStatus;
}
