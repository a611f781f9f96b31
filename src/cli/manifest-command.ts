/**
 * `jobkit manifest`: writes a Job manifest for a jobkit program.
 */
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../runtime/errors.ts';
import { type ManifestOptions, generateJobManifest } from '../local/manifest-generator.ts';
import { formatJob } from './run-command.ts';
import { MANIFEST_USAGE } from './usage.ts';

function int(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  if (!/^-?\d+$/.test(text.trim())) throw new ConfigurationError(`${option} must be an integer, got "${text}"`);
  return Number(text);
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
    const env = (values.env ?? []).map((kv): [string, string] => {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new ConfigurationError(`--env must be K=V, got "${kv}"`);
      return [kv.slice(0, eq), kv.slice(eq + 1)];
    });
    const options: ManifestOptions = {
      name: values.name,
      image: values.image,
      command,
      env,
      ...(values.namespace === undefined ? {} : { namespace: values.namespace }),
      ...(values.store === undefined ? {} : { store: values.store }),
      ...(values.pushgateway === undefined ? {} : { pushgatewayUrl: values.pushgateway }),
      ...(values['log-level'] === undefined ? {} : { logLevel: values['log-level'] }),
      ...(values['container-name'] === undefined ? {} : { containerName: values['container-name'] }),
    };
    const numeric: Array<[keyof ManifestOptions, string, string | undefined]> = [
      ['completions', '--completions', values.completions],
      ['parallelism', '--parallelism', values.parallelism],
      ['gracePeriodSeconds', '--grace-period', values['grace-period']],
      ['backoffLimitPerIndex', '--backoff-limit-per-index', values['backoff-limit-per-index']],
      ['backoffLimit', '--backoff-limit', values['backoff-limit']],
      ['maxFailedIndexes', '--max-failed-indexes', values['max-failed-indexes']],
      ['activeDeadlineSeconds', '--active-deadline', values['active-deadline']],
      ['deadlineSeconds', '--deadline', values.deadline],
      ['ttlSecondsAfterFinished', '--ttl', values.ttl],
    ];
    const withNumbers: Record<string, unknown> = { ...options };
    for (const [key, flag, text] of numeric) {
      const n = int(flag, text);
      if (n !== undefined) withNumbers[key] = n;
    }
    const job = generateJobManifest(withNumbers as unknown as ManifestOptions);
    process.stdout.write(formatJob(job, output));
    return 0;
  } catch (err) {
    process.stderr.write(`jobkit manifest: ${(err as Error).message}\n`);
    return 2;
  }
}
