/**
 * Chunks handed to `put`/`putStream` that their producer allocated for this
 * upload alone and never writes to again (the checkpointer's copies, slices of
 * its own snapshot). The S3 multipart upload cuts its parts from a stream by
 * copying, because an arbitrary producer may reuse its buffers; a fresh chunk
 * of exactly one part is sent as it is instead, which saves a copy of every
 * byte of a checkpoint.
 *
 * A fresh chunk may also carry checksums of its bytes that the producer
 * computed for its own use. S3 signs each request over the sha256 of its body
 * (SigV4's `x-amz-content-sha256`) and, with flexible checksums, sends a
 * CRC-32 of it; the SDK computes both over every body. A chunk whose bytes
 * cannot change is sent with the producer's values instead (s3-known-sha256.ts,
 * s3-multipart.ts), so each byte is hashed once, not twice. The server
 * recomputes both: a wrong value is a refused request, never a stored object.
 *
 * And it may say when the store is done with it (`release`): the producer can
 * then fill the same memory for a later chunk instead of allocating, as the
 * multipart upload does with its own part buffers. A store that keeps the
 * bytes (the memory store) or never tells simply never calls it.
 * Internal: not part of the public API.
 */

/** What the producer of a fresh chunk knows about it. */
export interface FreshMark {
  /** Lowercase hex sha256 of exactly these bytes. */
  readonly sha256?: string | undefined;
  /** zlib CRC-32 of exactly these bytes. */
  readonly crc32?: number | undefined;
  /** Called once the store will never read the chunk again. */
  readonly release?: (() => void) | undefined;
}

const fresh = new WeakMap<Uint8Array, FreshMark>();

/**
 * Mark `bytes` as fresh: nobody will write to it after this call (until
 * `mark.release`, when given, is called).
 *
 * @example
 * ```ts
 * yield markFresh(Buffer.from(chunk)); // a copy only this upload holds
 * yield markFresh(copy, { sha256: digestHex }); // signed with that digest
 * ```
 */
export function markFresh<T extends Uint8Array>(bytes: T, mark: FreshMark = {}): T {
  fresh.set(bytes, mark);
  return bytes;
}

/** Whether `bytes` was marked with {@link markFresh}. */
export function isFresh(bytes: Uint8Array): boolean {
  return fresh.has(bytes);
}

/** What a fresh chunk was marked with, or undefined when it is not fresh. */
export function freshMark(bytes: Uint8Array): FreshMark | undefined {
  return fresh.get(bytes);
}

/** Tell the producer of a fresh chunk that the store is done with it (once; a no-op for other chunks). */
export function releaseFresh(bytes: Uint8Array): void {
  const mark = fresh.get(bytes);
  if (mark?.release === undefined) return;
  fresh.delete(bytes);
  mark.release();
}

/** The base64 of a CRC-32 as S3's `ChecksumCRC32` field wants it (big-endian bytes). */
export function crc32Base64(crc: number): string {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(crc >>> 0);
  return b.toString('base64');
}
