/**
 * SIGINT/SIGTERM handling of the long-running commands: the first signal
 * aborts the work (every pod is killed), and the command exits 130.
 */

/** The exit status after an interrupt, as a shell reports a SIGINT-ed command. */
export const INTERRUPTED_EXIT = 130;

/**
 * Runs `work` with a signal that SIGINT or SIGTERM aborts.
 *
 * @example
 * ```ts
 * const status = await withInterrupts((signal) => runLocalJob({ manifest, signal }).then(() => 0));
 * ```
 */
export async function withInterrupts<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const abort = new AbortController();
  const onSignal = (signal: NodeJS.Signals): void => abort.abort(new Error(`interrupted by ${signal}`));
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    return await work(abort.signal);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}
