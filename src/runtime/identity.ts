/**
 * Job identity: which job, pod and index this process is, read once from the
 * environment of the batch platform it runs on.
 *
 * Precedence, lowest to highest: the platform's own variables, the `JOBKIT_*`
 * variables of the env contract (set by the generated manifest), options given
 * in code. Every value is validated; a bad one throws a ConfigurationError that
 * names the variable (or option) and its value, so the job exits 78 at once
 * instead of processing the wrong shard.
 */
import { type Env, readChoice, readInstant, readInteger, readString } from './config.ts';
import { ConfigurationError } from './errors.ts';
import { IDENTITY_ENV } from './identity-env.ts';
import type { JobIdentity, JobTrigger, Platform } from './types.ts';

/** Identity values given in code; each wins over its environment form. */
export interface IdentityOptions {
  /** Skip platform detection; overrides JOBKIT_PLATFORM. */
  readonly platform?: Platform;
  /** Overrides JOBKIT_JOB_NAME and the platform's job name. */
  readonly jobName?: string;
  /** Overrides JOBKIT_NAMESPACE. */
  readonly namespace?: string;
  /** Overrides JOBKIT_POD_NAME. */
  readonly podName?: string;
  /** Overrides JOBKIT_POD_UID. */
  readonly podUid?: string;
  /** Overrides JOBKIT_NODE_NAME. */
  readonly nodeName?: string;
  /** Overrides JOBKIT_INDEX and the platform's index (0-based). */
  readonly index?: number;
  /** Overrides JOBKIT_COUNT and the platform's count. */
  readonly count?: number;
  /** Overrides JOBKIT_ATTEMPT and the platform's attempt (0-based). */
  readonly attempt?: number;
  /** Overrides JOBKIT_CRONJOB_NAME. */
  readonly cronJobName?: string;
  /** Overrides JOBKIT_SCHEDULED_TIME and the time read from the Job name. */
  readonly scheduledTime?: Date;
  /** Overrides JOBKIT_TRIGGER and the trigger derived from the CronJob name and the scheduled time. */
  readonly trigger?: JobTrigger;
}

/** The values of JOBKIT_TRIGGER. */
export const TRIGGERS: readonly JobTrigger[] = ['schedule', 'manual', 'none'];

/**
 * The scheduled time the CronJob controller put in a Job's name:
 * `<cronjob>-<minutes since the epoch>` (getJobName in
 * pkg/controller/cronjob). Undefined when the name is not of that form (a
 * manual run, `kubectl create job x --from=cronjob/<cronjob>`).
 *
 * @example
 * ```ts
 * scheduledTimeFromJobName('report-29453761', 'report'); // 2026-01-01T00:01:00.000Z
 * scheduledTimeFromJobName('report-rerun', 'report');    // undefined
 * ```
 */
export function scheduledTimeFromJobName(jobName: string, cronJobName: string): Date | undefined {
  const prefix = `${cronJobName}-`;
  if (!jobName.startsWith(prefix)) return undefined;
  const minutes = jobName.slice(prefix.length);
  // The controller's suffix: a decimal count of minutes, today 8 digits; never a leading zero.
  if (!/^[1-9]\d{0,11}$/.test(minutes)) return undefined;
  return new Date(Number(minutes) * 60_000);
}

/** What one platform's variables say; `indexFrom`/`countFrom` name the source for error messages. */
interface PlatformValues {
  jobName?: string | undefined;
  namespace?: string | undefined;
  podName?: string | undefined;
  podUid?: string | undefined;
  nodeName?: string | undefined;
  index?: number | undefined;
  indexFrom?: string;
  count?: number | undefined;
  countFrom?: string;
  attempt?: number | undefined;
}

/** Every platform jobkit knows, as accepted by JOBKIT_PLATFORM. */
export const PLATFORMS: readonly Platform[] = Object.freeze(
  Object.keys({ kubernetes: true, 'aws-batch': true, 'cloud-run': true, 'cloud-batch': true, slurm: true, argo: true, jobset: true, local: true } satisfies Record<Platform, true>) as Platform[],
);

const DEFAULT_JOB_NAME = 'job';
const DEFAULT_NAMESPACE = 'default';

