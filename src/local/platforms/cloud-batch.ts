/**
 * `jobkit manifest --platform cloud-batch` (alias `gcp-batch`): a Google Cloud
 * Batch job, the body of jobs.create (`gcloud batch jobs submit <name>
 * --location <region> --config job.json`), whose retry rules come from the
 * exit-code table.
 *
 * Batch supports one lifecycle policy per task group: with FAIL_TASK on the
 * codes no retry can help (FailJob, FailIndex), every other non-zero exit is
 * retried up to maxRetryCount, including 50001, the code Batch gives a task
 * whose VM was preempted or went away; that retry is counted too.
 */
import { ConfigurationError } from '../../runtime/errors.ts';
import { generateJobManifest } from '../manifest-generator.ts';
import { NEVER_RETRY, type PlatformManifestOptions, checkPlatformMax, exitCodesWithAction, refuseOptions, retriesPerIndex, workEnv } from './options.ts';

/** `TaskSpec.lifecyclePolicies[]`. */
export interface CloudBatchLifecyclePolicy {
  readonly action: 'RETRY_TASK' | 'FAIL_TASK';
  readonly actionCondition: { readonly exitCodes: readonly number[] };
}

/** The jobs.create body jobkit writes (the fields it sets). */
export interface CloudBatchJob {
  readonly taskGroups: ReadonlyArray<{
    readonly taskSpec: {
      readonly runnables: ReadonlyArray<{ readonly container: { readonly imageUri: string; readonly entrypoint?: string; readonly commands?: readonly string[] } }>;
      readonly maxRetryCount: number;
      readonly lifecyclePolicies: readonly CloudBatchLifecyclePolicy[];
      readonly maxRunDuration?: string;
      readonly environment: { readonly variables: Readonly<Record<string, string>> };
    };
    readonly taskCount: number;
    readonly parallelism: number;
  }>;
  readonly labels: Readonly<Record<string, string>>;
  readonly logsPolicy: { readonly destination: 'CLOUD_LOGGING' };
}

/** TaskSpec.maxRetryCount: "The valid value range is [0, 10]". */
export const CLOUD_BATCH_MAX_RETRY_COUNT = 10;
/** The exit code Batch gives a task whose VM was preempted (Spot) or lost. */
export const CLOUD_BATCH_PREEMPTED_EXIT_CODE = 50001;

/**
 * The one lifecycle policy of the exit-code table: FAIL_TASK on the codes no
 * retry can help; every other failure (50001 too) is retried.
 *
 * @example
 * ```ts
 * cloudBatchLifecyclePolicies(); // [{ action: 'FAIL_TASK', actionCondition: { exitCodes: [65, 69, 78] } }]
 * ```
 */
export function cloudBatchLifecyclePolicies(): CloudBatchLifecyclePolicy[] {
  const fail = exitCodesWithAction(NEVER_RETRY);
  if (fail.includes(CLOUD_BATCH_PREEMPTED_EXIT_CODE)) throw new ConfigurationError(`exit code ${CLOUD_BATCH_PREEMPTED_EXIT_CODE} is Batch's preemption code and must be retried`);
  return [{ action: 'FAIL_TASK', actionCondition: { exitCodes: fail } }];
}

/**
 * Builds the Cloud Batch job for a jobkit program: one task group of
 * `completions` tasks (BATCH_TASK_INDEX, BATCH_TASK_COUNT), one container runnable.
 *
 * @example
 * ```ts
 * const job = generateCloudBatchJob({ name: 'etl', image: 'acme/etl:1', command: ['node', 'main.js'], completions: 4 });
 * job.taskGroups[0].taskCount; // 4
 * ```
 */
export function generateCloudBatchJob(options: PlatformManifestOptions): CloudBatchJob {
  refuseOptions('cloud-batch', options, {
    namespace: 'Cloud Batch has no namespaces (the project and region are given at submit)',
    backoffLimit: 'Cloud Batch retries each task on its own; use --backoff-limit-per-index',
    maxFailedIndexes: 'a Cloud Batch job fails when any task fails',
    ttlSecondsAfterFinished: 'Cloud Batch keeps and expires finished jobs itself',
    containerName: 'a container runnable has no name',
    cronJobName: 'schedule Cloud Batch jobs with Cloud Scheduler',
    maxRestarts: 'it is a JobSet setting',
  });
  const { activeDeadlineSeconds, ...rest } = options;
  const job = generateJobManifest(rest);
  const retries = retriesPerIndex(job);
  checkPlatformMax('cloud-batch', '--backoff-limit-per-index', retries, CLOUD_BATCH_MAX_RETRY_COUNT, `maxRetryCount is 0..${CLOUD_BATCH_MAX_RETRY_COUNT}`);
  if (activeDeadlineSeconds !== undefined) {
    if (!Number.isInteger(activeDeadlineSeconds) || activeDeadlineSeconds < 1) throw new ConfigurationError(`--active-deadline must be an integer >= 1, got ${String(activeDeadlineSeconds)}`);
    if (options.deadlineSeconds !== undefined && options.deadlineSeconds >= activeDeadlineSeconds) {
      throw new ConfigurationError(`--deadline (${options.deadlineSeconds}) must be below --active-deadline (${activeDeadlineSeconds}) so the program stops and checkpoints before Batch kills it`);
    }
  }
  // Kubernetes' command replaces the image's ENTRYPOINT and args its CMD; Batch's entrypoint and commands do the same.
  const [entrypoint, ...commandRest] = options.command ?? [];
  const commands = [...commandRest, ...(options.args ?? [])];
  const container = { imageUri: options.image, ...(entrypoint === undefined ? {} : { entrypoint }), ...(commands.length > 0 ? { commands } : {}) };
  return {
    taskGroups: [
      {
        taskSpec: {
          runnables: [{ container }],
          maxRetryCount: retries,
          lifecyclePolicies: cloudBatchLifecyclePolicies(),
          ...(activeDeadlineSeconds === undefined ? {} : { maxRunDuration: `${activeDeadlineSeconds}s` }),
          environment: { variables: Object.fromEntries(workEnv(job).map((e) => [e.name, e.value])) },
        },
        taskCount: job.spec.completions ?? 1,
        parallelism: job.spec.parallelism ?? 1,
      },
    ],
    // Label keys and values: lowercase letters, digits, "-" and "_" (no "/" or ".").
    labels: { 'managed-by': 'jobkit', 'jobkit-job': options.name },
    logsPolicy: { destination: 'CLOUD_LOGGING' },
  };
}
