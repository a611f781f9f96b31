/**
 * What every platform generator of `jobkit manifest --platform` shares: the
 * platform names, the options (those of the Kubernetes generator plus the few
 * a platform adds), the refusal of an option a platform has no place for, and
 * the exit codes of the table grouped by what a retry rule must do with them.
 */
import { ConfigurationError } from '../../runtime/errors.ts';
import { EXIT_CODE_TABLE, type PolicyAction } from '../../runtime/exit-codes.ts';
import { IDENTITY_ENV } from '../../runtime/identity-env.ts';
import type { Platform } from '../../runtime/types.ts';
import type { ManifestOptions } from '../manifest-generator.ts';
import type { Job } from '../types.ts';

/** The platforms `jobkit manifest --platform` writes for: members of {@link Platform}. */
export type ManifestPlatform = Extract<Platform, 'kubernetes' | 'aws-batch' | 'cloud-batch' | 'argo' | 'jobset'>;

/**
 * Every {@link ManifestPlatform}, in the order of docs/platforms.md.
 *
 * @example
 * ```ts
 * MANIFEST_PLATFORMS.includes('argo'); // true
 * ```
 */
export const MANIFEST_PLATFORMS: readonly ManifestPlatform[] = Object.freeze(
  Object.keys({ kubernetes: true, 'aws-batch': true, 'cloud-batch': true, argo: true, jobset: true } satisfies Record<ManifestPlatform, true>) as ManifestPlatform[],
);

/** Inputs of the platform generators: the Kubernetes generator's, plus the platform-only ones. */
export interface PlatformManifestOptions extends ManifestOptions {
  /** JobSet only: `spec.failurePolicy.maxRestarts`, restarts of the whole JobSet. Default 0. */
  readonly maxRestarts?: number;
}

/** The CLI flag of each option, for messages. */
export const OPTION_FLAGS: { readonly [K in keyof Required<PlatformManifestOptions>]: string } = Object.freeze({
  name: '--name',
  image: '--image',
  command: 'the command',
  args: 'the args',
  namespace: '--namespace',
  completions: '--completions',
  parallelism: '--parallelism',
  gracePeriodSeconds: '--grace-period',
  backoffLimitPerIndex: '--backoff-limit-per-index',
  backoffLimit: '--backoff-limit',
  maxFailedIndexes: '--max-failed-indexes',
  activeDeadlineSeconds: '--active-deadline',
  deadlineSeconds: '--deadline',
  store: '--store',
  pushgatewayUrl: '--pushgateway',
  logLevel: '--log-level',
  env: '--env',
  containerName: '--container-name',
  ttlSecondsAfterFinished: '--ttl',
  cronJobName: '--schedule',
  maxRestarts: '--max-restarts',
});

/** Why a platform has no place for an option, by option. */
export type RefusedOptions = { readonly [K in keyof PlatformManifestOptions]?: string };

/**
 * Throws a ConfigurationError naming the first option given that the platform
 * has no place for, and why.
 *
 * @example
 * ```ts
 * refuseOptions('aws-batch', { name: 'etl', image: 'x', namespace: 'prod' }, { namespace: 'AWS Batch has no namespaces' });
 * // ConfigurationError: --namespace is not supported with --platform aws-batch: AWS Batch has no namespaces
 * ```
 */
export function refuseOptions(platform: ManifestPlatform, options: PlatformManifestOptions, refused: RefusedOptions): void {
  for (const [key, reason] of Object.entries(refused) as Array<[keyof PlatformManifestOptions, string]>) {
    if (options[key] !== undefined) throw new ConfigurationError(`${OPTION_FLAGS[key]} is not supported with --platform ${platform}: ${reason}`);
  }
}

/**
 * Throws a ConfigurationError when a value is above a platform's limit.
 *
 * @example
 * ```ts
 * checkPlatformMax('cloud-batch', '--backoff-limit-per-index', 3, 10, 'maxRetryCount is 0..10');
 * ```
 */
export function checkPlatformMax(platform: ManifestPlatform, flag: string, value: number, max: number, why: string): void {
  if (value > max) throw new ConfigurationError(`${flag} must be <= ${max} with --platform ${platform} (${why}), got ${value}`);
}

/**
 * The exit codes of the table whose podFailurePolicy action is one of `actions`,
 * ascending. `FailJob` and `FailIndex` are the codes a retry cannot help.
 *
 * @example
 * ```ts
 * exitCodesWithAction(['FailJob', 'FailIndex']); // [65, 69, 78]
 * ```
 */
export function exitCodesWithAction(actions: readonly PolicyAction[]): number[] {
  return [...new Set(EXIT_CODE_TABLE.filter((e) => e.code !== 0 && actions.includes(e.action)).map((e) => e.code))].sort((a, b) => a - b);
}

/** The actions whose codes no platform retries: the work (or the index) can never succeed. */
export const NEVER_RETRY: readonly PolicyAction[] = Object.freeze(['FailJob', 'FailIndex']);

/** An env literal. */
export interface EnvLiteral {
  readonly name: string;
  readonly value: string;
}

/**
 * The literal env of the work, from the Kubernetes Job generated for the same
 * options, without the identity variables (each platform has its own):
 * JOBKIT_GRACE_PERIOD_SECONDS, JOBKIT_DEADLINE_SECONDS, JOBKIT_STORE,
 * JOBKIT_PUSHGATEWAY_URL, JOBKIT_LOG_LEVEL and the --env literals, in order.
 *
 * @example
 * ```ts
 * workEnv(generateJobManifest({ name: 'etl', image: 'x', store: 's3://b/p' })); // [{ name: 'JOBKIT_GRACE_PERIOD_SECONDS', value: '30' }, { name: 'JOBKIT_STORE', ... }]
 * ```
 */
export function workEnv(job: Job): EnvLiteral[] {
  const identity = new Set<string>(Object.values(IDENTITY_ENV).map((e) => e.env));
  const out: EnvLiteral[] = [];
  for (const e of job.spec.template.spec.containers[0]?.env ?? []) {
    if (e.value !== undefined && !identity.has(e.name)) out.push({ name: e.name, value: e.value });
  }
  return out;
}

/**
 * Retries per index of the Job generated for the same options
 * (backoffLimitPerIndex, default 3).
 *
 * @example
 * ```ts
 * retriesPerIndex(generateJobManifest({ name: 'etl', image: 'x' })); // 3
 * ```
 */
export function retriesPerIndex(job: Job): number {
  return job.spec.backoffLimitPerIndex ?? job.spec.backoffLimit ?? 0;
}
