/**
 * "Checkpoint now" from outside: a signal (SIGUSR1 by default,
 * JOBKIT_CHECKPOINT_SIGNAL) asks the job's checkpointer for a save at its next
 * safe point, for a scheduler that wants to preempt cooperatively. The handler
 * only flags: the request is handled on the next turn of the event loop.
 *
 * Listening to SIGUSR1 also keeps Node from starting its inspector on it
 * (Node's default for SIGUSR1, which would open 127.0.0.1:9229 in the pod).
 */
import type { CheckpointSignal } from '../checkpoint/config.ts';
import type { Logger } from '../telemetry/logger.ts';
import type { Lifecycle } from '../runtime/types.ts';

/** What {@link listenForCheckpointSignal} needs. */
export interface CheckpointSignalDeps {
  readonly signal: CheckpointSignal;
  readonly log: Logger;
  readonly lifecycle: Lifecycle;
  /**
   * Ask the checkpointer for a save; undefined when no checkpointer was
   * built (so nothing can be tracked).
   */
  request(reason: string): boolean | undefined;
}

/**
 * Listen for the checkpoint signal until the job's shutdown ends; returns the
 * function that stops listening.
 *
 * @example
 * ```ts
 * listenForCheckpointSignal({ signal: 'SIGUSR1', log, lifecycle, request: (reason) => checkpoint?.requestSave(reason) });
 * // kill -USR1 <pid>  ->  "checkpoint requested: saving at the next progress()"
 * ```
 */
export function listenForCheckpointSignal(deps: CheckpointSignalDeps): () => void {
  const { signal, log, lifecycle } = deps;
  if (signal === 'off') return () => undefined;
  const handle = (): void => {
    if (lifecycle.signal.aborted) {
      log.info({ signal }, `received ${signal}: the job is stopping, its final checkpoint is saved anyway`);
      return;
    }
    log.info({ signal }, `received ${signal}: checkpoint requested`);
    if (deps.request(signal) === undefined) {
      log.warn({ signal }, 'checkpoint requested, but nothing is tracked (call job.checkpoint.track()): cannot save');
    }
  };
  const onSignal = (): void => {
    setImmediate(handle);
  };
  process.on(signal, onSignal);
  let listening = true;
  const stop = (): void => {
    if (!listening) return;
    listening = false;
    process.off(signal, onSignal);
  };
  // The last phase: a request during the shutdown is still answered (by the line above), not by Node's inspector.
  lifecycle.onShutdown({ name: 'checkpoint.signal', phase: 'logs', budgetMs: 1_000, run: () => Promise.resolve(stop()) });
  return stop;
}
