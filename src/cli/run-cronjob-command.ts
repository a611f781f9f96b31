/**
 * `jobkit run -f cronjob.yaml`: the CronJob half of `jobkit run` — its flags,
 * the scheduled run under the local CronJob controller, and `--from-cronjob`
 * (what `kubectl create job NAME --from=cronjob/x` creates, run once).
 */
import { type CronJobPatch, type LocalCronJobResult, type ManualRun, runLocalCronJob } from '../local/cronjob/emulator.ts';
import { manualJobFromCronJob } from '../local/cronjob/job-from-template.ts';
import { loadCronJobManifest } from '../local/cronjob/read-cronjob.ts';
import { runLocalJob, stderrSink } from '../local/emulator.ts';
import { InvalidManifestError } from '../local/errors.ts';
import { isObj, parseManifestText } from '../local/read-manifest.ts';
import { SeededRandom } from '../local/rng.ts';
import { DNS1123_SUBDOMAIN, DNS1123_SUBDOMAIN_MESSAGE } from '../local/validate.ts';
import { parseInstant, parseInteger } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { withInterrupts } from './interrupt.ts';
import { RUN_EXIT, formatJob, jobSummary, reportRunError, type CommonRunOptions } from './run-output.ts';

/** The flags that only a CronJob manifest takes. */
export const CRONJOB_FLAGS = ['clock', 'from', 'until', 'runs', 'patch', 'manual-run', 'from-cronjob'] as const;

type CronJobFlag = (typeof CRONJOB_FLAGS)[number];

/** The kind of a manifest, or undefined when it cannot be read (the loader then says why). */
export function manifestKind(manifest: string): string | undefined {
  try {
    const raw = parseManifestText(manifest);
    return isObj(raw) && typeof raw['kind'] === 'string' ? raw['kind'] : undefined;
  } catch {
    return undefined;
  }
}

/** An instant given on the command line, RFC 3339 with a zone. */
function flagInstant(flag: string, text: string): Date {
  return parseInstant(`--${flag}`, text);
}

function parsePatch(text: string): CronJobPatch {
  const at = text.indexOf('=');
  if (at < 0) throw new ConfigurationError(`--patch must be <time>=<json merge patch>, got "${text}"`);
  let patch: unknown;
  try {
    patch = JSON.parse(text.slice(at + 1));
  } catch (err) {
    throw new ConfigurationError(`--patch ${text.slice(0, at)}: the patch is not JSON: ${(err as Error).message}`);
  }
  if (!isObj(patch)) throw new ConfigurationError(`--patch ${text.slice(0, at)}: the patch must be a JSON object, e.g. {"spec":{"suspend":true}}`);
  return { at: flagInstant('patch', text.slice(0, at)), patch };
}

/** Throws when `name` cannot be a Job's name (a flag naming one). */
export function jobNameError(flag: string, name: string): void {
  if (name === '' || name.length > 63 || !DNS1123_SUBDOMAIN.test(name)) {
    throw new ConfigurationError(`--${flag}: the Job name "${name}" is invalid: ${name.length > 63 ? 'must be no more than 63 characters' : DNS1123_SUBDOMAIN_MESSAGE}`);
  }
}

function parseManualRun(text: string): ManualRun {
  const at = text.lastIndexOf('@');
  if (at < 0) throw new ConfigurationError(`--manual-run must be <job name>@<time>, got "${text}"`);
  const name = text.slice(0, at);
  jobNameError('manual-run', name);
  return { name, at: flagInstant('manual-run', text.slice(at + 1)) };
}

/** What `jobkit run` hands over for a CronJob manifest. */
export interface CronJobCommandInput {
  readonly manifest: string;
  readonly quiet: boolean;
  readonly flags: { readonly [F in CronJobFlag]?: string | string[] | boolean | undefined };
  readonly common: CommonRunOptions;
}

function text(value: string | string[] | boolean | undefined): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function list(value: string | string[] | boolean | undefined): string[] {
  return Array.isArray(value) ? value : [];
}

/** The summary line of a CronJob run: `Complete: 3 Jobs (3 Complete), lastScheduleTime ..., lastSuccessfulTime ...`. */
export function cronJobSummary(result: LocalCronJobResult): string {
  const counts = new Map<string, number>();
  for (const o of result.outcomes) counts.set(o.outcome, (counts.get(o.outcome) ?? 0) + 1);
  const detail = [...counts].map(([k, n]) => `${n} ${k}`).join(', ');
  const status = result.cronJob.status ?? {};
  return (
    `${result.outcome}: ${result.outcomes.length} Job${result.outcomes.length === 1 ? '' : 's'}${detail === '' ? '' : ` (${detail})`}` +
    `, lastScheduleTime ${status.lastScheduleTime ?? '-'}, lastSuccessfulTime ${status.lastSuccessfulTime ?? '-'}`
  );
}

