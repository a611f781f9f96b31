/**
 * `jobkit/local`: the local Job and CronJob controller emulators (`jobkit
 * run`), the manifest generators (`jobkit manifest`, `--schedule`) and the
 * cron schedule parser, for use from code and tests.
 *
 * @example
 * ```ts
 * import { generateJobManifest, parseChaosSpec, runLocalJob } from 'jobkit/local';
 * const job = generateJobManifest({ name: 'etl', image: 'acme/etl:1', command: ['node', 'main.js'], completions: 4 });
 * const result = await runLocalJob({ manifest: job, backoffScale: 0.01, chaos: parseChaosSpec('preempt=1') });
 * ```
 */
export { type AppliedChaos, type ChaosSpec, parseChaosSpec } from './chaos.ts';
export { type CronSchedule, CronScheduleError, type ParseCronOptions, parseCronSchedule, timeZoneError } from './cron/schedule.ts';
export { type CronJobPatch, type CronJobRunOutcome, type LocalCronJobResult, type ManualRun, type RunLocalCronJobOptions, runLocalCronJob } from './cronjob/emulator.ts';
export { type CronJobManifestOptions, generateCronJobManifest } from './cronjob/manifest.ts';
export { type LoadCronJobOptions, loadCronJobManifest } from './cronjob/read-cronjob.ts';
export type { ConcurrencyPolicy, CronJob, CronJobEvent, CronJobSpec, CronJobStatus, JobReference, JobTemplateSpec } from './cronjob/types.ts';
export { type LocalJobResult, type RunLocalJobOptions, loadJobManifest, runLocalJob } from './emulator.ts';
export { InvalidManifestError } from './errors.ts';
export { type FieldError, formatInvalidJob } from './field-errors.ts';
export { type ManifestOptions, generateJobManifest, podFailurePolicyForExitCodes } from './manifest-generator.ts';
export {
  type ArgoTemplate,
  type ArgoWorkflow,
  type AwsBatchEvaluateOnExit,
  type AwsBatchJobDefinition,
  type CloudBatchJob,
  type CloudBatchLifecyclePolicy,
  type JobSet,
  type JobSetFailurePolicyRule,
  MANIFEST_PLATFORMS,
  type ManifestPlatform,
  type PlatformManifestOptions,
  argoRetryExpression,
  awsBatchEvaluateOnExit,
  cloudBatchLifecyclePolicies,
  generateArgoWorkflow,
  generateAwsBatchJobDefinition,
  generateCloudBatchJob,
  generateJobSet,
  generatePlatformManifest,
} from './platforms/index.ts';
export type { PodRunnerSink } from './pod-runner.ts';
export type { Job, JobCondition, JobSpec, JobStatus, PodFailurePolicy, PodFailurePolicyRule, SuccessPolicy } from './types.ts';
