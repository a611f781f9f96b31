/**
 * `jobkit lint`: what a cluster would accept but a jobkit program cannot run
 * as meant. The API server validates the Job's shape (src/local/validate.ts
 * does the same); it knows nothing of jobkit's env contract, so a Job whose
 * `JOBKIT_COUNT` disagrees with `completions` runs, skips a shard and reports
 * Complete. These checks compare the manifest with that contract:
 *
 * - `JOBKIT_COUNT` vs `spec.completions`, env names set twice;
 * - the podFailurePolicy vs the exit-code table (src/runtime/exit-codes.ts);
 * - the grace period vs what the final checkpoint and `JOBKIT_GRACE_PERIOD_SECONDS` need;
 * - `JOBKIT_DEADLINE_SECONDS` vs `activeDeadlineSeconds`;
 * - a multi-pod Job without `JOBKIT_STORE` (each pod's default store is its own disk);
 * - `JOBKIT_*` literals the runtime would refuse at start (exit 78);
 * - a `command` that runs neither jobkit nor node (a warning): it replaces
 *   the image's ENTRYPOINT (`jobkit exec --` in the base image), so the
 *   program would run unsupervised.
 *
 * The jobkit-specific checks apply to containers that set some `JOBKIT_*`
 * variable (a jobkit program); the env-name checks to every container.
 */
import { basename } from 'node:path';
import { CHECKPOINT_DEFAULTS, checkpointOptionsFromEnv } from '../checkpoint/index.ts';
import { type Env, unknownJobkitVariables } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { EXIT_CODE_TABLE, type PolicyAction } from '../runtime/exit-codes.ts';
import { checkModuleEnv } from '../job/job-modules.ts';
import { resolveLifecycleSettings } from '../runtime/lifecycle.ts';
import { resolveInterruptionSettings } from '../runtime/interruption/config.ts';
import { telemetryOptionsFromEnv } from '../telemetry/config.ts';
import { execOptionsFromEnv } from '../job/exec/config.ts';
import { parseExecArgs } from './exec-args.ts';
import { MIN_GRACE_PERIOD_SECONDS } from '../local/manifest-generator.ts';
import { isObj, parseManifestText, readJob } from '../local/read-manifest.ts';
import type { Container, Job, PodFailurePolicyRule } from '../local/types.ts';
import { jobkitEnvErrors } from '../local/validate.ts';

/** One finding of {@link lintJob}. */
export interface LintProblem {
  /** Field path, as in the API server's messages: `spec.template.spec.containers[0].env[6].value`. */
  readonly path: string;
  readonly message: string;
  /** `error`: the Job would misbehave; `warning`: worth a look. */
  readonly severity: 'error' | 'warning';
}

/** Options of {@link lintJob}. */
export interface LintOptions {
  /**
   * The Job runs under `jobkit run` on this machine: every pod shares the
   * default store directory and gets the parent's JOBKIT_STORE, so a missing
   * JOBKIT_STORE is only a warning.
   */
  readonly local?: boolean;
}

/** Kubernetes' default terminationGracePeriodSeconds, and the runtime's default grace period. */
const DEFAULT_GRACE_SECONDS = 30;

/**
 * Lint a Job read by readJob (not defaulted).
 *
 * @example
 * ```ts
 * const { job } = readJob(parseManifestText(text));
 * for (const p of lintJob(job)) console.log(`job.yaml: ${p.path}: ${p.message}`);
 * ```
 */
export function lintJob(job: Job, options: LintOptions = {}): LintProblem[] {
  const problems: LintProblem[] = jobkitEnvErrors(job).map((e) => ({ path: e.field, message: e.body, severity: 'error' }));
  const spec = job.spec;
  const podSpec = spec.template.spec;
  podSpec.containers.forEach((container, i) => {
    const path = `spec.template.spec.containers[${i}]`;
    if (!(container.env ?? []).some((e) => e.name.startsWith('JOBKIT_'))) return;
    lintContainer(job, container, path, options, problems);
  });
  const jobkitContainers = podSpec.containers.filter((c) => (c.env ?? []).some((e) => e.name.startsWith('JOBKIT_')));
  if (jobkitContainers.length > 0) lintPodFailurePolicy(job, jobkitContainers[0]!.name, problems);
  return problems;
}

/**
 * Lint manifest text (YAML or JSON); a manifest that cannot be read at all
 * is one problem at `<manifest>`.
 *
 * @example
 * ```ts
 * const problems = lintManifest(readFileSync('job.yaml', 'utf8'));
 * process.exitCode = problems.some((p) => p.severity === 'error') ? 1 : 0;
 * ```
 */
