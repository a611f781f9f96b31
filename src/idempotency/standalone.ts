/**
 * The standalone forms, for code outside runJob (a script, a test, a
 * service). Each call takes its whole configuration: there is no hidden
 * process-wide ledger whose first configuration would silently win.
 */
import type { WrapOptions } from './ledger.ts';
import { createIdempotency } from './ledger.ts';
import type { IdempotencyOptions, IdempotentFunction, RunOptions } from './types.ts';

/**
 * Run `fn` at most once for `key` (see `IdempotencyLedger.run`).
 *
 * @example
 * ```ts
 * import { idempotent } from 'jobkit';
 * import { FsStore } from 'jobkit/store';
 * const store = new FsStore('/var/lib/app/store');
 * await idempotent('migrate-2026-11', () => migrate(), { store, scope: 'migrations' });
 * ```
 */
export async function idempotent<T>(key: string, fn: IdempotentFunction<T>, options: IdempotencyOptions & RunOptions): Promise<T> {
  return await createIdempotency(options).run(key, fn, options);
}

/**
 * Make a function idempotent, with keys derived from its arguments (see
 * `IdempotencyLedger.wrap`). One ledger serves every call of the
 * returned function, so its cache works across calls.
 *
 * @example
 * ```ts
 * const charge = idempotentFn((orderId: string, cents: number) => psp.charge(orderId, cents), {
 *   store, scope: 'payments', name: 'charge', key: (orderId) => `charge-${orderId}`,
 * });
 * await charge('o-1', 500);
 * await charge('o-1', 700); // IdempotencyPayloadMismatchError: same key, other arguments
 * ```
 */
export function idempotentFn<A extends readonly unknown[], T>(
  fn: (...args: A) => Promise<T> | T,
  options: IdempotencyOptions & WrapOptions<A>,
): (...args: A) => Promise<T> {
  return createIdempotency(options).wrap(fn, options);
}
