/**
 * `jobkit manifest --platform argo`: an Argo Workflow whose container
 * template retries by the exit-code table.
 *
 * Argo evaluates `retryStrategy.expression` after each failed attempt, with
 * `lastRetry.exitCode` the attempt's exit code as a string ("0" when there is
 * none, e.g. a deleted or preempted pod); `retryPolicy: Always` retries
 * failures and errors alike, the expression then refuses the codes no retry
 * can help (FailJob, FailIndex). Every retry counts against `limit`.
 *
 * Argo injects no workflow name, index or retry number into the main
 * container (it sets ARGO_CONTAINER_NAME, ARGO_NODE_ID, ARGO_DEADLINE,
 * ARGO_INCLUDE_SCRIPT_OUTPUT; workflow/controller/workflowpod.go), so the
 * template passes them as JOBKIT_* variables: `{{workflow.name}}`,
 * `{{retries}}` and, with several completions, the `withSequence` item.
 */
import { ConfigurationError } from '../../runtime/errors.ts';
import { IDENTITY_ENV } from '../../runtime/identity-env.ts';
import { generateJobManifest } from '../manifest-generator.ts';
import type { EnvVar } from '../types.ts';
import { NEVER_RETRY, type PlatformManifestOptions, exitCodesWithAction, refuseOptions, retriesPerIndex, workEnv } from './options.ts';

/** The Workflow jobkit writes (the fields it sets). */
export interface ArgoWorkflow {
  readonly apiVersion: 'argoproj.io/v1alpha1';
  readonly kind: 'Workflow';
  readonly metadata: { readonly name: string; readonly namespace?: string; readonly labels: Readonly<Record<string, string>> };
  readonly spec: {
    readonly entrypoint: string;
    readonly activeDeadlineSeconds?: number;
    readonly ttlStrategy?: { readonly secondsAfterCompletion: number };
    readonly templates: readonly ArgoTemplate[];
  };
}

/** A template of {@link ArgoWorkflow}: the fan-out steps or the work container. */
export type ArgoTemplate = { readonly name: string } & Readonly<Record<string, unknown>>;

/** The name of the container template. */
export const ARGO_WORK_TEMPLATE = 'work';
/** The name of the steps template that fans out over the indexes. */
export const ARGO_FAN_OUT_TEMPLATE = 'indexes';

/**
 * The retry expression of the exit-code table: retry unless the last attempt
 * exited with a code no retry can help.
 *
 * @example
 * ```ts
 * argoRetryExpression(); // "!(lastRetry.exitCode in ['65', '69', '78'])"
 * ```
 */
export function argoRetryExpression(): string {
  return `!(lastRetry.exitCode in [${exitCodesWithAction(NEVER_RETRY)
    .map((c) => `'${c}'`)
    .join(', ')}])`;
}

/**
 * Builds the Argo Workflow for a jobkit program: one container template with
 * the retry strategy, and for `completions > 1` a steps template that runs it
 * `withSequence` (at most `parallelism` at once), each with its index.
 *
 * @example
 * ```ts
 * const wf = generateArgoWorkflow({ name: 'etl', image: 'acme/etl:1', command: ['node', 'main.js'], completions: 4 });
 * wf.spec.entrypoint; // 'indexes'
 * ```
 */
export function generateArgoWorkflow(options: PlatformManifestOptions): ArgoWorkflow {
  refuseOptions('argo', options, {
    backoffLimit: 'Argo retries each step on its own; use --backoff-limit-per-index',
    maxFailedIndexes: 'a Workflow fails when any step fails',
    containerName: 'Argo names the container of a container template "main"',
    cronJobName: 'use an Argo CronWorkflow',
    maxRestarts: 'it is a JobSet setting',
  });
  const { activeDeadlineSeconds, ttlSecondsAfterFinished, ...rest } = options;
  const job = generateJobManifest(rest);
  if (activeDeadlineSeconds !== undefined) {
    if (!Number.isInteger(activeDeadlineSeconds) || activeDeadlineSeconds < 1) throw new ConfigurationError(`--active-deadline must be an integer >= 1, got ${String(activeDeadlineSeconds)}`);
    if (options.deadlineSeconds !== undefined && options.deadlineSeconds >= activeDeadlineSeconds) {
      throw new ConfigurationError(`--deadline (${options.deadlineSeconds}) must be below --active-deadline (${activeDeadlineSeconds}) so the program stops and checkpoints before Argo kills it`);
    }
  }
  if (ttlSecondsAfterFinished !== undefined && (!Number.isInteger(ttlSecondsAfterFinished) || ttlSecondsAfterFinished < 0)) {
    throw new ConfigurationError(`--ttl must be an integer >= 0, got ${String(ttlSecondsAfterFinished)}`);
  }
  const completions = job.spec.completions ?? 1;
  const grace = job.spec.template.spec.terminationGracePeriodSeconds ?? 30;
  const fieldRef = (name: string, fieldPath: string): EnvVar => ({ name, valueFrom: { fieldRef: { fieldPath } } });
  const env: EnvVar[] = [
    { name: IDENTITY_ENV.jobName.env, value: '{{workflow.name}}' },
    fieldRef(IDENTITY_ENV.namespace.env, 'metadata.namespace'),
    fieldRef(IDENTITY_ENV.podName.env, 'metadata.name'),
    fieldRef(IDENTITY_ENV.podUid.env, 'metadata.uid'),
    fieldRef(IDENTITY_ENV.nodeName.env, 'spec.nodeName'),
    { name: IDENTITY_ENV.attempt.env, value: '{{retries}}' },
    ...(completions > 1 ? [{ name: IDENTITY_ENV.index.env, value: '{{inputs.parameters.index}}' }] : []),
    { name: IDENTITY_ENV.count.env, value: String(completions) },
    ...workEnv(job),
  ];
  const container: Record<string, unknown> = { image: options.image };
  if (options.command !== undefined && options.command.length > 0) container.command = [...options.command];
  if (options.args !== undefined && options.args.length > 0) container.args = [...options.args];
  container.env = env;
  const labels = { 'app.kubernetes.io/name': options.name, 'app.kubernetes.io/managed-by': 'jobkit' };
  const work: ArgoTemplate = {
    name: ARGO_WORK_TEMPLATE,
    ...(completions > 1 ? { inputs: { parameters: [{ name: 'index' }] } } : {}),
    metadata: { labels },
    retryStrategy: { limit: String(retriesPerIndex(job)), retryPolicy: 'Always', expression: argoRetryExpression() },
    podSpecPatch: JSON.stringify({ terminationGracePeriodSeconds: grace }),
    container,
  };
  const fanOut: ArgoTemplate = {
    name: ARGO_FAN_OUT_TEMPLATE,
    parallelism: job.spec.parallelism ?? 1,
    steps: [
      [
        {
          name: 'index',
          template: ARGO_WORK_TEMPLATE,
          withSequence: { count: String(completions) },
          arguments: { parameters: [{ name: 'index', value: '{{item}}' }] },
        },
      ],
    ],
  };
  return {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Workflow',
    metadata: { name: options.name, ...(options.namespace === undefined ? {} : { namespace: options.namespace }), labels },
    spec: {
      entrypoint: completions > 1 ? ARGO_FAN_OUT_TEMPLATE : ARGO_WORK_TEMPLATE,
      ...(activeDeadlineSeconds === undefined ? {} : { activeDeadlineSeconds }),
      ...(ttlSecondsAfterFinished === undefined ? {} : { ttlStrategy: { secondsAfterCompletion: ttlSecondsAfterFinished } }),
      templates: completions > 1 ? [fanOut, work] : [work],
    },
  };
}
