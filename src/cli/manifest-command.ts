/**
 * `jobkit manifest`: writes a Job manifest for a jobkit program. It refuses
 * what the program would refuse at start (a bad store URL, log level or
 * JOBKIT_* value in --env): a manifest whose every pod exits 78 is worse
 * than a usage error now.
 */
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../runtime/errors.ts';
import { type Env, parseChoice, parseInteger, unknownJobkitVariables } from '../runtime/config.ts';
import { checkModuleEnv } from '../job/job-modules.ts';
import { resolveLifecycleSettings } from '../runtime/lifecycle.ts';
import { resolveInterruptionSettings } from '../runtime/interruption/config.ts';
import type { JobIdentity } from '../runtime/types.ts';
import { generateCronJobManifest } from '../local/cronjob/manifest.ts';
import { CONCURRENCY_POLICIES } from '../local/cronjob/types.ts';
import { type ManifestOptions, generateJobManifest } from '../local/manifest-generator.ts';
import { generatePlatformManifest } from '../local/platforms/index.ts';
import { MANIFEST_PLATFORMS, type ManifestPlatform, type PlatformManifestOptions } from '../local/platforms/options.ts';
import type { Job } from '../local/types.ts';
import { parseStoreUrl } from '../store/schemes.ts';
import { LOG_LEVELS, resolveLogLevel } from '../telemetry/logger.ts';
import { redactUrl, resolvePushgatewayConfig } from '../telemetry/pushgateway.ts';
import { parseExecArgs } from './exec-args.ts';
import { formatJob } from './run-output.ts';
import { MANIFEST_USAGE } from './usage.ts';

/**
 * The container `command` of `jobkit manifest --exec` before the program:
 * `jobkit exec [exec options] --`, the program itself goes in `args`. Written
 * explicitly rather than left to the image's ENTRYPOINT, so the manifest
 * means the same on any image with `jobkit` on the PATH (the base image, whose
 * ENTRYPOINT is tini in front of the same command, or an image of your own),
 * and so that an edit of `args` alone keeps the program under the supervisor.
 */
export const EXEC_COMMAND: readonly string[] = ['jobkit', 'exec', '--'];

/**
 * The `command` and `args` of a container whose program runs under `jobkit
 * exec`, with the supervisor's own options (checked as `jobkit exec` checks
 * them at start, so the manifest cannot only exit 78).
 *
 * @example
 * ```ts
 * execContainer(['--signal-to=child'], ['python3', 'etl.py']);
 * // { command: ['jobkit', 'exec', '--signal-to=child', '--'], args: ['python3', 'etl.py'] }
 * ```
 */
export function execContainer(execArgs: readonly string[], program: readonly string[]): { command: string[]; args: string[] } {
  if (program.length === 0) throw new ConfigurationError('--exec needs the program after "--" (e.g. -- python3 train.py)');
  if (execArgs.includes('--')) throw new ConfigurationError('--exec-arg cannot be "--": the program goes after the manifest\'s own "--"');
  let parsed;
  try {
    parsed = parseExecArgs([...execArgs, '--', ...program]);
  } catch (error) {
    throw new ConfigurationError(`--exec-arg: ${(error as Error).message} (jobkit exec would exit 78 at start)`);
  }
  if (parsed.help || parsed.positionals.length > 0) {
    throw new ConfigurationError(`--exec-arg ${JSON.stringify(parsed.help ? '--help' : parsed.positionals[0])} is not a jobkit exec option`);
  }
  const [jobkit = 'jobkit', exec = 'exec', dashDash = '--'] = EXEC_COMMAND;
  return { command: [jobkit, exec, ...execArgs, dashDash], args: [...program] };
}

function int(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  // The one integer syntax (decimal digits: no 0x3, 1e1 or -1); each
  // option's own minimum is checked by the generator.
  return parseInteger(option, text);
}

/** Other names `--platform` accepts for a platform. */
const PLATFORM_ALIASES: Readonly<Record<string, ManifestPlatform>> = { 'gcp-batch': 'cloud-batch' };

function parsePlatform(text: string | undefined): ManifestPlatform {
  if (text === undefined) return 'kubernetes';
  return PLATFORM_ALIASES[text] ?? parseChoice('--platform', text, MANIFEST_PLATFORMS);
}

/**
 * Writes the manifest of a platform other than plain Kubernetes (or a
 * Kubernetes one with a platform-only option, which is refused). Every
 * refusal happens before anything is written.
 */
