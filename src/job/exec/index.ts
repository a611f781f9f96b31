/**
 * The supervisor for programs in any language: `jobkit exec` and `jobkit once`.
 */
export { executeCommand, superviseJob, type RunCommand } from './execute-command.ts';
export { executeOnce, type OnceRecord } from './execute-once.ts';
export { ChildExitError, childExitClass, childExitError, type ChildEnd } from './child-exit.ts';
export type { ChildCommand } from './run-child.ts';
export type { ExecOptions, LogMode, SignalTarget } from './types.ts';
export { DEFAULT_CGROUP_DIR, DEFAULT_CHECKPOINT_EVERY_SECONDS, DEFAULT_MAX_LINE_CHARS, LOG_MODES, SIGNAL_TARGETS } from './constants.ts';
