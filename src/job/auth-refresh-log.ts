/**
 * `job.retry`'s `onAuthError`, logged: one `info` line naming the operation
 * and the error's class (never the error's fields, which may echo a token).
 */
import type { RetryOptions } from '../runtime/retry.ts';
import type { Logger } from '../telemetry/logger.ts';

/**
 * The `onAuthError` option to pass to retry, logging each refresh; `{}` when
 * the caller gave none.
 *
 * @example
 * ```ts
 * retry(fn, { ...options, ...withAuthRefreshLog(options.onAuthError, 'api.call', log) });
 * ```
 */
export function withAuthRefreshLog(
  onAuthError: RetryOptions['onAuthError'],
  operation: string,
  log: Logger,
): Pick<RetryOptions, 'onAuthError'> {
  if (onAuthError === undefined) return {};
  return {
    onAuthError: async (error) => {
      const name = error instanceof Error ? error.name : typeof error;
      log.info({ operation, errorName: name }, `${operation}: authentication refused, refreshing credentials and retrying once`);
      await onAuthError(error);
    },
  };
}
