/**
 * `jobkit manifest --platform aws-batch`: an AWS Batch job definition (the
 * input of RegisterJobDefinition, for `aws batch register-job-definition
 * --cli-input-json`) whose retryStrategy comes from the exit-code table.
 *
 * AWS Batch retries a failed attempt unless an evaluateOnExit rule says EXIT,
 * and every retry uses one of `attempts` (1..10): there is no uncounted retry.
 * So the rules are: RETRY on a host termination (`onStatusReason: "Host EC2*"`:
 * a Spot reclaim or a lost instance, which has no exit code) first, then EXIT
 * for each code the table fails at once (FailJob, FailIndex); everything else,
 * the Count and Ignore classes and unknown codes (137), is retried by default.
 * The service takes at most 5 rules, and onExitCode only digits with an
 * optional trailing `*`.
 */
import { ConfigurationError } from '../../runtime/errors.ts';
import { generateJobManifest } from '../manifest-generator.ts';
import { type EnvLiteral, NEVER_RETRY, type PlatformManifestOptions, checkPlatformMax, exitCodesWithAction, refuseOptions, retriesPerIndex, workEnv } from './options.ts';

/** One `retryStrategy.evaluateOnExit` rule. */
export interface AwsBatchEvaluateOnExit {
  readonly action: 'RETRY' | 'EXIT';
  readonly onExitCode?: string;
  readonly onStatusReason?: string;
  readonly onReason?: string;
}

/** The RegisterJobDefinition input jobkit writes (the members it sets). */
export interface AwsBatchJobDefinition {
  readonly jobDefinitionName: string;
  readonly type: 'container';
  readonly containerProperties: {
    readonly image: string;
    readonly command?: readonly string[];
    readonly environment: readonly EnvLiteral[];
  };
  readonly retryStrategy: { readonly attempts: number; readonly evaluateOnExit: readonly AwsBatchEvaluateOnExit[] };
  readonly timeout?: { readonly attemptDurationSeconds: number };
  readonly tags: Readonly<Record<string, string>>;
}

/** RetryStrategy.evaluateOnExit: "Array of up to 5 objects" (the Batch API reference). */
export const AWS_BATCH_MAX_EVALUATE_ON_EXIT = 5;
/** RetryStrategy.attempts: "between 1 and 10 attempts". */
export const AWS_BATCH_MAX_ATTEMPTS = 10;
/** ArrayProperties.size: 2..10 000 children. */
export const AWS_BATCH_MAX_ARRAY_SIZE = 10_000;
/** JobTimeout.attemptDurationSeconds: "The minimum value for the timeout is 60 seconds". */
export const AWS_BATCH_MIN_TIMEOUT_SECONDS = 60;
/** The status reason of an attempt whose EC2 host went away (Spot reclaim, instance lost). */
export const AWS_BATCH_HOST_TERMINATED = 'Host EC2*';

/**
 * The evaluateOnExit rules of the exit-code table: RETRY on a host
 * termination first, then EXIT for each code no retry can help.
 *
 * @throws ConfigurationError when the table needs more rules than the service takes.
 * @example
 * ```ts
 * awsBatchEvaluateOnExit()[0]; // { onStatusReason: 'Host EC2*', action: 'RETRY' }
 * ```
 */
export function awsBatchEvaluateOnExit(): AwsBatchEvaluateOnExit[] {
  const rules: AwsBatchEvaluateOnExit[] = [{ onStatusReason: AWS_BATCH_HOST_TERMINATED, action: 'RETRY' }];
  for (const code of exitCodesWithAction(NEVER_RETRY)) rules.push({ onExitCode: String(code), action: 'EXIT' });
  if (rules.length > AWS_BATCH_MAX_EVALUATE_ON_EXIT) {
    throw new ConfigurationError(`the exit-code table needs ${rules.length} evaluateOnExit rules; AWS Batch takes at most ${AWS_BATCH_MAX_EVALUATE_ON_EXIT}`);
  }
  return rules;
}

/**
 * Builds the AWS Batch job definition for a jobkit program. The array size of
 * `completions` is given at SubmitJob (`--array-properties size=N`), not in
 * the definition; children read AWS_BATCH_JOB_ARRAY_INDEX and _SIZE.
 *
 * @example
 * ```ts
 * const def = generateAwsBatchJobDefinition({ name: 'etl', image: 'acme/etl:1', command: ['node', 'main.js'], store: 's3://b/etl' });
 * def.retryStrategy.attempts; // 4
 * ```
 */
export function generateAwsBatchJobDefinition(options: PlatformManifestOptions): AwsBatchJobDefinition {
  refuseOptions('aws-batch', options, {
    namespace: 'AWS Batch has no namespaces (choose the job queue at SubmitJob)',
    parallelism: 'AWS Batch runs as many array children at once as the compute environment has room for',
    backoffLimit: 'AWS Batch retries each array child on its own; use --backoff-limit-per-index',
    maxFailedIndexes: 'an AWS Batch array job fails when any child fails',
    ttlSecondsAfterFinished: 'AWS Batch keeps and expires finished jobs itself',
    containerName: 'a container job definition has one unnamed container',
    cronJobName: 'schedule AWS Batch jobs with EventBridge Scheduler',
    maxRestarts: 'it is a JobSet setting',
  });
  const { activeDeadlineSeconds, ...rest } = options;
  const job = generateJobManifest(rest);
  const completions = job.spec.completions ?? 1;
  checkPlatformMax('aws-batch', '--completions', completions, AWS_BATCH_MAX_ARRAY_SIZE, 'the largest array job');
  const attempts = retriesPerIndex(job) + 1;
  checkPlatformMax('aws-batch', '--backoff-limit-per-index', attempts - 1, AWS_BATCH_MAX_ATTEMPTS - 1, `retryStrategy.attempts is 1..${AWS_BATCH_MAX_ATTEMPTS}`);
  if (activeDeadlineSeconds !== undefined) {
    if (!Number.isInteger(activeDeadlineSeconds) || activeDeadlineSeconds < AWS_BATCH_MIN_TIMEOUT_SECONDS) {
      throw new ConfigurationError(`--active-deadline must be an integer >= ${AWS_BATCH_MIN_TIMEOUT_SECONDS} with --platform aws-batch (timeout.attemptDurationSeconds), got ${String(activeDeadlineSeconds)}`);
    }
    if (options.deadlineSeconds !== undefined && options.deadlineSeconds >= activeDeadlineSeconds) {
      throw new ConfigurationError(`--deadline (${options.deadlineSeconds}) must be below --active-deadline (${activeDeadlineSeconds}) so the program stops and checkpoints before AWS Batch kills it`);
    }
  }
  const command = [...(options.command ?? []), ...(options.args ?? [])];
  return {
    jobDefinitionName: options.name,
    type: 'container',
    containerProperties: { image: options.image, ...(command.length > 0 ? { command } : {}), environment: workEnv(job) },
    retryStrategy: { attempts, evaluateOnExit: awsBatchEvaluateOnExit() },
    ...(activeDeadlineSeconds === undefined ? {} : { timeout: { attemptDurationSeconds: activeDeadlineSeconds } }),
    tags: { 'app.kubernetes.io/name': options.name, 'app.kubernetes.io/managed-by': 'jobkit' },
  };
}