/**
 * Runs a CronJob manifest for `jobkit run` and returns the exit status.
 *
 * @example
 * ```ts
 * const status = await runCronJobCommand({ manifest, quiet: false, flags: { clock: 'virtual', runs: '2', from: '2026-01-01T00:00:00Z' }, common });
 * ```
 */
export async function runCronJobCommand(input: CronJobCommandInput): Promise<number> {
  const { flags, common } = input;
  let parsed;
  try {
    const clock = text(flags.clock) ?? 'real';
    if (clock !== 'real' && clock !== 'virtual') throw new ConfigurationError(`--clock must be real or virtual, got "${clock}"`);
    const fromCronJob = text(flags['from-cronjob']);
    if (fromCronJob !== undefined) {
      jobNameError('from-cronjob', fromCronJob);
      const other = CRONJOB_FLAGS.find((f) => f !== 'from-cronjob' && flags[f] !== undefined && !(Array.isArray(flags[f]) && flags[f].length === 0));
      if (other !== undefined) throw new ConfigurationError(`--from-cronjob runs one Job now; it cannot be combined with --${other}`);
    }
    const from = text(flags.from);
    const until = text(flags.until);
    const runs = text(flags.runs);
    parsed = {
      clock,
      fromCronJob,
      from: from === undefined ? undefined : flagInstant('from', from),
      until: until === undefined ? undefined : flagInstant('until', until),
      runs: runs === undefined ? undefined : parseInteger('--runs', runs, { min: 1 }),
      patches: list(flags.patch).map(parsePatch),
      manualRuns: list(flags['manual-run']).map(parseManualRun),
    } as const;
    if (parsed.from !== undefined && clock !== 'virtual') throw new ConfigurationError('--from needs --clock virtual (the real clock starts now)');
    if (clock === 'virtual' && parsed.until === undefined && parsed.runs === undefined) {
      throw new ConfigurationError('--clock virtual needs an end: --until <time> or --runs <N>');
    }
    if (parsed.from !== undefined && parsed.until !== undefined && parsed.until.getTime() <= parsed.from.getTime()) {
      throw new ConfigurationError(`--until (${parsed.until.toISOString()}) must be after --from (${parsed.from.toISOString()})`);
    }
  } catch (err) {
    process.stderr.write(`jobkit run: ${(err as Error).message}\n`);
    return RUN_EXIT.usage;
  }

  const sink = stderrSink({ quiet: input.quiet });
  const jobOptions = {
    sink,
    chaos: common.chaos,
    ...(common.backoffScale === undefined ? {} : { backoffScale: common.backoffScale }),
    ...(common.chaosMaxDelayMs === undefined ? {} : { chaosMaxDelayMs: common.chaosMaxDelayMs }),
  };
  return await withInterrupts(async (signal) => {
    try {
      if (parsed.fromCronJob !== undefined) {
        const seed = common.seed ?? Math.floor(Math.random() * 2 ** 32);
        const cronJob = loadCronJobManifest(input.manifest, { random: new SeededRandom(seed), now: new Date() });
        const result = await runLocalJob({ manifest: manualJobFromCronJob(cronJob, parsed.fromCronJob), signal, seed, ...jobOptions });
        if (common.output !== undefined) process.stdout.write(formatJob(result.job, common.output));
        if (!input.quiet) process.stderr.write(`jobkit run: ${jobSummary(result)}\n`);
        return result.outcome === 'Complete' ? RUN_EXIT.complete : RUN_EXIT.failed;
      }
      const result = await runLocalCronJob({
        manifest: input.manifest,
        signal,
        clock: parsed.clock,
        ...(parsed.from === undefined ? {} : { from: parsed.from }),
        ...(parsed.until === undefined ? {} : { until: parsed.until }),
        ...(parsed.runs === undefined ? {} : { runs: parsed.runs }),
        ...(common.seed === undefined ? {} : { seed: common.seed }),
        patches: parsed.patches,
        manualRuns: parsed.manualRuns,
        ...jobOptions,
      });
      if (common.output !== undefined) {
        process.stdout.write(formatJob({ apiVersion: 'v1', kind: 'List', items: [result.cronJob, ...result.jobs] }, common.output));
      }
      if (!input.quiet) process.stderr.write(`jobkit run: ${cronJobSummary(result)}\n`);
      return result.outcome === 'Complete' ? RUN_EXIT.complete : RUN_EXIT.failed;
    } catch (err) {
      if (err instanceof InvalidManifestError || !(err instanceof ConfigurationError)) return reportRunError(err, signal);
      process.stderr.write(`jobkit run: ${err.message}\n`);
      return RUN_EXIT.usage;
    }
  });
}
