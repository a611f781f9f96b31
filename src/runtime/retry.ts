/**
 * In-process retries of transient failures, on p-retry.
 *
 * Only errors the classifier calls `retryable` are retried (throttling, 5xx,
 * network errors, timeouts); anything else is rethrown at once, unchanged, so
 * a bad request is not hammered and a bug is not hidden. When the transient
 * failure outlives the attempts or the elapsed-time cap, the thrown error is
 * a RetryableError (cause attached): the process exits 75 and the Job
 * controller's own back-off takes over. An abort of `signal` (shutdown) stops
 * at once with the signal's reason.
 */
import pRetry from 'p-retry';
import { isTransientError } from './classify.ts';
import { checkOption } from './config.ts';
import { RetryableError } from './errors.ts';
import { refreshOnceOnAuthError } from './auth-refresh.ts';

/** Options of {@link retry}. */
export interface RetryOptions {
  /** Stops retrying (and the wait between attempts) when aborted; pass `job.signal`. */
  readonly signal?: AbortSignal;
  /** Retries after the first attempt. Default 5. */
  readonly retries?: number;
  /** Delay before the first retry, before jitter. Default 200 ms. */
  readonly minDelayMs?: number;
  /** Largest delay between two attempts. Default 10 s. */
  readonly maxDelayMs?: number;
  /** Growth of the delay per retry. Default 2. */
  readonly factor?: number;
  /**
   * Cap on the time spent retrying, from the first attempt. Default 60 s, so a
   * stuck dependency hands over to the Job controller instead of eating the
   * pod's whole deadline.
   */
  readonly maxElapsedMs?: number;
  /** Which errors to retry. Default: {@link isTransientError}. */
  readonly isRetryable?: (error: unknown) => boolean;
  /** Called before each wait, e.g. to log the failed attempt. */
  readonly onRetry?: (info: RetryInfo) => void;
  /**
   * Refresh credentials on an authentication error ({@link isAuthError}:
   * HTTP 401/403, `ExpiredToken`, `AccessDenied`...), then run the same
   * attempt again at once. Once per call: a second auth error is handled like
   * any other (a 401 is not retryable, so it is thrown). An error of the hook
   * itself is thrown as it is.
   *
   * @example
   * ```ts
   * await retry(() => api.call(token), { onAuthError: async () => { token = await secrets.get('api-token'); } });
   * ```
   */
  readonly onAuthError?: (error: unknown) => Promise<void> | void;
}

/** What {@link RetryOptions.onRetry} is told. */
export interface RetryInfo {
  readonly error: unknown;
  /** The attempt that failed, from 1. */
  readonly attempt: number;
  readonly retriesLeft: number;
  /** The wait before the next attempt. */
  readonly delayMs: number;
}

/**
 * Run `operation`, retrying transient failures with exponential back-off and
 * jitter.
 *
 * @throws RetryableError (with the last error as `cause`) when a transient
 *   failure persists; the operation's own error when it is not transient; the
 *   signal's reason when `signal` is aborted.
 * @example
 * ```ts
 * const body = await retry(
 *   async (attempt) => (await s3.send(new GetObjectCommand({ Bucket, Key }), { abortSignal: job.signal })).Body,
 *   { signal: job.signal, onRetry: ({ error, attempt }) => job.log.warn({ err: error, attempt }, 'GET failed, retrying') },
 * );
 * ```
 */
export async function retry<T>(operation: (attempt: number) => Promise<T> | T, options: RetryOptions = {}): Promise<T> {
  const retries = checkOption('retries', options.retries, { min: 0, integer: true }) ?? 5;
  const minDelayMs = checkOption('minDelayMs', options.minDelayMs, { min: 0 }) ?? 200;
  const maxDelayMs = checkOption('maxDelayMs', options.maxDelayMs, { min: 0 }) ?? 10_000;
  const factor = checkOption('factor', options.factor, { min: 1 }) ?? 2;
  const maxElapsedMs = checkOption('maxElapsedMs', options.maxElapsedMs, { min: 0 }) ?? 60_000;
  const isRetryable = options.isRetryable ?? isTransientError;
  const { signal, onRetry } = options;
  const started = performance.now();
  let attempts = 0;
  const run = options.onAuthError === undefined ? operation : refreshOnceOnAuthError(operation, options.onAuthError, signal);

  try {
    return await pRetry(
      (n) => {
        attempts = n;
        return run(n);
      },
      {
        retries,
        minTimeout: minDelayMs,
        maxTimeout: maxDelayMs,
        factor,
        randomize: true,
        maxRetryTime: maxElapsedMs,
        ...(signal === undefined ? {} : { signal }),
        shouldRetry: ({ error }) => isRetryable(error),
        onFailedAttempt: ({ error, attemptNumber, retriesLeft, retryDelay }) => {
          if (retryDelay > 0 && isRetryable(error)) onRetry?.({ error, attempt: attemptNumber, retriesLeft, delayMs: retryDelay });
        },
      },
    );
  } catch (error) {
    if (signal?.aborted === true || !isRetryable(error)) throw error;
    const elapsed = Math.round(performance.now() - started);
    const message = error instanceof Error ? error.message : String(error);
    throw new RetryableError(`gave up after ${attempts} attempt(s) in ${elapsed} ms: ${message}`, { cause: error });
  }
}
