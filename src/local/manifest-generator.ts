/**
 * `jobkit manifest`: a batch/v1 Job for a jobkit program, Indexed, with the
 * downward-API env the runtime reads and a podFailurePolicy derived from the
 * exit-code table (src/runtime/exit-codes.ts), never from hard-coded codes.
 */
import { EXIT_CODE_TABLE, type PolicyAction } from '../runtime/exit-codes.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { IDENTITY_ENV } from '../runtime/identity-env.ts';
import type { EnvVar, Job, PodFailurePolicy, PodFailurePolicyRule } from './types.ts';

/** Inputs of {@link generateJobManifest}. */
export interface ManifestOptions {
  /** Job name (DNS-1123 label; `<name>-<completions-1>` must fit in 63 characters). */
  readonly name: string;
  /** Container image. */
  readonly image: string;
  /** Container command (the entrypoint; exec `node` directly so SIGTERM reaches it). */
  readonly command?: readonly string[];
  /** Container args. */
  readonly args?: readonly string[];
  readonly namespace?: string;
  /** Number of indexes. Default 1. */
  readonly completions?: number;
  /** Pods at once. Default min(completions, 10). */
  readonly parallelism?: number;
  /** terminationGracePeriodSeconds and JOBKIT_GRACE_PERIOD_SECONDS. Default 30. */
  readonly gracePeriodSeconds?: number;
  /** Retries per index. Default 3 unless backoffLimit is given. */
  readonly backoffLimitPerIndex?: number;
  /** Job-wide retries instead of per-index ones. */
  readonly backoffLimit?: number;
  /** Failed indexes tolerated before the whole Job fails (needs backoffLimitPerIndex). */
  readonly maxFailedIndexes?: number;
  /** spec.activeDeadlineSeconds. */
  readonly activeDeadlineSeconds?: number;
  /** JOBKIT_DEADLINE_SECONDS: jobkit's own deadline for the work. */
  readonly deadlineSeconds?: number;
  /** JOBKIT_STORE. */
  readonly store?: string;
  /** JOBKIT_PUSHGATEWAY_URL. */
  readonly pushgatewayUrl?: string;
  /** JOBKIT_LOG_LEVEL. */
  readonly logLevel?: string;
  /** Extra env literals, in order. */
  readonly env?: ReadonlyArray<readonly [string, string]>;
  /** Container name. Default "main". */
  readonly containerName?: string;
  /** spec.ttlSecondsAfterFinished. */
  readonly ttlSecondsAfterFinished?: number;
  /** JOBKIT_CRONJOB_NAME: the template is a CronJob's (`jobkit manifest --schedule`). */
  readonly cronJobName?: string;
}

/**
 * Seconds reserved for SIGKILL safety below the grace period: the runtime's
 * shutdown hooks get the rest. Below this, a checkpoint cannot finish in time.
 */
export const MIN_GRACE_PERIOD_SECONDS = 5;

const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/**
 * The identity variables, from the one table runtime/identity.ts reads: the
 * downward API, the completions, and in a CronJob's template its name.
 */
function identityEnv(completions: number, cronJobName: string | undefined): EnvVar[] {
  const out: EnvVar[] = [];
  for (const { env, kubernetes } of Object.values(IDENTITY_ENV)) {
    if (typeof kubernetes === 'object') {
      out.push(fieldRefEnv(env, kubernetes.fieldPath));
      continue;
    }
    switch (kubernetes) {
      case 'completions':
        out.push({ name: env, value: String(completions) });
        break;
      case 'cronjob':
        if (cronJobName !== undefined) out.push({ name: env, value: cronJobName });
        break;
      case 'controller':
      case 'detected':
      case 'derived':
        break;
    }
  }
  return out;
}

function fieldRefEnv(name: string, fieldPath: string): EnvVar {
  return { name, valueFrom: { fieldRef: { fieldPath } } };
}

function intAtLeast(option: string, value: number | undefined, min: number): void {
  if (value !== undefined && (!Number.isInteger(value) || value < min)) {
    throw new ConfigurationError(`${option} must be an integer >= ${min}, got ${String(value)}`);
  }
}

/**
 * The podFailurePolicy for jobkit's exit codes: Ignore on DisruptionTarget
 * first (preemptions do not burn retries), then one onExitCodes rule per
 * action of the exit-code table (FailJob, FailIndex, Ignore); every other code
 * is counted. FailIndex becomes FailJob without backoffLimitPerIndex.
 *
 * @example
 * ```ts
 * podFailurePolicyForExitCodes({ containerName: 'main', perIndex: true }).rules[0].action; // 'Ignore'
 * ```
 */
export function podFailurePolicyForExitCodes(options: { containerName: string; perIndex: boolean }): PodFailurePolicy {
  const rules: PodFailurePolicyRule[] = [{ action: 'Ignore', onPodConditions: [{ type: 'DisruptionTarget', status: 'True' }] }];
  const effective = (action: PolicyAction): PolicyAction => (action === 'FailIndex' && !options.perIndex ? 'FailJob' : action);
  for (const action of ['FailJob', 'FailIndex', 'Ignore'] as const) {
    const codes = EXIT_CODE_TABLE.filter((e) => e.code !== 0 && effective(e.action) === action)
      .map((e) => e.code)
      .sort((a, b) => a - b);
    if (codes.length === 0) continue;
    rules.push({ action, onExitCodes: { containerName: options.containerName, operator: 'In', values: [...new Set(codes)] } });
  }
  return { rules };
}

/**
 * Builds the Job manifest for a jobkit program.
 *
 * @example
 * ```ts
 * const job = generateJobManifest({ name: 'backfill', image: 'ghcr.io/acme/backfill:1', command: ['node', 'dist/main.js'], completions: 8 });
 * process.stdout.write(YAML.stringify(job));
 * ```
 */