export function lintManifest(text: string, options: LintOptions = {}): LintProblem[] {
  let raw: unknown;
  try {
    raw = parseManifestText(text);
  } catch (err) {
    return [{ path: '<manifest>', message: (err as Error).message, severity: 'error' }];
  }
  if (isObj(raw) && raw['kind'] === 'CronJob') {
    // A CronJob's pods are its Jobs' pods: lint the template as the Job it becomes, under its own path.
    const spec = isObj(raw['spec']) ? raw['spec'] : {};
    const template = isObj(spec['jobTemplate']) ? spec['jobTemplate'] : {};
    const meta = isObj(raw['metadata']) ? raw['metadata'] : {};
    const asJob = { apiVersion: 'batch/v1', kind: 'Job', metadata: { ...(isObj(template['metadata']) ? template['metadata'] : {}), name: meta['name'] }, spec: template['spec'] ?? {} };
    return lintReadJob(asJob, options).map((p) => ({ ...p, path: p.path === '<manifest>' ? p.path : `spec.jobTemplate.${p.path}` }));
  }
  return lintReadJob(raw, options);
}

function lintReadJob(raw: unknown, options: LintOptions): LintProblem[] {
  const { job, errors } = readJob(raw);
  // Type errors first: the later checks read a best-effort Job.
  return [...errors.map((e): LintProblem => ({ path: e.field, message: e.body, severity: 'error' })), ...lintJob(job, options)];
}

/** The container's env as the kubelet gives it: literal values only, the last of a name wins. */
function literalEnv(container: Container): { env: Record<string, string>; at: Map<string, number>; declared: Set<string> } {
  const env: Record<string, string> = {};
  const at = new Map<string, number>();
  const declared = new Set<string>();
  (container.env ?? []).forEach((e, i) => {
    declared.add(e.name);
    at.set(e.name, i);
    if (e.value !== undefined) env[e.name] = e.value;
    else delete env[e.name];
  });
  return { env, at, declared };
}

/** A command word that starts jobkit's supervisor or a Node program (runJob is its own supervisor). */
const SUPERVISED_WORD = /(^|[/\s])(jobkit|node|nodejs)(\s|$)/;

/**
 * A container `command` replaces the image's ENTRYPOINT: in the base image
 * that is `tini -- jobkit exec --`, so `command: ["python3", "train.py"]`
 * runs the program with none of jobkit (no identity variables, signals,
 * exit-code mapping or logs). Only the words are looked at: a wrapper
 * (`tini`, `sh -c "exec jobkit exec -- ..."`) that names jobkit or node passes.
 */
function lintCommand(container: Container, path: string, problems: LintProblem[]): void {
  const command = container.command ?? [];
  if (basename(command[0] ?? '') === 'jobkit' && command[1] === 'exec') {
    lintExecCommand([...command.slice(2), ...(container.args ?? [])], path, problems);
    return;
  }
  if (command.length === 0 || command.some((word) => SUPERVISED_WORD.test(word))) return;
  problems.push({
    path: `${path}.command`,
    message:
      `${JSON.stringify(command[0])} runs without jobkit: a container's command replaces the image's ENTRYPOINT (jobkit exec in the jobkit base image), ` +
      'so the program gets no identity variables, signal forwarding, exit-code mapping or log lines; put the program in args after ' +
      'command ["jobkit", "exec", "--"] (jobkit manifest --exec writes it), or leave command unset on the base image',
    severity: 'warning',
  });
}

/** `jobkit exec` options and program as the container gives them (command, then args): what exec would refuse with 78 before the program starts. */
function lintExecCommand(argv: readonly string[], path: string, problems: LintProblem[]): void {
  try {
    const parsed = parseExecArgs(argv);
    if (parsed.command === undefined && !parsed.help) {
      problems.push({ path: `${path}.args`, message: 'jobkit exec has no program to run: put it after "--" (in args, or at the end of command)', severity: 'error' });
    }
  } catch (err) {
    if (!(err instanceof ConfigurationError)) throw err;
    problems.push({ path: `${path}.command`, message: `jobkit exec: ${err.message} (it would exit 78 before starting the program)`, severity: 'error' });
  }
}

