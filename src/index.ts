/**
 * jobkit: the runtime SDK for batch jobs on Kubernetes.
 *
 * Start with {@link runJob}; everything else is reachable from `job` or
 * usable on its own.
 *
 * @example
 * ```ts
 * import { runJob } from 'jobkit';
 *
 * await runJob<{ next: number }>(async (job) => {
 *   const last = await job.checkpoint.load();
 *   for (const i of job.shard.range(10_000, { resume: last?.state.cursor })) {
 *     if (job.signal.aborted) break;
 *     await job.idempotent(`row-${i}`, () => upsertRow(i));
 *   }
 * });
 * ```
 *
 * @packageDocumentation
 */

// Runtime: runJob, identity, exit codes, errors, retries, lifecycle.
export { runJob, executeJob, type JobContext, type JobMain, type RunJobOptions } from './job/run-job.ts';
export type { JobModuleOptions, JobModules } from './job/job-modules.ts';
export { resolveIdentity, detectPlatform, PLATFORMS, type IdentityOptions } from './runtime/identity.ts';
export * from './runtime/exit-codes.ts';
export * from './runtime/errors.ts';
export { classifyError, exitCodeOf, isTransientError } from './runtime/classify.ts';
export { retry, type RetryOptions, type RetryInfo } from './runtime/retry.ts';
export {
  createLifecycle,
  resolveLifecycleSettings,
  SHUTDOWN_PHASES,
  type LifecycleController,
  type LifecycleSettingsOptions,
  type HookReport,
  type ShutdownReport,
} from './runtime/lifecycle.ts';
export type * from './runtime/types.ts';

// Object stores.
export type * from './store/types.ts';
export { PreconditionFailedError } from './store/errors.ts';
export { keySegment, joinKey, scopePrefix, type ScopeOptions } from './store/keys.ts';
export { MemoryStore, type MemoryStoreOptions } from './store/memory.ts';
export { FsStore, type FsStoreOptions } from './store/fs.ts';
export { S3Store, type S3StoreOptions } from './store/s3.ts';
export type { S3Tuning, S3ServerSideEncryption, S3ChecksumMode } from './store/s3-config.ts';
export { S3UnsupportedError } from './store/s3-errors.ts';
export { openStore, resolveStoreUrl, DEFAULT_STORE_DIR, type OpenStoreOptions } from './store/open.ts';
export { requireConditionalWrites, probeCapabilities, type ConditionalWriteNeeds } from './store/probe.ts';
export { replayableBody, type ReplayableBody } from './store/replayable.ts';

// Checkpoints, idempotency, sharding.
export * from './checkpoint/index.ts';
export * from './idempotency/index.ts';
export * from './sharding/index.ts';

// Telemetry.
export {
  createLogger,
  flushLoggerSync,
  LOG_LEVELS,
  DEFAULT_REDACT_KEYS,
  type Logger,
  type LoggerOptions,
  type LogLevel,
} from './telemetry/logger.ts';
export {
  createJobMetrics,
  DEFAULT_ITEM_BUCKETS,
  CHECKPOINT_BUCKETS,
  type JobMetrics,
  type JobMetricsOptions,
  type ItemOutcome,
  type IdempotencyResult,
} from './telemetry/metrics.ts';
export {
  createMetricsPusher,
  resolvePushgatewayConfig,
  groupingPath,
  type MetricsPusher,
  type MetricsPusherOptions,
  type PushgatewayOptions,
  type PushgatewayConfig,
  type PushGroupBy,
} from './telemetry/pushgateway.ts';
export { withSpan, failSpan, traceLogMixin, SPAN_NAMES, TRACER_NAME, type WithSpanOptions, type TraceLogFields } from './telemetry/span.ts';
export {
  startTracing,
  resolveTracingConfig,
  identityResourceAttributes,
  type JobTracing,
  type TracingOptions,
  type StartTracingOptions,
  type TracingConfig,
} from './telemetry/tracing.ts';

// Local Job controller emulator and manifest generator.
export {
  runLocalJob,
  loadJobManifest,
  generateJobManifest,
  podFailurePolicyForExitCodes,
  parseChaosSpec,
  InvalidManifestError,
  formatInvalidJob,
  type RunLocalJobOptions,
  type LocalJobResult,
  type ChaosSpec,
  type AppliedChaos,
  type ManifestOptions,
  type FieldError,
  type PodRunnerSink,
  type Job as KubernetesJob,
  type JobSpec as KubernetesJobSpec,
  type JobStatus as KubernetesJobStatus,
  type JobCondition as KubernetesJobCondition,
  type PodFailurePolicy,
  type PodFailurePolicyRule,
  type SuccessPolicy,
} from './local/index.ts';