export function generateJobManifest(options: ManifestOptions): Job {
  const completions = options.completions ?? 1;
  const grace = options.gracePeriodSeconds ?? 30;
  const containerName = options.containerName ?? 'main';
  intAtLeast('--completions', completions, 1);
  intAtLeast('--parallelism', options.parallelism, 1);
  intAtLeast('--backoff-limit-per-index', options.backoffLimitPerIndex, 0);
  intAtLeast('--backoff-limit', options.backoffLimit, 0);
  intAtLeast('--max-failed-indexes', options.maxFailedIndexes, 0);
  intAtLeast('--active-deadline', options.activeDeadlineSeconds, 1);
  intAtLeast('--deadline', options.deadlineSeconds, 1);
  intAtLeast('--ttl', options.ttlSecondsAfterFinished, 0);
  intAtLeast('--grace-period', grace, MIN_GRACE_PERIOD_SECONDS);
  if (!DNS1123_LABEL.test(options.name) || `${options.name}-${completions - 1}`.length > 63) {
    throw new ConfigurationError(
      `--name must be a lowercase DNS-1123 label short enough that "${options.name}-${completions - 1}" fits in 63 characters, got "${options.name}"`,
    );
  }
  if (!DNS1123_LABEL.test(containerName)) throw new ConfigurationError(`--container-name must be a lowercase DNS-1123 label, got "${containerName}"`);
  if (options.image === '') throw new ConfigurationError('--image is required');
  if (options.namespace !== undefined && !DNS1123_LABEL.test(options.namespace)) {
    throw new ConfigurationError(`--namespace must be a lowercase DNS-1123 label, got "${options.namespace}"`);
  }
  const perIndexLimit = options.backoffLimitPerIndex ?? (options.backoffLimit === undefined ? 3 : undefined);
  if (options.maxFailedIndexes !== undefined) {
    if (perIndexLimit === undefined) throw new ConfigurationError('--max-failed-indexes needs --backoff-limit-per-index');
    if (options.maxFailedIndexes > completions) {
      throw new ConfigurationError(`--max-failed-indexes must be <= --completions (${completions}), got ${options.maxFailedIndexes}`);
    }
  }
  if (options.deadlineSeconds !== undefined && options.activeDeadlineSeconds !== undefined && options.deadlineSeconds >= options.activeDeadlineSeconds) {
    throw new ConfigurationError(
      `--deadline (${options.deadlineSeconds}) must be below --active-deadline (${options.activeDeadlineSeconds}) so the program stops and checkpoints before Kubernetes kills it`,
    );
  }
  const reserved = new Set([...Object.values(IDENTITY_ENV).map((e) => e.env), 'JOBKIT_GRACE_PERIOD_SECONDS']);
  for (const [k] of options.env ?? []) {
    if (reserved.has(k)) throw new ConfigurationError(`--env ${k} is set by the manifest itself; use the matching option instead`);
    if (!/^[-._a-zA-Z][-._a-zA-Z0-9]*$/.test(k)) throw new ConfigurationError(`--env name must be a valid environment variable name, got "${k}"`);
  }

  const env: EnvVar[] = [...identityEnv(completions, options.cronJobName), { name: 'JOBKIT_GRACE_PERIOD_SECONDS', value: String(grace) }];
  if (options.deadlineSeconds !== undefined) env.push({ name: 'JOBKIT_DEADLINE_SECONDS', value: String(options.deadlineSeconds) });
  if (options.store !== undefined) env.push({ name: 'JOBKIT_STORE', value: options.store });
  if (options.pushgatewayUrl !== undefined) env.push({ name: 'JOBKIT_PUSHGATEWAY_URL', value: options.pushgatewayUrl });
  if (options.logLevel !== undefined) env.push({ name: 'JOBKIT_LOG_LEVEL', value: options.logLevel });
  for (const [name, value] of options.env ?? []) env.push({ name, value });

  const container: Job['spec']['template']['spec']['containers'][number] = { name: containerName, image: options.image };
  if (options.command !== undefined && options.command.length > 0) container.command = [...options.command];
  if (options.args !== undefined && options.args.length > 0) container.args = [...options.args];
  container.env = env;

  const labels = { 'app.kubernetes.io/name': options.name, 'app.kubernetes.io/managed-by': 'jobkit' };
  // Built as a plain record so that the keys come out in reading order.
  const spec: Record<string, unknown> = {
    completionMode: 'Indexed',
    completions,
    parallelism: options.parallelism ?? Math.min(completions, 10),
  };
  if (perIndexLimit !== undefined) spec.backoffLimitPerIndex = perIndexLimit;
  else spec.backoffLimit = options.backoffLimit;
  if (options.maxFailedIndexes !== undefined) spec.maxFailedIndexes = options.maxFailedIndexes;
  if (options.activeDeadlineSeconds !== undefined) spec.activeDeadlineSeconds = options.activeDeadlineSeconds;
  if (options.ttlSecondsAfterFinished !== undefined) spec.ttlSecondsAfterFinished = options.ttlSecondsAfterFinished;
  spec.podFailurePolicy = podFailurePolicyForExitCodes({ containerName, perIndex: perIndexLimit !== undefined });
  spec.template = {
    metadata: { labels: { ...labels } },
    spec: { restartPolicy: 'Never', terminationGracePeriodSeconds: grace, containers: [container] },
  };
  // Without --namespace the manifest carries none, so `kubectl apply` uses the current one.
  const metadata: Record<string, unknown> = options.namespace === undefined ? { name: options.name, labels } : { name: options.name, namespace: options.namespace, labels };
  return { apiVersion: 'batch/v1', kind: 'Job', metadata, spec } as unknown as Job;
}
