/**
 * `jobkit run`: runs a Job manifest under the local emulator.
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { parseInteger, parseNumber } from '../runtime/config.ts';
import { ConfigurationError } from '../runtime/errors.ts';
import { mergeChaosSpecs, parseChaosSpec } from '../local/chaos.ts';
import { type LocalJobResult, type Suspension, runObservedLocalJob, stderrSink } from '../local/emulator.ts';
import { TimelineRecorder } from '../local/timeline/recorder.ts';
import { renderTimeline } from '../local/timeline/render.ts';
import type { RecordedOutcome } from '../local/timeline/types.ts';
import { withInterrupts } from './interrupt.ts';
import { lintManifest } from './lint.ts';
import { formatLintProblems } from './lint-command.ts';
import { CRONJOB_FLAGS, jobNameError, manifestKind, runCronJobCommand } from './run-cronjob-command.ts';
import { RUN_EXIT, jobSummary, formatJob, reportRunError } from './run-output.ts';
import { runOnKube } from './run-kube-command.ts';
import { checkTimelinePath, writeTimelineFile } from './run-timeline.ts';
import { RUN_USAGE } from './usage.ts';

function optional<T>(text: string | undefined, parse: (text: string) => T): T | undefined {
  return text === undefined ? undefined : parse(text);
}

/** --suspend-at / --resume-at, checked together: a suspension that never ends would never let the run end. */
function readSuspension(suspendText: string | undefined, resumeText: string | undefined): Suspension {
  const suspendAtMs = optional(suspendText, (t) => parseInteger('--suspend-at', t, { min: 0 }));
  const resumeAtMs = optional(resumeText, (t) => parseInteger('--resume-at', t, { min: 0 }));
  if (suspendAtMs !== undefined && resumeAtMs === undefined) throw new ConfigurationError('--suspend-at needs --resume-at: a suspended Job never ends');
  if (suspendAtMs !== undefined && resumeAtMs !== undefined && resumeAtMs <= suspendAtMs) {
    throw new ConfigurationError(`--resume-at (${resumeAtMs} ms) must come after --suspend-at (${suspendAtMs} ms)`);
  }
  return { ...(suspendAtMs === undefined ? {} : { suspendAtMs }), ...(resumeAtMs === undefined ? {} : { resumeAtMs }) };
}

/**
 * Runs `jobkit run` with its argv (after the subcommand) and returns the exit status.
 *
 * @example
 * ```ts
 * process.exitCode = await runCommand(['-f', 'job.yaml', '-o', 'json', '--backoff-scale', '0.01']);
 * ```
 */