/**
 * The platform this process runs on, from the variables each one sets.
 * Batch services that may themselves run on Kubernetes (AWS Batch on EKS) are
 * checked before the generic Kubernetes markers, but an Indexed Job's
 * JOB_COMPLETION_INDEX means Kubernetes unless the pod is a JobSet's
 * (JOBSET_NAME, which `jobkit manifest --platform jobset` sets from the
 * JobSet's label). An Argo Workflows pod is known by ARGO_NODE_ID, which the
 * Argo controller sets in every container of the pods it creates.
 *
 * @example
 * ```ts
 * detectPlatform({ CLOUD_RUN_JOB: 'etl', CLOUD_RUN_TASK_INDEX: '2' }); // 'cloud-run'
 * ```
 */
export function detectPlatform(env: Env): Platform {
  if (readString(env, 'JOBSET_NAME') !== undefined) return 'jobset';
  if (readString(env, 'JOB_COMPLETION_INDEX') !== undefined) return 'kubernetes';
  if (readString(env, 'ARGO_NODE_ID') !== undefined) return 'argo';
  if (readString(env, 'AWS_BATCH_JOB_ID') !== undefined) return 'aws-batch';
  if (readString(env, 'CLOUD_RUN_JOB') !== undefined) return 'cloud-run';
  if (readString(env, 'BATCH_TASK_INDEX') !== undefined) return 'cloud-batch';
  if (readString(env, 'SLURM_JOB_ID') !== undefined) return 'slurm';
  if (readString(env, 'KUBERNETES_SERVICE_HOST') !== undefined) return 'kubernetes';
  return 'local';
}

/**
 * Build the job identity from the environment and code options, validated.
 *
 * @throws ConfigurationError when a value is not a non-negative integer, the
 *   count is 0, or the index is not below the count.
 * @example
 * ```ts
 * const identity = resolveIdentity(process.env, { count: 8 });
 * console.log(`${identity.jobName}: index ${identity.index} of ${identity.count}`);
 * ```
 */
export function resolveIdentity(env: Env = process.env, options: IdentityOptions = {}): JobIdentity {
  const platform = options.platform ?? readChoice(env, IDENTITY_ENV.platform.env, PLATFORMS) ?? detectPlatform(env);
  const native = readPlatformValues(platform, env);

  const index = pick(
    [options.index, 'option index'],
    [readInteger(env, IDENTITY_ENV.index.env), IDENTITY_ENV.index.env],
    [native.index, native.indexFrom ?? 'platform index'],
  );
  const count = pick(
    [options.count, 'option count'],
    [readInteger(env, IDENTITY_ENV.count.env), IDENTITY_ENV.count.env],
    [native.count, native.countFrom ?? 'platform count'],
  );
  const attempt = pick(
    [options.attempt, 'option attempt'],
    [readInteger(env, IDENTITY_ENV.attempt.env), IDENTITY_ENV.attempt.env],
    [native.attempt, 'platform attempt'],
  );
  checkCodeInteger(index, 0);
  checkCodeInteger(count, 1);
  checkCodeInteger(attempt, 0);

  const indexValue = index?.value ?? 0;
  const countValue = count?.value ?? 1;
  if (countValue < 1) {
    throw new ConfigurationError(`${count?.from ?? 'count'} must be an integer >= 1, got "${countValue}"`);
  }
  if (indexValue >= countValue) {
    const countSource = count === undefined ? 'the default count 1' : `${count.from}=${countValue}`;
    throw new ConfigurationError(
      `${index?.from ?? 'index'}=${indexValue} is out of range: the index must be < the count (${countSource}); ` +
        'set JOBKIT_COUNT to the number of completions',
    );
  }

  const jobName = nonEmpty(options.jobName, 'jobName') ?? readString(env, IDENTITY_ENV.jobName.env) ?? native.jobName ?? DEFAULT_JOB_NAME;
  const cronJobName = nonEmpty(options.cronJobName, 'cronJobName') ?? readString(env, IDENTITY_ENV.cronJobName.env);
  if (options.scheduledTime !== undefined && !(options.scheduledTime instanceof Date && Number.isFinite(options.scheduledTime.getTime()))) {
    throw new ConfigurationError(`option scheduledTime must be a valid Date, got ${String(options.scheduledTime)}`);
  }
  const scheduledTime =
    options.scheduledTime ??
    readInstant(env, IDENTITY_ENV.scheduledTime.env) ??
    (cronJobName === undefined ? undefined : scheduledTimeFromJobName(jobName, cronJobName));
  const trigger: JobTrigger =
    options.trigger ??
    readChoice(env, IDENTITY_ENV.trigger.env, TRIGGERS) ??
    (scheduledTime !== undefined ? 'schedule' : cronJobName !== undefined ? 'manual' : 'none');
  if (!TRIGGERS.includes(trigger)) throw new ConfigurationError(`option trigger must be one of ${TRIGGERS.join(', ')}, got "${String(trigger)}"`);

  return Object.freeze({
    platform,
    jobName,
    namespace:
      nonEmpty(options.namespace, 'namespace') ?? readString(env, IDENTITY_ENV.namespace.env) ?? native.namespace ?? DEFAULT_NAMESPACE,
    podName: nonEmpty(options.podName, 'podName') ?? readString(env, IDENTITY_ENV.podName.env) ?? native.podName,
    podUid: nonEmpty(options.podUid, 'podUid') ?? readString(env, IDENTITY_ENV.podUid.env) ?? native.podUid,
    nodeName: nonEmpty(options.nodeName, 'nodeName') ?? readString(env, IDENTITY_ENV.nodeName.env) ?? native.nodeName,
    index: indexValue,
    count: countValue,
    attempt: attempt?.value,
    cronJobName,
    scheduledTime,
    trigger,
  });
}

