/**
 * Chunks handed to `putStream` that their producer allocated for this upload
 * alone and never writes to again (the checkpointer's copies, slices of its
 * own snapshot). The S3 multipart upload cuts its parts from a stream by
 * copying, because an arbitrary producer may reuse its buffers; a fresh chunk
 * of exactly one part is sent as it is instead, which saves a copy of every
 * byte of a checkpoint. Internal: not part of the public API.
 */
const fresh = new WeakSet<Uint8Array>();

/**
 * Mark `bytes` as fresh: nobody will write to it after this call.
 *
 * @example
 * ```ts
 * yield markFresh(Buffer.from(chunk)); // a copy only this upload holds
 * ```
 */
export function markFresh<T extends Uint8Array>(bytes: T): T {
  fresh.add(bytes);
  return bytes;
}

/** Whether `bytes` was marked with {@link markFresh}. */
export function isFresh(bytes: Uint8Array): boolean {
  return fresh.has(bytes);
}
