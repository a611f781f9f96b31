/**
 * Defaults of `jobkit exec` (the supervisor of a program in any language).
 */

/**
 * The longest log line taken from the child, in characters (UTF-16 units). A
 * longer line is split into pieces of this length, each logged with a
 * `linePart` field, so one runaway line cannot exhaust memory or the log
 * pipeline's line limit (Docker and containerd split at 16 KiB, Loki refuses
 * lines above 256 KiB by default).
 *
 * @default 65 536 (64 Ki)
 */
export const DEFAULT_MAX_LINE_CHARS = 65_536;

/**
 * The cgroup v2 directory whose `memory.events` tells an OOM kill from any
 * other SIGKILL: in a container, its own cgroup is mounted there.
 *
 * @default '/sys/fs/cgroup'
 */
export const DEFAULT_CGROUP_DIR = '/sys/fs/cgroup';

/**
 * Time kept free, out of the shutdown budget, between the child's SIGKILL and
 * the supervisor's forced exit: the final push, the trace flush and the log
 * flush run in it. A fifth of the budget, at most this much.
 *
 * @default 2 000 ms
 */
export const CHILD_KILL_RESERVE_MS = 2_000;

/**
 * How long the supervisor waits for the child's stdout and stderr to close
 * after the child (and its process group) ended, before it flushes what it
 * has: a pipe held open by a process outside the group must not hold the exit.
 *
 * @default 1 000 ms
 */
export const STREAM_DRAIN_MS = 1_000;

/** Where the child's signals go: its process group (grandchildren too) or the child alone. */
export const SIGNAL_TARGETS = ['group', 'child'] as const;

/** How the child's output is written: wrapped as jobkit JSON log lines, or passed through untouched. */
export const LOG_MODES = ['json', 'raw'] as const;

/**
 * Seconds between two saves of `--checkpoint-dir` while the program runs
 * (besides the saves it asks for and the final one after it ended): at most
 * this much work is redone after a SIGKILL. `0` saves only on request and at
 * the end.
 *
 * @default 300 (5 minutes)
 */
export const DEFAULT_CHECKPOINT_EVERY_SECONDS = 300;

/**
 * How often the supervisor looks for `$JOBKIT_CHECKPOINT_REQUEST`.
 *
 * @default 200 ms
 */
export const DIR_REQUEST_POLL_MS = 200;

/**
 * After a failed directory save, the request file is looked at again only
 * this much later (a program that keeps writing, or a store that is down,
 * must not turn the poll into a busy loop).
 *
 * @default 1 000 ms
 */
export const DIR_RETRY_AFTER_FAILURE_MS = 1_000;
