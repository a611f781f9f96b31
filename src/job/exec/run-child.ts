/**
 * One supervised run of the child inside a job: start it with the identity
 * env, forward the stop (SIGTERM/SIGINT, the deadline's SIGTERM) to it, SIGKILL
 * it when the grace budget is all but spent, and report how it ended.
 */
import { performance } from 'node:perf_hooks';
import type { Env } from '../../runtime/config.ts';
import { InterruptedError } from '../../runtime/errors.ts';
import { resolveLifecycleSettings } from '../../runtime/lifecycle.ts';
import type { JobContext } from '../run-job.ts';
import { childEnv } from './child-env.ts';
import type { ChildEnd } from './child-exit.ts';
import { type SupervisedChild, startChild } from './child-process.ts';
import type { ExecSettings } from './config.ts';
import { CHILD_KILL_RESERVE_MS } from './constants.ts';
import { resolveNodeScript } from './node-script.ts';
import { readOomKills } from './oom.ts';
import type { ExecOptions } from './types.ts';

/** What {@link runChild} runs. */
export interface ChildCommand {
  readonly command: string;
  readonly args: readonly string[];
}

/** Where the running child is kept, so the supervisor can SIGKILL its group after a forced exit. */
export interface ChildHolder {
  current: SupervisedChild | undefined;
}

/**
 * Run the child to its end inside `job` and say how it ended.
 *
 * @example
 * ```ts
 * await executeJob(async (job) => {
 *   const end = await runChild(job, { command: 'sh', args: ['-c', 'echo hi'] }, {}, resolveExecSettings(process.env, {}), { current: undefined });
 *   if (end.kind === 'exited' && end.code !== 0) throw childExitError(end);
 * });
 * ```
 */
export async function runChild(
  job: JobContext,
  cmd: ChildCommand,
  options: ExecOptions,
  exec: ExecSettings,
  holder: ChildHolder,
  extraEnv: Readonly<Record<string, string>> = {},
): Promise<ChildEnd> {
  const env: Env = options.env ?? process.env;
  const { cgroupDir } = exec;
  const settings = resolveLifecycleSettings(env, options);
  const oomBefore = await readOomKills(cgroupDir);
  if (process.pid === 1) {
    job.log.warn('jobkit exec runs as PID 1: orphaned grandchildren are not reaped (Node cannot wait for them); run it under tini, see docs/exec.md');
  }
  // Stopped before the start (a SIGTERM during start-up): the program is not started; runJob exits 143 / 124.
  if (job.signal.aborted) throw job.signal.reason instanceof Error ? job.signal.reason : new InterruptedError('stopped before the program started');
  // `jobkit exec -- job.js` (an old base image's CMD) runs the file with this Node.
  const started = resolveNodeScript(cmd, env);
  if (started.script !== undefined) job.log.info({ command: cmd.command, node: started.command }, `${cmd.command} is a JavaScript/TypeScript file, not a program: running it with node`);
  const child = await startChild({
    command: started.command,
    args: started.args,
    env: { ...childEnv(env, job.identity), ...extraEnv },
    logs: exec.logs,
    signalTo: exec.signalTo,
    maxLineChars: exec.maxLineChars,
    log: job.log,
  });
  holder.current = child;
  const startedAt = performance.now();
  job.log.info({ command: cmd.command, childPid: child.pid }, 'program started');

  let killTimer: NodeJS.Timeout | undefined;
  const onStop = (): void => {
    const reason: unknown = job.signal.reason;
    const signal: NodeJS.Signals = reason instanceof InterruptedError && /\bSIGINT\b/.test(reason.message) ? 'SIGINT' : 'SIGTERM';
    child.signal(signal);
    const killAfterMs = Math.max(0, settings.shutdownBudgetMs - Math.min(CHILD_KILL_RESERVE_MS, settings.shutdownBudgetMs / 5));
    job.log.info({ signal, signalTo: exec.signalTo, killAfterMs }, `sent ${signal} to the program`);
    killTimer = setTimeout(() => {
      job.log.warn({ killAfterMs }, 'the program outlived the grace budget: SIGKILL');
      child.killGroup();
    }, killAfterMs);
  };
  if (job.signal.aborted) onStop();
  else job.signal.addEventListener('abort', onStop, { once: true });
  try {
    const { code, signal } = await child.ended;
    const durationMs = Math.round(performance.now() - startedAt);
    if (signal !== null) {
      const oomAfter = signal === 'SIGKILL' ? await readOomKills(cgroupDir) : undefined;
      const oomKilled = oomBefore !== undefined && oomAfter !== undefined && oomAfter > oomBefore;
      job.log.info({ signal, durationMs, ...(oomKilled ? { oomKilled } : {}) }, `program ended by ${signal}${oomKilled ? ' (OOM-killed)' : ''}`);
      return { kind: 'signalled', signal, oomKilled };
    }
    job.log.info({ exitCode: code, durationMs }, `program exited ${code ?? 0}`);
    return { kind: 'exited', code: code ?? 0 };
  } finally {
    clearTimeout(killTimer);
    job.signal.removeEventListener('abort', onStop);
  }
}
