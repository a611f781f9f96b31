/**
 * `jobkit exec` as a function: the program runs as the job's `main` under
 * {@link executeJob}, so identity, signals and grace budget, deadline,
 * Pushgateway pushes, the root span and the exit-code rules are runJob's own.
 */
import pino from 'pino';
import { exitClassOf, exitCodeFor } from '../../runtime/exit-codes.ts';
import { type JobContext, executeJob } from '../run-job.ts';
import { type ChildEnd, childExitError } from './child-exit.ts';
import { type ExecSettings, resolveExecSettings } from './config.ts';
import { prepareDirCheckpoint } from './dir-checkpoint.ts';
import { spoolDirOf } from './dir-restore.ts';
import { openPushControl } from './push-control.ts';
import { type ChildCommand, type ChildHolder, runChild } from './run-child.ts';
import type { ExecOptions } from './types.ts';

/** Runs a command as the supervised child; throws a {@link ChildExitError} when it did not succeed. */
export type RunCommand = (cmd: ChildCommand) => Promise<void>;

/**
 * Supervise `command` until it ends and resolve with the supervisor's exit
 * code (docs/exec.md). Never leaves a process of the child's group running.
 *
 * @example
 * ```ts
 * process.exitCode = await executeCommand({ command: 'python', args: ['etl.py'] }, { deadlineSeconds: 3_600 });
 * ```
 */
export async function executeCommand(cmd: ChildCommand, options: ExecOptions = {}): Promise<number> {
  return await superviseJob(options, async (_job, run) => await run(cmd));
}

/**
 * Run `main` as a job, with `run` to start the supervised child, and apply
 * the supervisor's rules around it: the child's group is SIGKILLed whatever
 * happened, and with `passExitCodes` a child's own code outside the table
 * replaces the crash code.
 *
 * @example
 * ```ts
 * const code = await superviseJob({}, async (job, run) => {
 *   job.log.info('before');
 *   await run({ command: 'make', args: ['all'] });
 * });
 * ```
 */
export async function superviseJob(options: ExecOptions, main: (job: JobContext, run: RunCommand) => Promise<void>): Promise<number> {
  const holder: ChildHolder = { current: undefined };
  let end: ChildEnd | undefined;
  let settings: ExecSettings | undefined;
  const { signalTo: _s, logs: _l, passExitCodes: _p, cgroupDir: _c, maxLineChars: _m, checkpointDir: _d, checkpointEverySeconds: _e, ...rest } = options;
  const jobOptions = jobOptionsFor(rest, settingsBeforeStart(options));
  try {
    const code = await executeJob(async (job) => {
      // Read in main, after the identity: a bad value is logged with it and exits 78 before the child starts.
      const exec = resolveExecSettings(options.env ?? process.env, options);
      settings = exec;
      await main(job, async (cmd) => {
        const { checkpointDir } = exec;
        const dirCheckpoint =
          checkpointDir === undefined
            ? undefined
            : await prepareDirCheckpoint({
                dir: checkpointDir,
                everySeconds: exec.checkpointEverySeconds,
                checkpoint: job.checkpoint,
                log: job.log,
                stopSignal: job.signal,
              });
        dirCheckpoint?.start();
        const pushControl = openPushControl(job, options.env ?? process.env);
        try {
          end = await runChild(job, cmd, options, exec, holder, { ...dirCheckpoint?.childEnv, ...pushControl.childEnv });
        } finally {
          pushControl.childEnded();
          await dirCheckpoint?.stop();
        }
        const error = childExitError(end);
        if (error !== undefined) throw error;
      });
    }, jobOptions);
    const last = end;
    if (settings?.passExitCodes === true && code === exitCodeFor('crash') && last?.kind === 'exited' && exitClassOf(last.code) === undefined) return last.code;
    return code;
  } finally {
    holder.current?.killGroup();
  }
}

/**
 * The supervisor's settings as far as they can be read before the job starts,
 * for what must be decided before its logger and checkpointer exist; undefined
 * when a value is bad (reported in main, with the identity, exit 78).
 */
function settingsBeforeStart(options: ExecOptions): ExecSettings | undefined {
  try {
    return resolveExecSettings(options.env ?? process.env, options);
  } catch {
    return undefined;
  }
}

/**
 * runJob's options for the supervisor: with raw logs the program owns stdout,
 * so the supervisor's own lines go to stderr and never land inside a line of
 * the program's output; with a checkpoint directory, loaded parts are spooled
 * next to it (none kept in memory, whatever the number of files), so a
 * restore renames them into place.
 */
function jobOptionsFor(jobOptions: Omit<ExecOptions, keyof ExecSettings>, early: ExecSettings | undefined): Omit<ExecOptions, keyof ExecSettings> {
  let result = jobOptions;
  if (early?.logs === 'raw' && result.logger?.destination === undefined) {
    result = { ...result, logger: { ...result.logger, destination: pino.destination({ dest: 2, sync: true }) } };
  }
  if (early?.checkpointDir !== undefined) {
    result = { ...result, checkpoint: { inMemoryMaxBytes: 0, spoolDir: spoolDirOf(early.checkpointDir), ...result.checkpoint } };
  }
  return result;
}
