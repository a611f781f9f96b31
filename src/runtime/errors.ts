/**
 * Typed errors, one per outcome class of the exit-code table. Throwing one of
 * these from job code (or from a jobkit module) decides the exit code; anything
 * else goes through the classifier (classify.ts).
 */
import { type ExitClass, exitCodeFor } from './exit-codes.ts';
import type { InterruptionNotice } from './interruption/types.ts';

/** Options shared by every jobkit error. */
export interface JobkitErrorOptions {
  /** The underlying error. */
  cause?: unknown;
}

/**
 * Base class of every jobkit error. `exitClass` maps it to the exit-code table.
 *
 * @example
 * ```ts
 * try { await work(); } catch (err) {
 *   if (err instanceof JobkitError) console.log(err.exitClass, err.exitCode);
 * }
 * ```
 */
export abstract class JobkitError extends Error {
  /** The exit class this error ends the process with. */
  abstract readonly exitClass: ExitClass;

  constructor(message: string, options?: JobkitErrorOptions) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
  }

  /** The process exit code for this error. */
  get exitCode(): number {
    return exitCodeFor(this.exitClass);
  }
}

/**
 * A transient failure (throttling, 5xx, network, timeout). Retried in process by
 * `retry()`; when retries give up the pod exits 75 and the Job controller retries.
 *
 * @example
 * ```ts
 * if (res.status === 503) throw new RetryableError('upstream unavailable (503)');
 * ```
 */
export class RetryableError extends JobkitError {
  readonly exitClass = 'retryable';
}

/**
 * This index's input can never succeed. Exits 65; the generated podFailurePolicy
 * fails the index (FailIndex) instead of retrying it.
 *
 * @example
 * ```ts
 * if (!row.id) throw new PermanentError(`row ${n} of ${file} has no id`);
 * ```
 */
export class PermanentError extends JobkitError {
  readonly exitClass = 'permanent';
}

/**
 * The Job is misconfigured. Exits 78; the generated podFailurePolicy fails the
 * whole Job. The message names the variable or option and its value.
 *
 * @example
 * ```ts
 * throw new ConfigurationError('JOBKIT_COUNT must be an integer >= 1, got "abc"');
 * ```
 */
export class ConfigurationError extends JobkitError {
  readonly exitClass = 'configuration';
}

/**
 * The process was stopped by SIGTERM/SIGINT before its work was done. Exits 143,
 * never 0: an early stop must not mark the index complete.
 *
 * @example
 * ```ts
 * if (job.signal.aborted) throw new InterruptedError('stopped at item 42');
 * ```
 */
export class InterruptedError extends JobkitError {
  readonly exitClass = 'interrupted';
}

/**
 * The cloud announced that this machine is about to be taken away (a spot
 * interruption notice, a preemption, a scheduled termination), before the
 * kubelet's SIGTERM. `job.signal.reason` is one of these when the job was
 * stopped by a notice; it is an {@link InterruptedError}, so it exits 143 like
 * a SIGTERM, and the real SIGTERM that follows does not change that.
 *
 * @example
 * ```ts
 * job.signal.addEventListener('abort', () => {
 *   const reason: unknown = job.signal.reason;
 *   if (reason instanceof InterruptionNoticeError) job.log.warn({ at: reason.notice.time }, 'preempted soon');
 * });
 * ```
 */
export class InterruptionNoticeError extends InterruptedError {
  /** What the metadata service announced. */
  readonly notice: InterruptionNotice;

  constructor(notice: InterruptionNotice, options?: JobkitErrorOptions) {
    const at = notice.time === undefined ? '' : ` for ${notice.time.toISOString()}`;
    super(`${notice.provider} interruption notice (${notice.kind}: ${notice.action}${at})`, options);
    this.notice = notice;
  }
}

/**
 * jobkit's deadline option expired before the work was done. Exits 124.
 *
 * @example
 * ```ts
 * throw new DeadlineExceededError('deadline of 600000 ms exceeded');
 * ```
 */
export class DeadlineExceededError extends JobkitError {
  readonly exitClass = 'deadline';
}

/**
 * Another pod owns this index (a newer attempt or a duplicate pod): this writer
 * must not commit. Exits 73; the generated podFailurePolicy ignores it.
 *
 * @example
 * ```ts
 * throw new FencedError('checkpoint epoch 4 superseded by epoch 5');
 * ```
 */
export class FencedError extends JobkitError {
  readonly exitClass = 'fenced';
}