export async function runCommand(argv: readonly string[]): Promise<number> {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: [...argv],
      options: {
        filename: { type: 'string', short: 'f' },
        output: { type: 'string', short: 'o' },
        'backoff-scale': { type: 'string' },
        seed: { type: 'string' },
        chaos: { type: 'string', multiple: true },
        'chaos-max-delay': { type: 'string' },
        quiet: { type: 'boolean', short: 'q' },
        help: { type: 'boolean', short: 'h' },
        clock: { type: 'string' },
        from: { type: 'string' },
        until: { type: 'string' },
        runs: { type: 'string' },
        patch: { type: 'string', multiple: true },
        'manual-run': { type: 'string', multiple: true },
        'from-cronjob': { type: 'string' },
        'control-plane': { type: 'string' },
        kubeconfig: { type: 'string' },
        'suspend-at': { type: 'string' },
        'resume-at': { type: 'string' },
        timeline: { type: 'string' },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    process.stderr.write(`jobkit run: ${(err as Error).message}\n\n${RUN_USAGE}`);
    return RUN_EXIT.usage;
  }
  if (values.help === true) {
    process.stdout.write(RUN_USAGE);
    return 0;
  }
  let manifest: string;
  let options;
  let timeline: string | undefined;
  try {
    // `jobkit run job.yaml` is accepted as a shorthand for -f job.yaml.
    if (values.filename === undefined && positionals.length === 1) values.filename = positionals[0];
    if (positionals.length > (values.filename === positionals[0] ? 1 : 0)) throw new ConfigurationError(`unexpected argument "${positionals.at(-1)}"`);
    if (values.filename === undefined) throw new ConfigurationError('-f/--filename is required');
    const outputText = values.output;
    if (outputText !== undefined && outputText !== 'json' && outputText !== 'yaml') {
      throw new ConfigurationError(`-o/--output must be json or yaml, got "${outputText}"`);
    }
    const output: 'json' | 'yaml' | undefined = outputText;
    const backend = values['control-plane'] ?? 'emulator';
    if (backend !== 'emulator' && backend !== 'kube') throw new ConfigurationError(`--control-plane must be emulator or kube, got "${backend}"`);
    if (values.kubeconfig !== undefined && backend !== 'kube') throw new ConfigurationError('--kubeconfig needs --control-plane kube');
    if (values.timeline !== undefined && backend === 'kube') {
      throw new ConfigurationError('--timeline draws a run of the emulator; it is not available with --control-plane kube (run the manifest without it to get the picture)');
    }
    timeline = optional(values.timeline, checkTimelinePath);
    options = {
      output,
      // The one number syntax of every setting: decimal digits, no 0x3 or 1e1.
      backoffScale: optional(values['backoff-scale'], (t) => parseNumber('--backoff-scale', t, { min: 0 })),
      seed: optional(values.seed, (t) => parseInteger('--seed', t, { min: 0, max: 2 ** 32 - 1 })),
      chaos: mergeChaosSpecs((values.chaos ?? []).map(parseChaosSpec)),
      chaosMaxDelayMs: optional(values['chaos-max-delay'], (t) => parseInteger('--chaos-max-delay', t, { min: 0 })),
      suspension: readSuspension(values['suspend-at'], values['resume-at']),
    };
    try {
      manifest = readFileSync(values.filename === '-' ? 0 : values.filename, 'utf8');
    } catch (err) {
      throw new ConfigurationError(`-f ${values.filename}: cannot read the manifest: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
  } catch (err) {
    process.stderr.write(`jobkit run: ${(err as Error).message}\n`);
    return RUN_EXIT.usage;
  }

  const isCronJob = manifestKind(manifest) === 'CronJob';
  if (isCronJob && (values['suspend-at'] !== undefined || values['resume-at'] !== undefined)) {
    process.stderr.write(`jobkit run: --${values['suspend-at'] === undefined ? 'resume-at' : 'suspend-at'} applies to Job manifests; suspend a CronJob with --patch '<time>={"spec":{"suspend":true}}'\n`);
    return RUN_EXIT.usage;
  }
  if (isCronJob && values.timeline !== undefined) {
    process.stderr.write(`jobkit run: --timeline draws one Job run; ${values.filename} is a CronJob (a run of several Jobs): run its jobTemplate as a Job manifest to get the picture\n`);
    return RUN_EXIT.usage;
  }
  const cronJobFlags = CRONJOB_FLAGS.filter((flag) => values[flag] !== undefined);
  if (!isCronJob && cronJobFlags.length > 0) {
    process.stderr.write(`jobkit run: --${cronJobFlags[0]} applies to CronJob manifests only; ${values.filename} is not a CronJob\n`);
    return RUN_EXIT.usage;
  }

  // What the API server accepts but a jobkit program would get wrong (a count
  // that skips shards, a policy that retries bad input): refused before any pod.
  const problems = lintManifest(manifest, { local: true });
  if (problems.length > 0) {
    const name = values.filename === '-' ? '<stdin>' : values.filename;
    process.stderr.write(formatLintProblems(name, problems).replace(/^(?=.)/gm, 'jobkit run: '));
    if (problems.some((p) => p.severity === 'error')) {
      process.stderr.write('jobkit run: the manifest has errors (see jobkit lint); no pod was started\n');
      return RUN_EXIT.usage;
    }
  }

  if (values['control-plane'] === 'kube') {
    let fromCronJob: string | undefined;
    if (isCronJob) {
      // The real CronJob controller schedules on the real clock: only a manual run is offered.
      fromCronJob = values['from-cronjob'];
      const other = cronJobFlags.find((flag) => flag !== 'from-cronjob');
      if (fromCronJob === undefined || other !== undefined) {
        process.stderr.write(
          `jobkit run: --control-plane kube runs a CronJob only as one manual Job (--from-cronjob <name>)${other === undefined ? '' : `, not with --${other}`}; run its schedule on the emulator (the default)\n`,
        );
        return RUN_EXIT.usage;
      }
      try {
        jobNameError('from-cronjob', fromCronJob);
      } catch (err) {
        process.stderr.write(`jobkit run: ${(err as Error).message}\n`);
        return RUN_EXIT.usage;
      }
    }
    return await runOnKube({ manifest, kubeconfig: values.kubeconfig, quiet: values.quiet === true, common: options, fromCronJob });
  }

  if (isCronJob) {
    return await runCronJobCommand({ manifest, quiet: values.quiet === true, flags: values, common: options });
  }

  const recorder = timeline === undefined ? undefined : new TimelineRecorder();
  // The picture is most useful when the run went wrong: written on failure and on Ctrl-C too.
  const saveTimeline = (outcome: RecordedOutcome): void => {
    if (recorder === undefined || timeline === undefined || !recorder.started) return;
    const run = recorder.finish(outcome);
    try {
      writeTimelineFile(timeline, renderTimeline(run));
      if (values.quiet !== true) process.stderr.write(`jobkit run: timeline written to ${values.timeline} (${run.attempts.length} pod attempts)\n`);
    } catch (err) {
      process.stderr.write(`jobkit run: --timeline ${values.timeline}: cannot write the page: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}\n`);
    }
  };
  return await withInterrupts(async (signal) => {
    let result: LocalJobResult;
    try {
      result = await runObservedLocalJob({
        manifest,
        signal,
        sink: stderrSink({ quiet: values.quiet === true }),
        ...(recorder === undefined ? {} : { onCreated: (job) => recorder.jobCreated(job) }),
        ...(options.backoffScale === undefined ? {} : { backoffScale: options.backoffScale }),
        ...(options.seed === undefined ? {} : { seed: options.seed }),
        ...(options.chaosMaxDelayMs === undefined ? {} : { chaosMaxDelayMs: options.chaosMaxDelayMs }),
        chaos: options.chaos,
        suspension: options.suspension,
      }, recorder);
    } catch (err) {
      if (signal.aborted) saveTimeline('Interrupted');
      return reportRunError(err, signal);
    }
    saveTimeline(result.outcome);
    if (options.output !== undefined) process.stdout.write(formatJob(result.job, options.output));
    if (values.quiet !== true) process.stderr.write(`jobkit run: ${jobSummary(result)}\n`);
    return result.outcome === 'Complete' ? RUN_EXIT.complete : RUN_EXIT.failed;
  });
}

