/**
 * Conditional writes whose failed condition is an answer, not an error.
 *
 * Every protocol on the store (checkpoint epochs and commits, idempotency
 * claims, shard plans, work-queue leases, garbage collection) writes with
 * If-None-Match: * or If-Match, and there a failed condition (412) means
 * "another writer got there first": the caller reads what won and decides.
 * These helpers hand that outcome back as a value, so losing the race is a
 * branch of the protocol rather than a catch block that must be careful to
 * rethrow everything else.
 */
import { PreconditionFailedError } from './errors.ts';
import type { DeleteOptions, ObjectStore, PutOptions } from './types.ts';

/** The write's condition was false: the object exists, or changed since it was read. */
export interface ConditionFailed {
  readonly ok: false;
  /** The store's error, for the `cause` of whatever the caller throws next. */
  readonly error: PreconditionFailedError;
}

/** How {@link tryPut} ended: written (with the new etag), or the condition failed. */
export type ConditionalPut = { readonly ok: true; readonly etag: string } | ConditionFailed;

/** How {@link tryDelete} ended: deleted, or the condition failed. */
export type ConditionalDelete = { readonly ok: true } | ConditionFailed;

async function unlessConditionFailed<T extends { readonly ok: true }>(write: () => Promise<T>): Promise<T | ConditionFailed> {
  try {
    return await write();
  } catch (err) {
    if (err instanceof PreconditionFailedError) return { ok: false, error: err };
    throw err;
  }
}

/**
 * `store.put` under a condition (`ifNoneMatch: '*'` or `ifMatch`), resolving
 * with `{ ok: false }` instead of throwing when the condition fails. Any other
 * error is thrown as it is.
 *
 * @example
 * ```ts
 * const created = await tryPut(store, key, body, { ifNoneMatch: '*' });
 * if (!created.ok) return await adoptTheWinner(key); // another pod created it first
 * ```
 */
export async function tryPut(store: ObjectStore, key: string, body: Uint8Array | string, options: PutOptions): Promise<ConditionalPut> {
  return await unlessConditionFailed(async () => ({ ok: true, etag: (await store.put(key, body, options)).etag }) as const);
}

/**
 * `store.delete` with `ifMatch`, resolving with `{ ok: false }` instead of
 * throwing when the object changed since it was read.
 *
 * @example
 * ```ts
 * const gone = await tryDelete(store, key, { ifMatch: read.info.etag });
 * if (!gone.ok) log.info({ key }, 'rewritten since it was read; kept');
 * ```
 */
export async function tryDelete(store: ObjectStore, key: string, options: DeleteOptions): Promise<ConditionalDelete> {
  return await unlessConditionFailed(async () => {
    await store.delete(key, options);
    return { ok: true } as const;
  });
}
