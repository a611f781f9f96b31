/** The one sleep of the limiter: abortable, and it leaves no timer or listener behind. */

/**
 * Resolve after `ms`, or reject with the signal's reason as soon as it
 * aborts. Either way the timer is cleared and the abort listener removed, so
 * nothing outlives the wait. The timer holds the process while a caller
 * awaits it (an unref'd one would let Node exit in the middle of `main`).
 *
 * @example
 * ```ts
 * await abortableSleep(250, job.signal); // rejects at once on SIGTERM
 * ```
 */
export function abortableSleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (signal?.aborted === true) return Promise.reject(abortReason(signal));
  return new Promise((resolve, reject) => {
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(abortReason(signal));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, Math.max(0, Math.ceil(ms)));
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** The signal's reason when it is an Error (runJob's is), else an AbortError carrying it. */
function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('The operation was aborted.', 'AbortError');
}
