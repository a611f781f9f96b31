/**
 * Uploading one part: unchanged content is reused from the last durable
 * checkpoint (same size, same checksum) instead of uploaded again, which is
 * what keeps the final save at SIGTERM small; changed content goes to a new
 * unique key, hashed on the way, multipart with bounded memory when large.
 */
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { Readable } from 'node:stream';
import type { ObjectStore } from '../store/types.ts';
import { checksumAlgorithm, checksumOf, createHasher, type Hasher } from './checksum.ts';
import { dataKey, resolveKey } from './manifest.ts';
import type { ChecksumAlgorithm, PartRecord, PartSource } from './types.ts';

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

function isFileSource(source: PartSource): source is { readonly file: string } {
  return typeof source === 'object' && source !== null && 'file' in source && typeof source.file === 'string';
}

/** Pass chunks through, hashing and counting them. */
async function* hashing(source: AsyncIterable<Uint8Array | string>, hasher: Hasher, counter: { bytes: number }): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    hasher.update(bytes);
    counter.bytes += bytes.byteLength;
    yield bytes;
  }
}

/** Slices of a buffer, one per multipart part, without copying. */
function* slices(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size);
}

async function fileChecksum(path: string, algorithm: ChecksumAlgorithm, signal: AbortSignal | undefined): Promise<string> {
  const hasher = createHasher(algorithm);
  for await (const chunk of createReadStream(path, { highWaterMark: 2 ** 20, signal })) hasher.update(chunk as Buffer);
  return hasher.digest();
}

/**
 * Upload one part, or reuse `previous` when the content is provably the same
 * (equal size and checksum; only computed up front when the sizes match).
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

  if (source instanceof Uint8Array || isFileSource(source)) {
    const isFile = isFileSource(source);
    const size = isFile ? (await stat(source.file)).size : source.byteLength;
    // Checksum of the bytes in memory, when already computed with the configured
    // algorithm (a buffer does not change during its save; a file might, so a
    // file's bytes are hashed again as they are read for the upload).
    let known: string | undefined;
    if (reusable !== undefined && reusable.size === size) {
      const reuseAlgorithm = checksumAlgorithm(reusable.checksum) ?? algorithm;
      const sum = isFile ? await fileChecksum(source.file, reuseAlgorithm, signal) : await checksumOf(source, reuseAlgorithm);
      if (sum === reusable.checksum) return { record: reusable, uploadedBytes: 0, reused: true };
      if (!isFile && reuseAlgorithm === algorithm) known = sum;
    }
    if (size <= SINGLE_PUT_MAX) {
      const bytes = isFile ? await readFile(source.file, { signal }) : source;
      const checksum = known ?? (await checksumOf(bytes, algorithm));
      await store.put(key, bytes, { signal });
      return { record: { key: relKey, size: bytes.byteLength, checksum }, uploadedBytes: bytes.byteLength, reused: false };
    }
    if (known !== undefined && !isFile) {
      await store.putStream(key, Readable.from(slices(source, partSize)), streamOptions);
      return { record: { key: relKey, size, checksum: known }, uploadedBytes: size, reused: false };
    }
    const hasher = createHasher(algorithm);
    const counter = { bytes: 0 };
    const chunks: AsyncIterable<Uint8Array> | Iterable<Uint8Array> = isFile
      ? createReadStream(source.file, { highWaterMark: partSize, signal })
      : slices(source, partSize);
    await store.putStream(key, Readable.from(hashing(toAsync(chunks), hasher, counter)), streamOptions);
    return { record: { key: relKey, size: counter.bytes, checksum: hasher.digest() }, uploadedBytes: counter.bytes, reused: false };
  }

  const hasher = createHasher(algorithm);
  const counter = { bytes: 0 };
  await store.putStream(key, Readable.from(hashing(source as AsyncIterable<Uint8Array>, hasher, counter)), streamOptions);
  return { record: { key: relKey, size: counter.bytes, checksum: hasher.digest() }, uploadedBytes: counter.bytes, reused: false };
}

async function* toAsync<T>(items: Iterable<T> | AsyncIterable<T>): AsyncGenerator<T> {
  yield* items;
}
