/**
 * `jobkit pushgateway gc`: deletes the Pushgateway groups whose last push is
 * older than a bound (the gateway keeps every group forever). A dry run
 * unless `--yes`; jobkit's groups only unless `--all`.
 */
import { parseArgs } from 'node:util';
import { ConfigurationError } from '../runtime/errors.ts';
import { TELEMETRY_ENV } from '../telemetry/config.ts';
import { type PushgatewayGcResult, collectStaleGroups } from '../telemetry/pushgateway-gc.ts';
import { formatAge, parseDuration } from './duration.ts';
import { PUSHGATEWAY_USAGE } from './usage.ts';

/** The grouping key, job first, as the gateway's UI shows it. */
function labelsText(labels: Readonly<Record<string, string>>): string {
  return Object.entries(labels)
    .sort(([a], [b]) => (a === 'job' ? -1 : b === 'job' ? 1 : a.localeCompare(b)))
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(' ');
}

/**
 * The result as lines for a person.
 *
 * @example
 * ```ts
 * process.stdout.write(describeGatewayGc(result, { dryRun: true, olderThan: '7d', now: Date.now() }));
 * ```
 */
export function describeGatewayGc(result: PushgatewayGcResult, how: { readonly dryRun: boolean; readonly olderThan: string; readonly now: number }): string {
  let out = '';
  for (const g of result.stale) {
    const at = g.lastPushSeconds! * 1000;
    out += `${how.dryRun ? 'stale' : 'deleted'}  ${labelsText(g.labels)}  last push ${new Date(at).toISOString()} (${formatAge(Math.max(0, Math.floor((how.now - at) / 1000)))} ago)\n`;
  }
  const verb = how.dryRun ? 'would delete' : 'deleted';
  out += `jobkit pushgateway gc: ${result.stale.length} of ${result.considered} groups last pushed more than ${how.olderThan} ago; ${verb} ${how.dryRun ? result.stale.length : result.deleted}`;
  out += how.dryRun && result.stale.length > 0 ? ' (a dry run: add --yes to delete them)\n' : '\n';
  return out;
}

/**
 * Runs `jobkit pushgateway <subcommand>` with its argv and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await pushgatewayCommand(['gc', '--url', 'http://pgw:9091', '--older-than', '7d', '--yes']);
 * ```
 */
export async function pushgatewayCommand(argv: readonly string[]): Promise<number> {
  const [sub, ...rest] = argv;
  if (sub === '--help' || sub === '-h' || sub === 'help') {
    process.stdout.write(PUSHGATEWAY_USAGE);
    return 0;
  }
  let options;
  let values;
  try {
    if (sub !== 'gc') throw new ConfigurationError(sub === undefined ? 'a subcommand is required: gc' : `unknown subcommand "${sub}" (the one there is: gc)`);
    ({ values } = parseArgs({
      args: rest,
      options: {
        url: { type: 'string' },
        'older-than': { type: 'string' },
        job: { type: 'string' },
        all: { type: 'boolean' },
        yes: { type: 'boolean' },
        output: { type: 'string', short: 'o' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
    if (values.help === true) {
      process.stdout.write(PUSHGATEWAY_USAGE);
      return 0;
    }
    const url = values.url ?? TELEMETRY_ENV.pushgatewayUrl(process.env);
    if (url === undefined) throw new ConfigurationError('--url is required (or JOBKIT_PUSHGATEWAY_URL)');
    if (values['older-than'] === undefined) throw new ConfigurationError('--older-than is required, e.g. --older-than 7d');
    if (values.output !== undefined && values.output !== 'json') throw new ConfigurationError(`-o must be json, got "${values.output}"`);
    options = {
      url,
      olderThanMs: parseDuration('--older-than', values['older-than']),
      dryRun: values.yes !== true,
      all: values.all === true,
      now: Date.now(),
      ...(values.job === undefined ? {} : { job: values.job }),
    };
  } catch (err) {
    process.stderr.write(`jobkit pushgateway: ${(err as Error).message}\n\n${PUSHGATEWAY_USAGE}`);
    return 2;
  }
  try {
    const result = await collectStaleGroups(options);
    if (values.output === 'json') process.stdout.write(`${JSON.stringify({ dryRun: options.dryRun, olderThanMs: options.olderThanMs, ...result }, null, 2)}\n`);
    else process.stdout.write(describeGatewayGc(result, { dryRun: options.dryRun, olderThan: values['older-than'], now: options.now }));
    return 0;
  } catch (err) {
    process.stderr.write(`jobkit pushgateway gc: ${(err as Error).message}\n`);
    return err instanceof ConfigurationError ? 2 : 1;
  }
}
