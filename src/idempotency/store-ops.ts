/**
 * The two store operations the ledger needs, with transient failures
 * (throttling, 5xx, network) retried in process. A lost response is safe to
 * retry: every record carries its owner's token, so a retried write that
 * finds "its own" record (412 after an unseen success) is recognised by the
 * caller on the next read.
 */
import { retry } from '../runtime/retry.ts';
import { type ConditionalPut, tryPut } from '../store/conditional.ts';
import type { ObjectStore, PutOptions } from '../store/types.ts';
import { decodeRecord, type IdempotencyRecord } from './format.ts';

/** A record and the etag it was read or written with. */
export interface VersionedRecord<R extends IdempotencyRecord = IdempotencyRecord> {
  readonly record: R;
  readonly etag: string;
}

/**
 * Read and decode a record; undefined when there is none.
 *
 * @example
 * ```ts
 * const current = await readRecord(store, storeKey, signal);
 * ```
 */
export async function readRecord(store: ObjectStore, storeKey: string, signal?: AbortSignal): Promise<VersionedRecord | undefined> {
  const obj = await retry(() => store.get(storeKey, { signal }), { signal });
  return obj === undefined ? undefined : { record: decodeRecord(obj.body, storeKey), etag: obj.info.etag };
}

/**
 * Write a record under a condition; resolves with the new etag, or with
 * `{ ok: false }` when the condition failed (another owner wrote first). A
 * failed condition is an answer, never retried: the caller decides what it means.
 *
 * @example
 * ```ts
 * const written = await writeRecord(store, storeKey, body, { ifMatch: current.etag }, signal);
 * if (!written.ok) current = await readRecord(store, storeKey, signal); // someone moved first
 * ```
 */
export async function writeRecord(
  store: ObjectStore,
  storeKey: string,
  body: string,
  condition: Pick<PutOptions, 'ifMatch' | 'ifNoneMatch'>,
  signal?: AbortSignal,
): Promise<ConditionalPut> {
  return await retry(() => tryPut(store, storeKey, body, { ...condition, contentType: 'application/json', signal }), { signal });
}