function lintContainer(job: Job, container: Container, path: string, options: LintOptions, problems: LintProblem[]): void {
  const spec = job.spec;
  const { env, at, declared } = literalEnv(container);
  lintCommand(container, path, problems);
  const envPath = (name: string): string => (at.has(name) ? `${path}.env[${at.get(name)}]` : `${path}.env`);
  const frozen: Env = env;

  // The values the runtime would refuse at start (exit 78 on every pod).
  const checks: Array<() => unknown> = [
    () => resolveLifecycleSettings(frozen),
    // The platform only matters to `auto`, which refuses nothing.
    () => resolveInterruptionSettings(frozen, 'kubernetes'),
    () => checkModuleEnv(frozen),
    // Log level, Pushgateway (when JOBKIT_PUSHGATEWAY_URL is set) and tracing: read by runJob itself at start.
    () => telemetryOptionsFromEnv(frozen),
    // The supervisor's own settings (JOBKIT_EXEC_*): jobkit exec reads them before the program starts.
    () => execOptionsFromEnv(frozen),
  ];
  for (const check of checks) {
    try {
      check();
    } catch (err) {
      if (!(err instanceof ConfigurationError)) throw err;
      const variable = /^(JOBKIT_[A-Z0-9_]+)/.exec(err.message)?.[1];
      problems.push({ path: variable === undefined ? `${path}.env` : `${envPath(variable)}.value`, message: `${err.message} (the program would exit 78 at start)`, severity: 'error' });
    }
  }
  for (const { name, didYouMean } of unknownJobkitVariables(frozen)) {
    problems.push({
      path: `${envPath(name)}.name`,
      message: `${name} is not a jobkit setting and is ignored${didYouMean === undefined ? '' : ` (did you mean ${didYouMean}?)`}`,
      severity: 'warning',
    });
  }

  // The count: Kubernetes does not inject it into an Indexed Job's pods.
  const completions = spec.completions;
  const indexed = spec.completionMode === 'Indexed';
  if (completions !== undefined && completions > 1 && !declared.has('JOBKIT_COUNT')) {
    problems.push({
      path: `${path}.env`,
      message: indexed
        ? `JOBKIT_COUNT is not set but spec.completions is ${completions}: the runtime counts 1 index and every index but 0 exits 78; set JOBKIT_COUNT to "${completions}"`
        : `spec.completions is ${completions} without Indexed completion mode or JOBKIT_COUNT: every pod is index 0 of 1 and does all of the work`,
      severity: indexed ? 'error' : 'warning',
    });
  }
  if (!indexed && env.JOBKIT_COUNT !== undefined && env.JOBKIT_COUNT.trim() !== '1' && !declared.has('JOBKIT_INDEX')) {
    problems.push({
      path: `${envPath('JOBKIT_COUNT')}.value`,
      message: `JOBKIT_COUNT is ${JSON.stringify(env.JOBKIT_COUNT)} but the Job is not Indexed (spec.completionMode) and JOBKIT_INDEX is not set: every pod is index 0 and the other shards are never processed`,
      severity: 'error',
    });
  }

  // Grace period: the runtime plans its shutdown on JOBKIT_GRACE_PERIOD_SECONDS
  // (default 30); SIGKILL comes after terminationGracePeriodSeconds.
  const tgps = job.spec.template.spec.terminationGracePeriodSeconds ?? DEFAULT_GRACE_SECONDS;
  const gracePath = 'spec.template.spec.terminationGracePeriodSeconds';
  let believed: number | undefined;
  try {
    believed = resolveLifecycleSettings(frozen).gracePeriodMs / 1000;
  } catch {
    believed = undefined; // already reported above
  }
  if (believed !== undefined && believed > tgps) {
    problems.push({
      path: declared.has('JOBKIT_GRACE_PERIOD_SECONDS') ? `${envPath('JOBKIT_GRACE_PERIOD_SECONDS')}.value` : gracePath,
      message: `JOBKIT_GRACE_PERIOD_SECONDS is ${declared.has('JOBKIT_GRACE_PERIOD_SECONDS') ? believed : `not set (the runtime assumes ${believed})`} but terminationGracePeriodSeconds is ${tgps}: SIGKILL would cut the final checkpoint; set both to the same number`,
      severity: 'error',
    });
  }
  if (tgps < MIN_GRACE_PERIOD_SECONDS) {
    problems.push({
      path: gracePath,
      message: `${tgps} s is shorter than the ${MIN_GRACE_PERIOD_SECONDS} s the final checkpoint and the shutdown hooks need after SIGTERM`,
      severity: 'error',
    });
  } else {
    try {
      // As if JOBKIT_GRACE_PERIOD_SECONDS matched (a mismatch is its own problem above).
      const matched: Env = { ...frozen, JOBKIT_GRACE_PERIOD_SECONDS: String(tgps) };
      const { shutdownBudgetMs } = resolveLifecycleSettings(matched);
      const finalSave = checkpointOptionsFromEnv(matched).finalSave;
      const finalSaveMs = finalSave === false ? 0 : (finalSave?.budgetMs ?? CHECKPOINT_DEFAULTS.finalSaveBudgetMs);
      if (finalSaveMs > shutdownBudgetMs) {
        problems.push({
          path: gracePath,
          message: `${tgps} s leaves ${shutdownBudgetMs / 1000} s for the shutdown after the safety margin, but the final checkpoint may take ${finalSaveMs / 1000} s (JOBKIT_CHECKPOINT_FINAL_SAVE_SECONDS): raise the grace period or lower that budget`,
          severity: 'error',
        });
      }
    } catch {
      // A bad grace setting is reported above.
    }
  }

  // jobkit's own deadline must fire first, or Kubernetes kills the pods
  // without the deadline's final checkpoint and exit code.
  const deadline = Number(env.JOBKIT_DEADLINE_SECONDS ?? Number.NaN);
  if (spec.activeDeadlineSeconds !== undefined && Number.isFinite(deadline) && deadline >= spec.activeDeadlineSeconds) {
    problems.push({
      path: `${envPath('JOBKIT_DEADLINE_SECONDS')}.value`,
      message: `JOBKIT_DEADLINE_SECONDS (${deadline}) is not below spec.activeDeadlineSeconds (${spec.activeDeadlineSeconds}): Kubernetes would stop the Job before jobkit's deadline saves a checkpoint; set it lower by at least the grace period`,
      severity: 'error',
    });
  }

  // Each pod's default store is a directory on its own node.
  const pods = Math.max(spec.parallelism ?? 1, spec.completions ?? 1);
  if (pods > 1 && !declared.has('JOBKIT_STORE')) {
    problems.push({
      path: `${path}.env`,
      message:
        `JOBKIT_STORE is not set for a Job of ${pods} pods (parallelism ${spec.parallelism ?? 1}, completions ${spec.completions ?? 1}): ` +
        (options.local === true
          ? 'fine under jobkit run (the pods share ./.jobkit/store), but on a cluster each pod would write to its own disk'
          : 'each pod would keep checkpoints and idempotency records on its own disk, unseen by retries on other nodes; set JOBKIT_STORE=s3://bucket/prefix'),
      severity: options.local === true ? 'warning' : 'error',
    });
  }
}

