/**
 * The ledger's batch methods: check, claim or run many keys with a bound on
 * the store requests in flight (util/bounded.ts), results in input order. A
 * batch is nothing but the single-key calls, so every guarantee of `run`,
 * `check` and `claim` holds for each key of it.
 */
import { checkOption } from '../runtime/config.ts';
import { mapBounded } from '../util/bounded.ts';
import { DEFAULT_BATCH_CONCURRENCY } from './constants.ts';
import type { ClaimOutcome, IdempotencyClaim, IdempotentFunction, KeyState, RunOptions } from './types.ts';

/** Options of the batch methods. */
export interface BatchOptions extends RunOptions {
  /**
   * Keys handled at once (store requests in flight).
   *
   * @default {@link DEFAULT_BATCH_CONCURRENCY} (16)
   */
  readonly concurrency?: number;
}

/** The single-key calls a batch is made of (the ledger's own). */
export interface SingleKeyCalls {
  check(key: string, options: RunOptions): Promise<KeyState>;
  claim(key: string, options: RunOptions): Promise<ClaimOutcome>;
  run<T>(key: string, fn: IdempotentFunction<T>, options: RunOptions): Promise<T>;
}

function concurrencyOf(options: BatchOptions): number {
  return checkOption('concurrency', options.concurrency, { min: 1, integer: true }) ?? DEFAULT_BATCH_CONCURRENCY;
}

/**
 * `check` for every key, at most `concurrency` at once. `signal` (the call's
 * combined with the ledger's) stops launching new checks.
 *
 * @example
 * ```ts
 * const states = await checkMany(ledger, keys, { concurrency: 32 }, job.signal);
 * ```
 */
export async function checkMany(calls: SingleKeyCalls, keys: readonly string[], options: BatchOptions, signal: AbortSignal | undefined): Promise<KeyState[]> {
  return await mapBounded(keys, concurrencyOf(options), (key) => calls.check(key, options), signal);
}

/**
 * `claim` for every key, at most `concurrency` at once. If one claim fails,
 * the claims already won are released before the error is thrown: the caller
 * never sees them, so nobody else would settle them.
 *
 * @example
 * ```ts
 * const outcomes = await claimMany(ledger, keys, {}, job.signal);
 * ```
 */
export async function claimMany(calls: SingleKeyCalls, keys: readonly string[], options: BatchOptions, signal: AbortSignal | undefined): Promise<ClaimOutcome[]> {
  const won: IdempotencyClaim[] = [];
  try {
    return await mapBounded(
      keys,
      concurrencyOf(options),
      async (key) => {
        const outcome = await calls.claim(key, options);
        if (outcome.status === 'claimed') won.push(outcome.claim);
        return outcome;
      },
      signal,
    );
  } catch (err) {
    await Promise.all(won.map((c) => c.release()));
    throw err;
  }
}

/**
 * `run` for every item, at most `concurrency` at once, each under
 * `keyOf(item)` with `payloadOf(item)` as its payload; results in item order.
 *
 * @example
 * ```ts
 * const ids = await runMany(ledger, rows, (r) => `row-${r.id}`, (r, { signal }) => db.insert(r, { signal }), {}, job.signal);
 * ```
 */
export async function runMany<I, T>(
  calls: SingleKeyCalls,
  items: readonly I[],
  keyOf: (item: I) => string,
  fn: (item: I, context: Parameters<IdempotentFunction<T>>[0]) => Promise<T> | T,
  options: BatchOptions & { readonly payloadOf?: (item: I) => unknown },
  signal: AbortSignal | undefined,
): Promise<T[]> {
  const { payloadOf, ...rest } = options;
  return await mapBounded(
    items,
    concurrencyOf(options),
    (item) => calls.run(keyOf(item), (context) => fn(item, context), { ...rest, payload: payloadOf?.(item) }),
    signal,
  );
}
