/**
 * The supervisor's side of the push handshake with a jobkit SDK program
 * (src/telemetry/exec-control.ts, docs/exec.md "A jobkit SDK program under
 * the supervisor"): when the supervisor pushes to a Pushgateway, the program
 * gets `JOBKIT_EXEC_CONTROL`, a file in a private temporary directory. Once a
 * jobkit SDK program pushing to the same group announced itself there, the
 * supervisor's periodic pushes stop; at the end, its final push is skipped
 * when every such program's final push was accepted, and is a POST of the
 * outcome families only (exit code, class, end time, duration) when one died
 * before it (SIGKILL, OOM kill, a crash before the push), so the group keeps
 * the program's own families and still shows how it ended. A program that
 * never announces itself (any non-SDK program) changes nothing.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Env } from '../../runtime/config.ts';
import { EXEC_CONTROL_ENV, type ExecControlState, finalPlanOf, readExecControl } from '../../telemetry/exec-control.ts';
import { pushHandoffSlot } from '../../telemetry/pushgateway.ts';
import type { JobContext } from '../run-job.ts';

/** One child's control file. */
export interface PushControl {
  /** What the child's environment gets (the variable, or an inherited one blanked). */
  readonly childEnv: Readonly<Record<string, string>>;
  /** The child and its group ended: read the file a last time, then remove it. Idempotent. */
  childEnded(): void;
}

/**
 * Open the control file for the next child, and steer the job's pusher by it.
 *
 * @example
 * ```ts
 * const control = openPushControl(job, process.env);
 * try {
 *   await runChild(job, cmd, options, exec, holder, control.childEnv);
 * } finally {
 *   control.childEnded();
 * }
 * ```
 */
export function openPushControl(job: JobContext, env: Env): PushControl {
  // An outer supervisor's path is not this child's: this supervisor is the SDK program the outer one sees.
  const inherited: Record<string, string> = env[EXEC_CONTROL_ENV] === undefined ? {} : { [EXEC_CONTROL_ENV]: '' };
  const slot = pushHandoffSlot(job.metrics);
  if (slot === undefined) return { childEnv: inherited, childEnded: () => {} };
  let dir: string;
  let path: string;
  try {
    dir = mkdtempSync(join(tmpdir(), 'jobkit-exec-'));
    path = join(dir, 'control');
    writeFileSync(path, '', { mode: 0o600 });
  } catch (err) {
    job.log.warn({ err }, 'cannot create the jobkit exec control file (is the temp dir writable?): a jobkit SDK program\'s pushes will be overwritten by the supervisor\'s');
    return { childEnv: inherited, childEnded: () => {} };
  }
  let ended: ExecControlState | undefined;
  let announced = false;
  const state = (): ExecControlState => ended ?? readExecControl(path, slot.displayUrl);
  slot.handoff = {
    pausePeriodic: () => {
      if (announced) return true;
      const started = state().started;
      if (started.size === 0) return false;
      announced = true;
      job.log.info({ childPids: [...started] }, 'a jobkit SDK program pushes to this Pushgateway group: the supervisor\'s periodic pushes stop');
      return true;
    },
    finalPlan: () => finalPlanOf(state()),
  };
  return {
    childEnv: { [EXEC_CONTROL_ENV]: path },
    childEnded: () => {
      if (ended !== undefined) return;
      ended = readExecControl(path, slot.displayUrl);
      rmSync(dir, { recursive: true, force: true });
      if (finalPlanOf(ended) === 'outcome') {
        job.log.info({ childPids: [...ended.started].filter((pid) => !ended?.pushedFinal.has(pid)) }, 'the jobkit SDK program ended without its final push: the supervisor pushes its outcome into the group');
      }
    },
  };
}
