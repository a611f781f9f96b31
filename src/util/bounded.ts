/**
 * A bounded-concurrency map: never more than `concurrency` calls in flight,
 * whatever the number of items. Unbounded parallel store requests starve
 * sockets in the AWS SDK, and parallel uploads of large parts multiply memory,
 * so every loop that fans out over keys or parts goes through this one.
 */

/**
 * Map `items` through `fn` with at most `concurrency` calls running; results
 * in input order. After the first failure no new call starts, and the failure
 * is thrown once the running calls have settled (so nothing is left running
 * behind the caller's back). With `signal`, an abort stops launching new calls
 * the same way and throws the signal's reason.
 *
 * @example
 * ```ts
 * const sizes = await mapBounded(keys, 8, async (k) => (await store.head(k))?.size ?? 0);
 * ```
 */
export async function mapBounded<I, O>(
  items: readonly I[],
  concurrency: number,
  fn: (item: I, index: number) => Promise<O>,
  signal?: AbortSignal,
): Promise<O[]> {
  const results = new Array<O>(items.length);
  let next = 0;
  let failure: { readonly error: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      if (signal?.aborted === true) {
        failure ??= { error: signal.reason };
        return;
      }
      const index = next++;
      try {
        results[index] = await fn(items[index] as I, index);
      } catch (error) {
        failure ??= { error };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  if (failure !== undefined) throw failure.error;
  return results;
}
