/**
 * jobkit: the runtime SDK for batch jobs on Kubernetes.
 *
 * This entry (`jobkit`) is the job API: {@link runJob} and the types of what it
 * hands to `main`, the kernel (identity, exit codes, errors, lifecycle,
 * retries), and each module's entry point for use without runJob. Importing
 * it loads neither the S3 SDK (an `s3://` store loads it at its first
 * operation), nor the OpenTelemetry SDK, nor the emulator. The full API of
 * each module is a subpath: `jobkit/store` (`jobkit/store/s3` for S3Store),
 * `jobkit/checkpoint`, `jobkit/idempotency`, `jobkit/sharding`,
 * `jobkit/telemetry`, `jobkit/local`. api/jobkit.api.md lists every export.
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
export type { AttemptOutcome, AttemptsOptions, ItemOptions, ItemRun, JobAttempts, PastAttempt, QuarantineMode } from './job/attempts/types.ts';
export { resolveIdentity, detectPlatform, PLATFORMS, TRIGGERS, scheduledTimeFromJobName, type IdentityOptions } from './runtime/identity.ts';
export {
  EXIT_CODE_TABLE,
  exitEntry,
  exitCodeFor,
  exitClassOf,
  type ExitClass,
  type ExitCodeEntry,
  type PolicyAction,
} from './runtime/exit-codes.ts';
export {
  JobkitError,
  RetryableError,
  PermanentError,
  ConfigurationError,
  InterruptedError,
  InterruptionNoticeError,
  DeadlineExceededError,
  FencedError,
  type JobkitErrorOptions,
} from './runtime/errors.ts';
export { classifyError, exitCodeOf, isTransientError } from './runtime/classify.ts';
export { retry, type RetryOptions, type RetryInfo } from './runtime/retry.ts';
export { createRateLimiter, type RateLimiter, type RateLimiterHooks, type CreateRateLimiterOptions, type AcquireOptions, type LimiterRunOptions } from './runtime/limiter/limiter.ts';
export { podShare, LIMITER_SCOPES, type LimiterOptions, type LimiterScope, type PodLimit } from './runtime/limiter/options.ts';
export { retryAfterMs } from './runtime/limiter/retry-after.ts';
export { isAuthError } from './runtime/auth-error.ts';
export {
  DEFAULT_SECRETS_DIR,
  InvalidSecretNameError,
  SecretNotFoundError,
  SecretsVolume,
  type SecretsVolumeOptions,
  type WatchSecretOptions,
} from './runtime/secrets-volume.ts';
export { SecretValues } from './telemetry/secret-values.ts';
export {
  createLifecycle,
  resolveLifecycleSettings,
  SHUTDOWN_PHASES,
  type LifecycleController,
  type LifecycleSettingsOptions,
  type HookReport,
  type ShutdownReport,
} from './runtime/lifecycle.ts';
export type { InterruptionNotice, InterruptionProvider, NoticeKind } from './runtime/interruption/types.ts';
export type { InterruptionNoticeMode, InterruptionNoticeOptions } from './runtime/interruption/config.ts';
export type {
  JobIdentity,
  JobTrigger,
  JobLogger,
  Lifecycle,
  Platform,
  ShutdownContext,
  ShutdownHook,
  ShutdownPhase,
  ShutdownReason,
} from './runtime/types.ts';

// Object stores: `job.store` and openStore (the backends and the probe: jobkit/store; S3Store: jobkit/store/s3).
export type {
  DeleteOptions,
  GetOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutStreamOptions,
  StoreCapabilities,
  StoredObject,
  StoredStream,
  WriteConditions,
} from './store/types.ts';
export { PreconditionFailedError } from './store/errors.ts';
export { keySegment, joinKey, scopePrefix, isScopeKeyword, SCOPE_KEYWORDS, type ScopeKeyword, type ScopeOptions } from './store/keys.ts';
export { openStore, resolveStoreUrl, DEFAULT_STORE_DIR, type OpenStoreOptions } from './store/open.ts';

// Checkpoints, idempotency, sharding: what `job` hands out, and the entry points
// without runJob (the rest: jobkit/checkpoint, jobkit/idempotency, jobkit/sharding).
export {
  createCheckpointer,
  type Checkpointer,
  type CheckpointerOptions,
  type LoadedCheckpoint,
  type SaveOptions,
  type Snapshot,
} from './checkpoint/index.ts';
export {
  createIdempotency,
  idempotent,
  idempotentFn,
  type IdempotencyLedger,
  type IdempotencyOptions,
  type IdempotentCallContext,
  type IdempotentFunction,
  type RunOptions,
} from './idempotency/index.ts';
export {
  DEFAULT_EXCLUSIVE_LEASE_MS,
  DEFAULT_EXCLUSIVE_WAIT_MS,
  ExclusiveBusyError,
  type ExclusiveContext,
  type ExclusiveHolder,
  ExclusiveLeaseLostError,
  type ExclusiveOptions,
  type ExclusiveResult,
  type ExclusiveScope,
  runExclusive,
} from './exclusive/index.ts';
export {
  chunkBounds,
  type ChunkContext,
  type PlannedObject,
  type ShardCursor,
  type ShardHelpers,
  type WorkQueueSummary,
  type WorkQueueProgress,
} from './sharding/index.ts';

// Telemetry: `job.log` and `job.metrics` (the logger, metrics, Pushgateway and tracing APIs: jobkit/telemetry).
export type { Logger } from './telemetry/logger.ts';
export type { JobMetrics, LimiterMetrics, MetricsProgress } from './telemetry/metrics.ts';