function writePlatformManifest(platform: ManifestPlatform, options: PlatformManifestOptions, output: 'json' | 'yaml'): number {
  const manifest = generatePlatformManifest(platform, options);
  // The runtime's start-up checks of the literal env, as for a Kubernetes Job (the options were checked above).
  const { maxRestarts: _maxRestarts, activeDeadlineSeconds: _active, ttlSecondsAfterFinished: _ttl, ...common } = options;
  checkContainerEnv(generateJobManifest(common));
  const completions = options.completions ?? 1;
  if (platform === 'aws-batch' && completions > 1) {
    process.stderr.write(
      `jobkit manifest: note: AWS Batch sets the array size at SubmitJob: submit with --array-properties size=${completions} (each child reads AWS_BATCH_JOB_ARRAY_INDEX)\n`,
    );
  }
  process.stdout.write(formatJob(manifest, output));
  return 0;
}

/** The flags that only a CronJob (--schedule) takes. */
const CRONJOB_ONLY_FLAGS = ['time-zone', 'concurrency-policy', 'starting-deadline', 'successful-jobs-history-limit', 'failed-jobs-history-limit'] as const;

/** A non-negative integer flag as an optional field (the API server's minimum for these is 0). */
function optionalInt<K extends string>(key: K, flag: string, text: string | undefined): { [P in K]?: number } {
  return text === undefined ? {} : ({ [key]: parseInteger(flag, text, { min: 0 }) } as { [P in K]?: number });
}

/** Check the flags that become JOBKIT_* values, with messages naming the flag. */
function checkFlags(values: { store?: string | undefined; 'log-level'?: string | undefined; pushgateway?: string | undefined }): void {
  if (values.store !== undefined) parseStoreUrl(values.store, { source: '--store' });
  if (values['log-level'] !== undefined) parseChoice('--log-level', values['log-level'], LOG_LEVELS);
  if (values.pushgateway !== undefined) {
    let url: URL | undefined;
    try {
      url = new URL(values.pushgateway);
    } catch {
      url = undefined;
    }
    if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
      throw new ConfigurationError(`--pushgateway must be an http(s) URL, got "${redactUrl(values.pushgateway)}"`);
    }
  }
}

/**
 * Run the start-up checks of the runtime on the literal env of the generated
 * container, so that an --env JOBKIT_* value the program would refuse is
 * refused here.
 */
function checkContainerEnv(job: Job): void {
  const env: Record<string, string> = {};
  for (const e of job.spec.template.spec.containers[0]?.env ?? []) if (e.value !== undefined) env[e.name] = e.value;
  const frozen: Env = env;
  for (const { name, didYouMean } of unknownJobkitVariables(frozen)) {
    process.stderr.write(`jobkit manifest: warning: --env ${name} is not a jobkit setting and would be ignored${didYouMean === undefined ? '' : ` (did you mean ${didYouMean}?)`}\n`);
  }
  const identity: JobIdentity = {
    platform: 'kubernetes',
    jobName: job.metadata.name,
    namespace: job.metadata.namespace ?? 'default',
    podName: `${job.metadata.name}-0-abcde`,
    podUid: undefined,
    nodeName: undefined,
    index: 0,
    count: job.spec.completions ?? 1,
    attempt: 0,
  };
  resolveLifecycleSettings(frozen);
  resolveInterruptionSettings(frozen, identity.platform);
  resolveLogLevel(frozen);
  resolvePushgatewayConfig(identity, frozen);
  checkModuleEnv(frozen);
}

/**
 * Runs `jobkit manifest` with its argv (after the subcommand) and returns the exit status.
 *
 * @example
 * ```ts
 * await manifestCommand(['--name', 'etl', '--image', 'acme/etl:1', '--completions', '4', '--', 'node', 'main.js']);
 * ```
 */
