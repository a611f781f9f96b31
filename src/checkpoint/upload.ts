/**
 * Uploading one part: unchanged content is reused from the last durable
 * checkpoint (same size, same checksum) instead of uploaded again, which is
 * what keeps the final save at SIGTERM small; changed content goes to a new
 * unique key, multipart with bounded memory when large.
 *
 * The recorded checksum is always computed over exactly the bytes handed to
 * the store: a caller's buffer may be written to while its save runs (a
 * `Float32Array` of weights that training keeps updating), so bytes hashed at
 * one moment and uploaded at another would commit a checkpoint that fails its
 * own verification at load. Chunks of a caller's buffer or stream are copied,
 * the copy is hashed and the same copy is uploaded; afterwards the buffer is
 * compared with what was uploaded, and a buffer that changed fails the save
 * ({@link CheckpointSourceChangedError}) instead of committing torn bytes.
 * Buffers copied by {@link snapshotParts} belong to the save alone and skip
 * both the copy and the comparison.
 */
import { type BigIntStats, createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { isFresh, markFresh } from '../store/fresh.ts';
import type { ObjectStore } from '../store/types.ts';
import { checksumAlgorithm, checksumOf, createHasher, type Hasher } from './checksum.ts';
import { CheckpointSourceChangedError } from './errors.ts';
import type { FileChecksums } from './file-checksums.ts';
import type { PartRecord } from './format.ts';
import { dataKey, resolveKey } from './layout.ts';
import type { ChecksumAlgorithm, PartSource, PartSources } from './types.ts';

/** What an upload needs to know. */
export interface UploadSettings {
  readonly store: ObjectStore;
  /** Checkpoint root key. */
  readonly root: string;
  readonly epoch: number;
  readonly algorithm: ChecksumAlgorithm;
  readonly partSize: number;
  readonly concurrency: number;
  readonly signal: AbortSignal | undefined;
  /** What this checkpointer knows of files it read before: an unchanged file's reuse needs no read. */
  readonly fileChecksums?: FileChecksums;
}

/** Result of {@link uploadPart}. */
export interface UploadedPart {
  readonly record: PartRecord;
  /** Bytes sent to the store (0 when reused). */
  readonly uploadedBytes: number;
  readonly reused: boolean;
}

/** Files and buffers up to this size are sent in one PUT. */
const SINGLE_PUT_MAX = 8 * 2 ** 20;

/**
 * Buffers copied by {@link snapshotParts}: no caller holds a reference, so
 * their bytes cannot change during the save and a checksum computed once
 * (for the reuse check) is the checksum of what is uploaded.
 */
const owned = new WeakSet<Uint8Array>();

/**
 * Copy the in-memory parts of a save (the `snapshot: true` option), so that
 * the caller may keep writing into its buffers while the save runs. Streams
 * and files are left as they are: they are read, and hashed, once.
 *
 * @example
 * ```ts
 * const parts = snapshotParts({ weights: new Uint8Array(weights.buffer) }); // weights may change from now on
 * ```
 */
export function snapshotParts(parts: PartSources): PartSources {
  const copied: Record<string, PartSource> = {};
  for (const [name, source] of Object.entries(parts)) {
    if (source instanceof Uint8Array) {
      const copy = Buffer.from(source);
      owned.add(copy);
      copied[name] = copy;
    } else {
      copied[name] = source;
    }
  }
  return copied;
}

function isFileSource(source: PartSource): source is { readonly file: string } {
  return typeof source === 'object' && source !== null && 'file' in source && typeof source.file === 'string';
}

/**
 * Pass chunks through, hashing and counting them. With `copy`, each chunk is
 * copied first and the copy is both hashed and yielded: the chunk handed to
 * the store is then one nobody else can write to, so the hash is the hash of
 * the uploaded bytes however long the store holds the chunk before sending.
 */
async function* hashing(
  source: AsyncIterable<Uint8Array | string> | Iterable<Uint8Array>,
  hasher: Hasher,
  counter: { bytes: number },
  copy: boolean,
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    // A copy (and a string's new buffer) is this upload's alone: marked fresh,
    // the store sends it without copying it once more.
    const bytes =
      typeof chunk === 'string'
        ? markFresh(Buffer.from(chunk))
        : copy
          ? markFresh(Buffer.from(chunk))
          : freshAs(chunk, Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    hasher.update(bytes);
    counter.bytes += bytes.byteLength;
    yield bytes;
  }
}

/**
 * Slices of a buffer, one per multipart part, without copying; with `fresh`
 * (a buffer nobody writes to any more) marked so, for the store to send as
 * they are.
 */
function* slices(bytes: Uint8Array, size: number, fresh = false): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) {
    const slice = bytes.subarray(offset, offset + size);
    yield fresh ? markFresh(slice) : slice;
  }
}