function readPlatformValues(platform: Platform, env: Env): PlatformValues {
  switch (platform) {
    case 'kubernetes':
      return readKubernetes(env);
    case 'aws-batch':
      return readAwsBatch(env);
    case 'cloud-run':
      return {
        jobName: readString(env, 'CLOUD_RUN_JOB'),
        index: readInteger(env, 'CLOUD_RUN_TASK_INDEX'),
        indexFrom: 'CLOUD_RUN_TASK_INDEX',
        count: readInteger(env, 'CLOUD_RUN_TASK_COUNT', { min: 1 }),
        countFrom: 'CLOUD_RUN_TASK_COUNT',
        attempt: readInteger(env, 'CLOUD_RUN_TASK_ATTEMPT'),
      };
    case 'cloud-batch':
      return {
        index: readInteger(env, 'BATCH_TASK_INDEX'),
        indexFrom: 'BATCH_TASK_INDEX',
        count: readInteger(env, 'BATCH_TASK_COUNT', { min: 1 }),
        countFrom: 'BATCH_TASK_COUNT',
        attempt: readInteger(env, 'BATCH_TASK_RETRY_ATTEMPT'),
      };
    case 'slurm':
      return readSlurm(env);
    case 'argo':
      return readArgo(env);
    case 'jobset': {
      // The pods of a JobSet's Jobs are Indexed Job pods; the job is the JobSet.
      const kubernetes = readKubernetes(env);
      return { ...kubernetes, jobName: readString(env, 'JOBSET_NAME') ?? kubernetes.jobName };
    }
    case 'local':
      return {};
  }
}

function readKubernetes(env: Env): PlatformValues {
  const index = readInteger(env, 'JOB_COMPLETION_INDEX');
  const hostname = readString(env, 'HOSTNAME');
  // Indexed Job pods get the hostname `<job>-<index>` (the pod name carries an
  // extra random suffix), so the job name can be recovered without the
  // downward API; in a NonIndexed Job the hostname is the pod name.
  let jobName: string | undefined;
  let podName: string | undefined;
  if (hostname !== undefined && index !== undefined && hostname.endsWith(`-${index}`)) {
    jobName = hostname.slice(0, -`-${index}`.length) || undefined;
  } else if (hostname !== undefined && index === undefined) {
    podName = hostname;
    jobName = /^(.+)-[a-z0-9]{5}$/.exec(hostname)?.[1];
  }
  return { jobName, podName, index, indexFrom: 'JOB_COMPLETION_INDEX' };
}