export function manifestCommand(argv: readonly string[]): number {
  const dashDash = argv.indexOf('--');
  const flags = dashDash === -1 ? [...argv] : argv.slice(0, dashDash);
  const command = dashDash === -1 ? [] : argv.slice(dashDash + 1);
  try {
    const { values, positionals } = parseArgs({
      args: flags,
      options: {
        name: { type: 'string' },
        image: { type: 'string' },
        namespace: { type: 'string' },
        completions: { type: 'string' },
        parallelism: { type: 'string' },
        'grace-period': { type: 'string' },
        'backoff-limit-per-index': { type: 'string' },
        'backoff-limit': { type: 'string' },
        'max-failed-indexes': { type: 'string' },
        'active-deadline': { type: 'string' },
        deadline: { type: 'string' },
        ttl: { type: 'string' },
        store: { type: 'string' },
        pushgateway: { type: 'string' },
        'log-level': { type: 'string' },
        env: { type: 'string', multiple: true },
        'container-name': { type: 'string' },
        schedule: { type: 'string' },
        'time-zone': { type: 'string' },
        'concurrency-policy': { type: 'string' },
        'starting-deadline': { type: 'string' },
        'successful-jobs-history-limit': { type: 'string' },
        'failed-jobs-history-limit': { type: 'string' },
        platform: { type: 'string' },
        'max-restarts': { type: 'string' },
        exec: { type: 'boolean' },
        'exec-arg': { type: 'string', multiple: true },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: true,
    });
    if (values.help === true) {
      process.stdout.write(MANIFEST_USAGE);
      return 0;
    }
    if (positionals.length > 0) throw new ConfigurationError(`unexpected argument "${positionals[0]}"; put the command after "--"`);
    if (values.name === undefined) throw new ConfigurationError('--name is required');
    if (values.image === undefined) throw new ConfigurationError('--image is required');
    const output = values.output ?? 'yaml';
    if (output !== 'json' && output !== 'yaml') throw new ConfigurationError(`-o/--output must be json or yaml, got "${output}"`);
    checkFlags(values);
    const env = (values.env ?? []).map((kv): [string, string] => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new ConfigurationError(`--env must be K=V, got "${kv}"`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    });
    if (values['exec-arg'] !== undefined && values.exec !== true) throw new ConfigurationError('--exec-arg needs --exec');
    const container = values.exec === true ? execContainer(values['exec-arg'] ?? [], command) : { command, args: [] };
    const options: ManifestOptions = {
      name: values.name,
      image: values.image,
      command: container.command,
      ...(container.args.length === 0 ? {} : { args: container.args }),
      env,
      ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
      ...(values.store === undefined ? {} : { store: values.store }),
      ...(values.pushgateway === undefined ? {} : { pushgatewayUrl: values.pushgateway }),
      // The canonical spelling (`WARN` -> `warn`), checked by checkFlags.
      ...(values['log-level'] === undefined ? {} : { logLevel: parseChoice('--log-level', values['log-level'], LOG_LEVELS) }),
      ...(values['container-name'] === undefined ? {} : { containerName: values['container-name'] }),
    };
    const platform = parsePlatform(values.platform);
    const numeric: Array<[keyof PlatformManifestOptions, string, string | undefined]> = [
      ['completions', '--completions', values.completions],
      ['parallelism', '--parallelism', values.parallelism],
      ['gracePeriodSeconds', '--grace-period', values['grace-period']],
      ['backoffLimitPerIndex', '--backoff-limit-per-index', values['backoff-limit-per-index']],
      ['backoffLimit', '--backoff-limit', values['backoff-limit']],
      ['maxFailedIndexes', '--max-failed-indexes', values['max-failed-indexes']],
      ['activeDeadlineSeconds', '--active-deadline', values['active-deadline']],
      ['deadlineSeconds', '--deadline', values.deadline],
      ['ttlSecondsAfterFinished', '--ttl', values.ttl],
      ['maxRestarts', '--max-restarts', values['max-restarts']],
    ];
    const withNumbers: Record<string, unknown> = { ...options };
    for (const [key, flag, text] of numeric) {
      const n = int(flag, text);
      if (n !== undefined) withNumbers[key] = n;
    }
    const cronFlag = CRONJOB_ONLY_FLAGS.find((f) => values[f] !== undefined);
    if (platform !== 'kubernetes' && values.schedule !== undefined) {
      throw new ConfigurationError(`--schedule is not supported with --platform ${platform}: it writes a Kubernetes CronJob`);
    }
    if (values.schedule === undefined) {
      if (cronFlag !== undefined) throw new ConfigurationError(`--${cronFlag} needs --schedule (it is a CronJob setting)`);
      if (platform !== 'kubernetes' || withNumbers['maxRestarts'] !== undefined) {
        return writePlatformManifest(platform, withNumbers as unknown as PlatformManifestOptions, output);
      }
      const job = generateJobManifest(withNumbers as unknown as ManifestOptions);
      checkContainerEnv(job);
      process.stdout.write(formatJob(job, output));
      return 0;
    }
    if (withNumbers['maxRestarts'] !== undefined) throw new ConfigurationError('--max-restarts is not supported with --schedule: it is a JobSet setting');
    const cronJob = generateCronJobManifest({
      ...(withNumbers as unknown as ManifestOptions),
      schedule: values.schedule,
      ...(values['time-zone'] === undefined ? {} : { timeZone: values['time-zone'] }),
      ...(values['concurrency-policy'] === undefined ? {} : { concurrencyPolicy: parseChoice('--concurrency-policy', values['concurrency-policy'], CONCURRENCY_POLICIES) }),
      ...optionalInt('startingDeadlineSeconds', '--starting-deadline', values['starting-deadline']),
      ...optionalInt('successfulJobsHistoryLimit', '--successful-jobs-history-limit', values['successful-jobs-history-limit']),
      ...optionalInt('failedJobsHistoryLimit', '--failed-jobs-history-limit', values['failed-jobs-history-limit']),
    });
    const template = (cronJob['spec'] as { jobTemplate: { spec: Job['spec'] } }).jobTemplate;
    checkContainerEnv({ ...(cronJob as unknown as Job), spec: template.spec });
    process.stdout.write(formatJob(cronJob, output));
    return 0;
  } catch (err) {
    process.stderr.write(`jobkit manifest: ${(err as Error).message}\n`);
    return 2;
  }
}
