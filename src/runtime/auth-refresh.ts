/**
 * `retry`'s `onAuthError`: the classic "401, re-read the token, retry", once
 * per call.
 */
import { isAuthError } from './auth-error.ts';

/**
 * Wrap `operation` so that its first authentication error (see
 * {@link isAuthError}) calls `refresh` and runs the same attempt again at
 * once; later auth errors pass through.
 *
 * @example
 * ```ts
 * const call = refreshOnceOnAuthError(() => api.call(token), async () => { token = await readToken(); });
 * await call(1);
 * ```
 */
export function refreshOnceOnAuthError<T>(
  operation: (attempt: number) => Promise<T> | T,
  refresh: (error: unknown) => Promise<void> | void,
  signal?: AbortSignal,
): (attempt: number) => Promise<T> {
  let refreshed = false;
  return async (attempt) => {
    try {
      return await operation(attempt);
    } catch (error) {
      if (refreshed || !isAuthError(error)) throw error;
      refreshed = true;
      await refresh(error);
      signal?.throwIfAborted();
      return await operation(attempt);
    }
  };
}
