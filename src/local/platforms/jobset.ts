/**
 * `jobkit manifest --platform jobset`: a JobSet (jobset.x-k8s.io/v1alpha2)
 * of one replicated Job, whose template is the Job `jobkit manifest` writes
 * for Kubernetes, podFailurePolicy included: retries and preemptions are
 * handled inside the Job as on Kubernetes. The JobSet's failurePolicy adds
 * the outer rule: a Job that failed by its podFailurePolicy or by failed
 * indexes (codes no retry can help) fails the JobSet at once; any other Job
 * failure (backoff exhausted, deadline) restarts the JobSet, at most
 * `maxRestarts` times (default 0: the Job's own retries are the retries).
 */
import { ConfigurationError } from '../../runtime/errors.ts';
import { IDENTITY_ENV } from '../../runtime/identity-env.ts';
import { generateJobManifest } from '../manifest-generator.ts';
import type { EnvVar, JobSpec } from '../types.ts';
import { type PlatformManifestOptions, refuseOptions } from './options.ts';

/** `spec.failurePolicy.rules[]`. */
export interface JobSetFailurePolicyRule {
  readonly name: string;
  readonly action: 'FailJobSet' | 'RestartJobSet' | 'RestartJobSetAndIgnoreMaxRestarts';
  readonly onJobFailureReasons: readonly string[];
}

/** The JobSet jobkit writes (the fields it sets). */
export interface JobSet {
  readonly apiVersion: 'jobset.x-k8s.io/v1alpha2';
  readonly kind: 'JobSet';
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly failurePolicy: { readonly maxRestarts: number; readonly rules: readonly JobSetFailurePolicyRule[] };
    readonly ttlSecondsAfterFinished?: number;
    readonly replicatedJobs: ReadonlyArray<{
      readonly name: string;
      readonly replicas: 1;
      readonly template: { readonly metadata: { readonly labels: Readonly<Record<string, string>> }; readonly spec: JobSpec };
    }>;
  };
}

/** The name of the one replicated Job; its Jobs are `<jobset>-work-0`. */
export const JOBSET_REPLICATED_JOB = 'work';
/** The pod label JobSet sets to the JobSet's name (api/jobset/v1alpha2 JobSetNameKey). */
export const JOBSET_NAME_LABEL = 'jobset.sigs.k8s.io/jobset-name';
/** The pod label JobSet sets to the JobSet's restart count (pkg/constants RestartsKey). */
export const JOBSET_RESTART_LABEL = 'jobset.sigs.k8s.io/restart-attempt';
/** The env the generated template sets from {@link JOBSET_NAME_LABEL}: how jobkit detects a JobSet pod. */
export const JOBSET_NAME_ENV = 'JOBSET_NAME';
/** The env the generated template sets from {@link JOBSET_RESTART_LABEL}. */
export const JOBSET_RESTART_ENV = 'JOBSET_RESTART_ATTEMPT';

/**
 * The Job failure reasons (the Failed condition's reason, set by the Job
 * controller) that mean no retry can help: the podFailurePolicy's FailJob
 * rule matched (configuration, busy; permanent without per-index retries),
 * or an index failed by FailIndex (permanent) or ran out of retries.
 */
export const JOBSET_PERMANENT_REASONS: readonly string[] = Object.freeze(['PodFailurePolicy', 'FailedIndexes', 'MaxFailedIndexesExceeded']);

/**
 * Builds the JobSet for a jobkit program.
 *
 * @example
 * ```ts
 * const js = generateJobSet({ name: 'train', image: 'acme/train:1', command: ['node', 'main.js'], completions: 4 });
 * js.spec.replicatedJobs[0].template.spec.podFailurePolicy?.rules[0].action; // 'Ignore'
 * ```
 */
export function generateJobSet(options: PlatformManifestOptions): JobSet {
  refuseOptions('jobset', options, { cronJobName: 'JobSet has no schedule' });
  const { maxRestarts = 0, ttlSecondsAfterFinished, ...rest } = options;
  if (!Number.isInteger(maxRestarts) || maxRestarts < 0) throw new ConfigurationError(`--max-restarts must be an integer >= 0, got ${String(maxRestarts)}`);
  if (ttlSecondsAfterFinished !== undefined && (!Number.isInteger(ttlSecondsAfterFinished) || ttlSecondsAfterFinished < 0)) {
    throw new ConfigurationError(`--ttl must be an integer >= 0, got ${String(ttlSecondsAfterFinished)}`);
  }
  const completions = rest.completions ?? 1;
  // Pods are named after the Job `<jobset>-work-0`, and an Indexed Job's hostnames are `<job>-<index>`.
  const longest = `${options.name}-${JOBSET_REPLICATED_JOB}-0-${completions - 1}`;
  if (longest.length > 63) {
    throw new ConfigurationError(`--name must be short enough that the pod hostname "${longest}" fits in 63 characters with --platform jobset, got "${options.name}"`);
  }
  const job = generateJobManifest(rest);
  const container = job.spec.template.spec.containers[0];
  if (container !== undefined) container.env = jobSetEnv(container.env ?? []);
  const labels = { 'app.kubernetes.io/name': options.name, 'app.kubernetes.io/managed-by': 'jobkit' };
  return {
    apiVersion: 'jobset.x-k8s.io/v1alpha2',
    kind: 'JobSet',
    metadata: { name: options.name, ...(options.namespace === undefined ? {} : { namespace: options.namespace }), labels },
    spec: {
      failurePolicy: { maxRestarts, rules: [{ name: 'NoRetryHelps', action: 'FailJobSet', onJobFailureReasons: JOBSET_PERMANENT_REASONS }] },
      ...(ttlSecondsAfterFinished === undefined ? {} : { ttlSecondsAfterFinished }),
      replicatedJobs: [{ name: JOBSET_REPLICATED_JOB, replicas: 1, template: { metadata: { labels }, spec: job.spec } }],
    },
  };
}

/** The Kubernetes template's env with the job name taken from the JobSet, plus the JobSet variables. */
function jobSetEnv(env: readonly EnvVar[]): EnvVar[] {
  const fromLabel = (name: string, label: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath: `metadata.labels['${label}']` } } });
  const out = env.map((e) => (e.name === IDENTITY_ENV.jobName.env ? fromLabel(e.name, JOBSET_NAME_LABEL) : e));
  out.push(fromLabel(JOBSET_NAME_ENV, JOBSET_NAME_LABEL), fromLabel(JOBSET_RESTART_ENV, JOBSET_RESTART_LABEL));
  return out;
}
