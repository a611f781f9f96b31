/**
 * The waiters of one limiter, served first come, first served by a single
 * timer: a caller that asked first gets its tokens first, however many wait,
 * and a hundred waiting callers cost one timer, not a hundred.
 */
import type { TokenBucket } from './bucket.ts';

/** Options of {@link createWaitQueue}. */
export interface WaitQueueOptions {
  readonly bucket: TokenBucket;
  /** The monotonic clock, in milliseconds. */
  readonly now: () => number;
  /** An abortable sleep (the queue aborts it to re-read the bucket, or when nobody waits any more). */
  readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

/** A FIFO of callers waiting for tokens. */
export interface WaitQueue {
  /**
   * Resolve once `n` tokens are taken for this caller (at once when nobody
   * waits and the bucket has them), or reject with `signal`'s reason when it
   * aborts first; an aborted caller leaves the queue at once.
   */
  take(n: number, signal: AbortSignal | undefined): Promise<void>;
  /** Callers waiting now. */
  readonly length: number;
}

interface Waiter {
  readonly n: number;
  readonly resolve: () => void;
}

/**
 * Make the wait queue of a bucket.
 *
 * @example
 * ```ts
 * const queue = createWaitQueue({ bucket, now: () => performance.now(), sleep: abortableSleep });
 * await queue.take(1, job.signal);
 * ```
 */
export function createWaitQueue(options: WaitQueueOptions): WaitQueue {
  const { bucket, now, sleep } = options;
  const waiters: Waiter[] = [];
  let pumping = false;
  let timer: AbortController | undefined;

  const pump = async (): Promise<void> => {
    pumping = true;
    try {
      for (let head = waiters[0]; head !== undefined; head = waiters[0]) {
        const wait = bucket.tryTake(head.n, now());
        if (wait === 0) {
          waiters.shift();
          head.resolve();
          continue;
        }
        timer = new AbortController();
        // Aborted when the queue changes under it (a caller left): not an error.
        await sleep(wait, timer.signal).catch(() => undefined);
        timer = undefined;
      }
    } finally {
      pumping = false;
    }
  };

  return {
    get length() {
      return waiters.length;
    },
    take(n, signal) {
      if (signal?.aborted === true) return Promise.reject(abortError(signal));
      if (waiters.length === 0 && bucket.tryTake(n, now()) === 0) return Promise.resolve();
      return new Promise<void>((resolve, reject) => {
        const onAbort = (): void => {
          const at = waiters.indexOf(waiter);
          if (at >= 0) waiters.splice(at, 1);
          // Re-read the bucket for the next caller, or clear the timer when nobody is left.
          timer?.abort();
          reject(abortError(signal));
        };
        const waiter: Waiter = {
          n,
          resolve: () => {
            signal?.removeEventListener('abort', onAbort);
            resolve();
          },
        };
        waiters.push(waiter);
        signal?.addEventListener('abort', onAbort, { once: true });
        if (!pumping) void pump();
      });
    },
  };
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('The operation was aborted.', 'AbortError');
}
