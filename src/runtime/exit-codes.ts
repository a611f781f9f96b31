/**
 * The exit-code contract: the single source of truth for how a jobkit process
 * ends, and for the podFailurePolicy that `jobkit manifest` generates.
 *
 * Error classes (errors.ts), the process exit code (lifecycle), the generated
 * podFailurePolicy (local/manifest) and docs/exit-codes.md are all derived from
 * {@link EXIT_CODE_TABLE}. A test keeps the doc in step with this table.
 *
 * Codes follow sysexits.h where one fits, and 128+signal for signals, so that
 * they read naturally in `kubectl describe pod`.
 */

/** The outcome classes a jobkit process can end with. */
export type ExitClass =
  | 'success'
  | 'retryable'
  | 'permanent'
  | 'configuration'
  | 'interrupted'
  | 'deadline'
  | 'fenced'
  | 'busy'
  | 'crash';

/**
 * What the Job controller should do with a pod that exited with a class's code.
 * - `Count`: a normal failure, counted against backoffLimit / backoffLimitPerIndex.
 * - `FailIndex`: this index can never succeed (per-index backoff only); FailJob otherwise.
 * - `FailJob`: the whole Job is wrong; stop every index.
 * - `Ignore`: not a failure of the work; do not burn a retry.
 * - `none`: success, no rule.
 */
export type PolicyAction = 'Count' | 'FailIndex' | 'FailJob' | 'Ignore' | 'none';

/** One row of the exit-code table. */
export interface ExitCodeEntry {
  /** The outcome class. */
  readonly exitClass: ExitClass;
  /** The process exit code (0..255). */
  readonly code: number;
  /** The podFailurePolicy action `jobkit manifest` generates for this code. */
  readonly action: PolicyAction;
  /** Name of the error class that carries this outcome. */
  readonly errorName: string;
  /** One line for humans: when this happens. */
  readonly meaning: string;
  /** What an operator should do about it. */
  readonly remedy: string;
  /**
   * Set when only programs that use a given feature can exit with this code
   * (the feature's name). `jobkit lint` and `jobkit run` then only warn when a
   * podFailurePolicy lacks the code's rule, so manifests written before the
   * feature existed keep running.
   */
  readonly optIn?: string;
}

/**
 * The table. Order is the documentation order.
 *
 * @example
 * ```ts
 * import { exitCodeFor } from 'jobkit';
 * process.exitCode = exitCodeFor('configuration'); // 78
 * ```
 */
export const EXIT_CODE_TABLE: readonly ExitCodeEntry[] = [
  {
    exitClass: 'success',
    code: 0,
    action: 'none',
    errorName: '-',
    meaning: 'The work of this pod (this index) is done.',
    remedy: 'Nothing. Never returned after an early stop.',
  },
  {
    exitClass: 'retryable',
    code: 75,
    action: 'Count',
    errorName: 'RetryableError',
    meaning: 'A transient failure outlived in-process retries: throttling, 5xx, network errors, timeouts.',
    remedy: 'None; the Job controller retries the pod within backoffLimit.',
  },
  {
    exitClass: 'permanent',
    code: 65,
    action: 'FailIndex',
    errorName: 'PermanentError',
    meaning: "This index's input can never succeed (bad data, validation error, 4xx).",
    remedy: 'Fix the input of the failed index; retrying the same input will not help.',
  },
  {
    exitClass: 'configuration',
    code: 78,
    action: 'FailJob',
    errorName: 'ConfigurationError',
    meaning: 'The Job itself is misconfigured (bad env value, bad option, unusable store).',
    remedy: 'Fix the manifest or the options named in the message; every index would fail the same way.',
  },
  {
    exitClass: 'interrupted',
    code: 143,
    action: 'Count',
    errorName: 'InterruptedError',
    meaning: 'Stopped by SIGTERM/SIGINT, or by the cloud\'s interruption notice ahead of it, after saving progress; the work is not finished.',
    remedy: 'None; a preemption carries DisruptionTarget and is ignored, other stops count as a retry.',
  },
  {
    exitClass: 'deadline',
    code: 124,
    action: 'Count',
    errorName: 'DeadlineExceededError',
    meaning: "jobkit's own deadline option expired after saving progress; the work is not finished.",
    remedy: 'Raise the deadline or make the work smaller; the next attempt resumes from the checkpoint.',
  },
  {
    exitClass: 'fenced',
    code: 73,
    action: 'Ignore',
    errorName: 'FencedError',
    meaning: 'Another pod owns this index (a newer attempt or a duplicate), or took over a lease this pod lost (a work-queue chunk, an idempotency key); this one stepped aside.',
    remedy: 'None; the owning pod finishes the index or the leased work. See "Lost leases" below.',
  },
  {
    exitClass: 'busy',
    code: 69,
    action: 'FailJob',
    errorName: 'ExclusiveBusyError',
    meaning: 'Another run holds the single-run guard (job.exclusive) and did not let go within its wait: a second run of the same CronJob, scheduled or manual.',
    remedy: 'None if the other run is doing the work; otherwise find the holder named in the message (retrying while it runs would only burn retries).',
    optIn: 'the single-run guard (job.exclusive, runJob({ exclusive }))',
  },
  {
    exitClass: 'crash',
    code: 70,
    action: 'Count',
    errorName: '(any unclassified error)',
    meaning: 'An unexpected error: a bug, an uncaught exception or rejection.',
    remedy: 'Read the fatal log line; the Job controller retries within backoffLimit.',
  },
];

const byClass = new Map<ExitClass, ExitCodeEntry>(EXIT_CODE_TABLE.map((e) => [e.exitClass, e]));

/**
 * The row of the table for an exit class.
 *
 * @example
 * ```ts
 * exitEntry('fenced').action; // 'Ignore'
 * ```
 */
export function exitEntry(exitClass: ExitClass): ExitCodeEntry {
  const entry = byClass.get(exitClass);
  if (entry === undefined) throw new TypeError(`unknown exit class: ${String(exitClass)}`);
  return entry;
}

/**
 * The process exit code for an exit class.
 *
 * @example
 * ```ts
 * exitCodeFor('retryable'); // 75
 * ```
 */
export function exitCodeFor(exitClass: ExitClass): number {
  return exitEntry(exitClass).code;
}

/**
 * The exit class of a process exit code, or undefined for a code jobkit never uses
 * (e.g. 137 after SIGKILL or an OOM kill).
 *
 * @example
 * ```ts
 * exitClassOf(73); // 'fenced'
 * ```
 */
export function exitClassOf(code: number): ExitClass | undefined {
  return EXIT_CODE_TABLE.find((e) => e.code === code)?.exitClass;
}