function readAwsBatch(env: Env): PlatformValues {
  const jobId = readString(env, 'AWS_BATCH_JOB_ID');
  // AWS Batch numbers attempts from 1; jobkit's attempt is 0-based.
  const attempt = readInteger(env, 'AWS_BATCH_JOB_ATTEMPT', { min: 1 });
  return {
    // Array children have the id `<parent-id>:<index>`; the parent id names the job.
    jobName: jobId?.replace(/:\d+$/, ''),
    podName: jobId,
    index: readInteger(env, 'AWS_BATCH_JOB_ARRAY_INDEX'),
    indexFrom: 'AWS_BATCH_JOB_ARRAY_INDEX',
    count: readInteger(env, 'AWS_BATCH_JOB_ARRAY_SIZE', { min: 1 }),
    countFrom: 'AWS_BATCH_JOB_ARRAY_SIZE',
    attempt: attempt === undefined ? undefined : attempt - 1,
  };
}

function readArgo(env: Env): PlatformValues {
  // The node id is `<workflow>-<fnv32a of the node name>` (Workflow.NodeID),
  // or the workflow's name for its root node. Argo injects neither the index
  // nor the retry number: the generated Workflow passes JOBKIT_INDEX and
  // JOBKIT_ATTEMPT ({{retries}}).
  const nodeId = readString(env, 'ARGO_NODE_ID');
  return { jobName: nodeId?.replace(/-\d+$/, ''), podName: readString(env, 'HOSTNAME') };
}

function readSlurm(env: Env): PlatformValues {
  const taskId = readInteger(env, 'SLURM_ARRAY_TASK_ID');
  const base: PlatformValues = {
    jobName: readString(env, 'SLURM_ARRAY_JOB_ID') ?? readString(env, 'SLURM_JOB_ID'),
    podName: readString(env, 'SLURM_JOB_ID'),
    nodeName: readString(env, 'SLURMD_NODENAME'),
    attempt: readInteger(env, 'SLURM_RESTART_COUNT'),
  };
  if (taskId === undefined) return base;
  // `--array=5-21:4` gives task ids 5, 9, 13, 17, 21: index = (id - min) / step.
  const min = readInteger(env, 'SLURM_ARRAY_TASK_MIN') ?? 0;
  const step = readInteger(env, 'SLURM_ARRAY_TASK_STEP', { min: 1 }) ?? 1;
  const offset = taskId - min;
  if (offset < 0 || offset % step !== 0) {
    throw new ConfigurationError(
      `SLURM_ARRAY_TASK_ID=${taskId} is not on the array grid SLURM_ARRAY_TASK_MIN=${min}, SLURM_ARRAY_TASK_STEP=${step}; ` +
        'for an irregular --array list set JOBKIT_INDEX and JOBKIT_COUNT',
    );
  }
  return {
    ...base,
    index: offset / step,
    indexFrom: 'SLURM_ARRAY_TASK_ID',
    count: readInteger(env, 'SLURM_ARRAY_TASK_COUNT', { min: 1 }),
    countFrom: 'SLURM_ARRAY_TASK_COUNT',
  };
}

interface Sourced {
  readonly value: number;
  readonly from: string;
}

function pick(...candidates: ReadonlyArray<readonly [number | undefined, string]>): Sourced | undefined {
  for (const [value, from] of candidates) if (value !== undefined) return { value, from };
  return undefined;
}

/** Env values are already checked by the readers; code options are checked here. */
function checkCodeInteger(sourced: Sourced | undefined, min: number): void {
  if (sourced === undefined || !sourced.from.startsWith('option ')) return;
  const { value, from } = sourced;
  if (!Number.isSafeInteger(value) || value < min) {
    throw new ConfigurationError(`${from} must be an integer >= ${min}, got ${String(value)}`);
  }
}

function nonEmpty(value: string | undefined, option: string): string | undefined {
  if (value === undefined) return undefined;
  if (value.trim() === '') throw new ConfigurationError(`option ${option} must be a non-empty string, got "${value}"`);
  return value;
}
