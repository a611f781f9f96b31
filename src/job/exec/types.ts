/**
 * Options of the supervisor (`jobkit exec`, `jobkit once`).
 */
import type { RunJobOptions } from '../run-job.ts';
import type { LOG_MODES, SIGNAL_TARGETS } from './constants.ts';

/** Where forwarded signals go. */
export type SignalTarget = (typeof SIGNAL_TARGETS)[number];

/** How the child's stdout and stderr are written. */
export type LogMode = (typeof LOG_MODES)[number];

/**
 * Options of {@link executeCommand}: the job's options (env, grace period,
 * deadline, telemetry) plus the supervisor's own.
 *
 * @example
 * ```ts
 * const options: ExecOptions = { signalTo: 'child', logs: 'raw', passExitCodes: true };
 * ```
 */
export interface ExecOptions extends Omit<RunJobOptions, 'exclusive' | 'signals'> {
  /**
   * Where SIGTERM/SIGINT (and the deadline's SIGTERM) are sent: the child's
   * process group (it is spawned in a group of its own) or the child alone.
   * The group is SIGKILLed when the child ends either way.
   * @default 'group'
   */
  readonly signalTo?: SignalTarget;
  /**
   * `json`: each line of the child becomes a jobkit log line with the
   * identity; `raw`: stdout and stderr are the supervisor's own, untouched.
   * @default 'json'
   */
  readonly logs?: LogMode;
  /**
   * Exit with the child's own non-zero code when it is not in the exit-code
   * table (instead of the crash code 70).
   * @default false
   */
  readonly passExitCodes?: boolean;
  /**
   * The cgroup v2 directory whose `memory.events` `oom_kill` counter tells
   * an OOM kill. Env: JOBKIT_EXEC_CGROUP_DIR.
   * @default {@link DEFAULT_CGROUP_DIR} ('/sys/fs/cgroup')
   */
  readonly cgroupDir?: string;
  /**
   * The longest log line in characters; longer ones are split.
   * @default {@link DEFAULT_MAX_LINE_CHARS} (65 536)
   */
  readonly maxLineChars?: number;
  /**
   * A directory the program keeps its state in, restored from the job's
   * latest checkpoint before it starts and saved as a checkpoint while it
   * runs and after it ended (docs/exec.md, "Directory checkpoints"). A
   * relative path is resolved against the working directory. Env:
   * JOBKIT_EXEC_CHECKPOINT_DIR.
   * @default undefined (no directory checkpoint)
   */
  readonly checkpointDir?: string;
  /**
   * Seconds between saves of `checkpointDir` while the program runs; `0`:
   * only on request and after the program ended. Env:
   * JOBKIT_EXEC_CHECKPOINT_EVERY.
   * @default {@link DEFAULT_CHECKPOINT_EVERY_SECONDS} (300)
   */
  readonly checkpointEverySeconds?: number;
}
