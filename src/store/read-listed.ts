/**
 * Reading every object under a prefix with bounded memory and a bounded
 * number of requests in flight: the listing is streamed, and bodies are read
 * a small batch at a time (`jobkit status` reads every record of a job this
 * way; a job may have hundreds of thousands).
 */
import { mapBounded } from '../util/bounded.ts';
import type { ObjectInfo, ObjectStore, StoredObject } from './types.ts';

/** Options of {@link readListed}. */
export interface ReadListedOptions {
  /** Which listed objects to read (default: all). */
  readonly filter?: (info: ObjectInfo) => boolean;
  /** Gets in flight (default 8). */
  readonly concurrency?: number;
  /** Objects read ahead of the consumer, at most (default 64): the memory bound. */
  readonly batch?: number;
  readonly signal?: AbortSignal | undefined;
}

/**
 * Yield `{ info, object }` for each object listed under `prefix`, in listing
 * order; `object` is undefined when it was deleted between the listing and
 * the read. Reads only.
 *
 * @example
 * ```ts
 * for await (const { info, object } of readListed(store, 'jobs/data/etl/idempotency/')) {
 *   if (object !== undefined) console.log(info.key, object.body.byteLength);
 * }
 * ```
 */
export async function* readListed(
  store: ObjectStore,
  prefix: string,
  options: ReadListedOptions = {},
): AsyncGenerator<{ readonly info: ObjectInfo; readonly object: StoredObject | undefined }> {
  const { signal } = options;
  const batchSize = options.batch ?? 64;
  const concurrency = options.concurrency ?? 8;
  const read = (batch: readonly ObjectInfo[]): Promise<Array<StoredObject | undefined>> =>
    mapBounded(batch, concurrency, (info) => store.get(info.key, { signal }), signal);
  let batch: ObjectInfo[] = [];
  for await (const info of store.list(prefix, { signal })) {
    if (options.filter !== undefined && !options.filter(info)) continue;
    batch.push(info);
    if (batch.length < batchSize) continue;
    const objects = await read(batch);
    for (const [i, object] of objects.entries()) yield { info: batch[i]!, object };
    batch = [];
  }
  const objects = await read(batch);
  for (const [i, object] of objects.entries()) yield { info: batch[i]!, object };
}