/** `view` of `chunk`, marked fresh when `chunk` is. */
function freshAs(chunk: Uint8Array, view: Buffer): Buffer {
  return isFresh(chunk) ? markFresh(view) : view;
}

async function fileChecksum(path: string, algorithm: ChecksumAlgorithm, signal: AbortSignal | undefined): Promise<string> {
  const hasher = createHasher(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 2 ** 20, signal })) hasher.update(chunk as Buffer);
  return hasher.digest();
}

/** A file written to during its save: its size, modification or change time moved. */
function fileChanged(before: BigIntStats, after: BigIntStats): boolean {
  return before.size !== after.size || before.mtimeNs !== after.mtimeNs || before.ctimeNs !== after.ctimeNs || before.ino !== after.ino;
}

/**
 * Upload one part, or reuse `previous` when the content is provably the same
 * (equal size and checksum; only computed up front when the sizes match).
 * Throws {@link CheckpointSourceChangedError} (after deleting what it wrote)
 * when a buffer or file changed while it was being uploaded.
 *
 * @example
 * ```ts
 * const { record, reused } = await uploadPart(settings, 'weights', weights, lastManifest.parts.weights);
 * ```
 */
export async function uploadPart(
  settings: UploadSettings,
  name: string,
  source: PartSource,
  previous: PartRecord | undefined,
): Promise<UploadedPart> {
  const { store, root, epoch, algorithm, partSize, concurrency, signal } = settings;
  const reusable = previous !== undefined && checksumAlgorithm(previous.checksum) !== undefined ? previous : undefined;
  const relKey = dataKey(epoch, name);
  const key = resolveKey(root, relKey);
  const streamOptions = { partSize, concurrency, signal };
  const uploaded = (size: number, checksum: string): UploadedPart => ({ record: { key: relKey, size, checksum }, uploadedBytes: size, reused: false });
  /** The upload did not capture one consistent content: remove it, and say why. */
  const changed = async (what: string): Promise<never> => {
    await store.delete(key).catch(() => undefined);
    throw new CheckpointSourceChangedError(name, what);
  };

  if (source instanceof Uint8Array) {
    const isOwned = owned.has(source);
    const size = source.byteLength;
    // A caller's buffer within the memory a streamed upload holds anyway
    // ((concurrency + 1) parts): one synchronous copy is one consistent
    // content. The copy is what the reuse check hashes, what is sent (its
    // checksum known from that check, or computed while it is sent), and what
    // the buffer is compared with afterwards (a memcmp, not a second hash).
    const copy = !isOwned && size <= (concurrency + 1) * partSize ? Buffer.from(source) : undefined;
    const bytes = copy ?? source;
    // A checksum of the bytes in memory, usable for the upload only when they
    // are ours (snapshotParts, or the copy); a caller's buffer may change in between.
    let known: string | undefined;
    if (reusable !== undefined && reusable.size === size) {
      const reuseAlgorithm = checksumAlgorithm(reusable.checksum) ?? algorithm;
      // Reuse is decided on a checksum of the bytes as read now: equal means
      // these bytes are the durable part's bytes, whatever happens later.
      const sum = await checksumOf(bytes, reuseAlgorithm);
      if (sum === reusable.checksum) return { record: reusable, uploadedBytes: 0, reused: true };
      if ((isOwned || copy !== undefined) && reuseAlgorithm === algorithm) known = sum;
    }
    if (isOwned || copy !== undefined) {
      let checksum: string;
      if (size <= SINGLE_PUT_MAX) {
        checksum = known ?? (await checksumOf(bytes, algorithm));
        await store.put(key, bytes, { signal });
      } else if (known !== undefined) {
        await store.putStream(key, Readable.from(slices(bytes, partSize, true)), streamOptions);
        checksum = known;
      } else {
        const hasher = createHasher(algorithm);
        await store.putStream(key, Readable.from(hashing(slices(bytes, partSize, true), hasher, { bytes: 0 }, false)), streamOptions);
        checksum = hasher.digest();
      }
      if (copy !== undefined && !copy.equals(source)) return await changed('the buffer was written to while it was being saved');
      return uploaded(size, checksum);
    }
    // A caller's buffer larger than that: copied part by part as it is sent.
    const hasher = createHasher(algorithm);
    const counter = { bytes: 0 };
    // Once the last chunk is copied, hash the buffer again while the last parts
    // are still in flight (checksumOf yields between slices): equal to the
    // copies' hash means the copies form one content the buffer really held.
    let recheck: Promise<string> | undefined;
    const chunks = async function* (): AsyncGenerator<Buffer> {
      yield* hashing(slices(source, partSize), hasher, counter, true);
      recheck = checksumOf(source, algorithm);
    };
    await store.putStream(key, Readable.from(chunks()), streamOptions);
    const digest = hasher.digest();
    if ((await (recheck ?? checksumOf(source, algorithm))) !== digest) {
      return await changed('the buffer was written to while it was being saved');
    }
    return uploaded(counter.bytes, digest);
  }

  if (isFileSource(source)) {
    const path = source.file;
    const sums = settings.fileChecksums;
    const before = await stat(path, { bigint: true });
    const size = Number(before.size);
    if (reusable !== undefined && reusable.size === size) {
      const reuseAlgorithm = checksumAlgorithm(reusable.checksum) ?? algorithm;
      if (sums?.lookup(path, before, reuseAlgorithm) === reusable.checksum) return { record: reusable, uploadedBytes: 0, reused: true };
      const readAt = Date.now();
      const sum = await fileChecksum(path, reuseAlgorithm, signal);
      if (!fileChanged(before, await stat(path, { bigint: true }))) {
        sums?.remember(path, before, reuseAlgorithm, sum, readAt);
        if (sum === reusable.checksum) return { record: reusable, uploadedBytes: 0, reused: true };
      }
    }
    const readAt = Date.now();
    let result: UploadedPart;
    if (size <= SINGLE_PUT_MAX) {
      const bytes = await readFile(path, { signal });
      const checksum = await checksumOf(bytes, algorithm);
      await store.put(key, bytes, { signal });
      result = uploaded(bytes.byteLength, checksum);
    } else {
      // Read streams hand out fresh buffers: hashing them as they go is hashing what is sent.
      const hasher = createHasher(algorithm);
      const counter = { bytes: 0 };
      const chunks = createReadStream(path, { highWaterMark: partSize, signal });
      await store.putStream(key, Readable.from(hashing(chunks, hasher, counter, false)), streamOptions);
      result = uploaded(counter.bytes, hasher.digest());
    }
    if (fileChanged(before, await stat(path, { bigint: true }))) return await changed(`the file ${path} was written to while it was being saved`);
    sums?.remember(path, before, algorithm, result.record.checksum, readAt);
    return result;
  }

  // A stream's chunks may be views of memory the producer reuses: copy them.
  const hasher = createHasher(algorithm);
  const counter = { bytes: 0 };
  await store.putStream(key, Readable.from(hashing(source as AsyncIterable<Uint8Array>, hasher, counter, true)), streamOptions);
  return uploaded(counter.bytes, hasher.digest());
}