/** The action a podFailurePolicy takes for a pod of `container` that exited with `code`, with or without DisruptionTarget. */
function actionFor(rules: readonly PodFailurePolicyRule[], container: string, code: number, disrupted: boolean): PolicyAction {
  for (const rule of rules) {
    const onExit = rule.onExitCodes;
    if (onExit !== undefined) {
      if (onExit.containerName !== undefined && onExit.containerName !== container) continue;
      const listed = onExit.values.includes(code);
      if (onExit.operator === 'In' ? listed : !listed) return rule.action;
      continue;
    }
    if (disrupted && (rule.onPodConditions ?? []).some((c) => c.type === 'DisruptionTarget' && (c.status as string) !== 'False')) return rule.action;
  }
  return 'Count';
}

function lintPodFailurePolicy(job: Job, container: string, problems: LintProblem[]): void {
  const spec = job.spec;
  const path = 'spec.podFailurePolicy';
  const rules = spec.podFailurePolicy?.rules;
  if (rules === undefined) {
    problems.push({
      path,
      message:
        'not set: every jobkit exit code counts as a retry, so a configuration error (78) or bad input (65) is retried until backoffLimit ' +
        'and preemptions burn retries; generate the policy with jobkit manifest',
      severity: 'error',
    });
    return;
  }
  const perIndex = spec.backoffLimitPerIndex !== undefined;
  for (const entry of EXIT_CODE_TABLE) {
    if (entry.code === 0) continue;
    const wanted = entry.action === 'FailIndex' && !perIndex ? 'FailJob' : entry.action;
    const got = actionFor(rules, container, entry.code, false);
    if (got !== wanted) {
      // A code only an opt-in feature exits with, left to Count: a manifest
      // written before the feature, which is fine unless the program uses it.
      const optInOnly = entry.optIn !== undefined && got === 'Count';
      problems.push({
        path,
        message:
          `exit code ${entry.code} (${entry.exitClass}) gets ${got}, the exit-code table wants ${wanted}` +
          (entry.action === 'FailIndex' && !perIndex ? ' (FailIndex without backoffLimitPerIndex)' : '') +
          (optInOnly ? `; only a program using ${entry.optIn} exits ${entry.code}: add the rule if this one does (jobkit manifest writes it)` : ''),
        severity: optInOnly ? 'warning' : 'error',
      });
    }
  }
  // A preempted pod exits 143 with the DisruptionTarget condition.
  const preempted = actionFor(rules, container, 143, true);
  if (preempted !== 'Ignore') {
    problems.push({
      path,
      message: `a preempted pod (DisruptionTarget, exit 143) gets ${preempted}, not Ignore: preemptions would burn retries; put an Ignore rule on DisruptionTarget first`,
      severity: 'error',
    });
  }
}
