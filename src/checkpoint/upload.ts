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
import { setImmediate as nextTurn } from 'node:timers/promises';
import { crc32 } from 'node:zlib';
import { freshMark, markFresh } from '../store/fresh.ts';
import type { ObjectStore } from '../store/types.ts';
import { checksumForm, checksumFormFor, checksumOf, createHasher, type Hasher } from './checksum.ts';
import { type CopyLease, CopyPool } from './copy-pool.ts';
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
  /** Memory of the last save's copies, refilled by this one (a pool of its own when absent). */
  readonly copies?: CopyPool;
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
 * (for the reuse check) is the checksum of what is uploaded. With the lease
 * of their memory when it came from a checkpointer's pool: it goes back there
 * once the save has sent it.
 */
const owned = new WeakMap<Uint8Array, CopyLease | undefined>();

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
export function snapshotParts(parts: PartSources, copies?: CopyPool): PartSources {
  const copied: Record<string, PartSource> = {};
  for (const [name, source] of Object.entries(parts)) {
    if (source instanceof Uint8Array) {
      // Taken on the caller's thread at the call: refilling the last save's
      // copy is a memcpy where a new buffer is a page fault per 4 KiB.
      const lease = source.byteLength > SINGLE_PUT_MAX ? copies?.lease(source.byteLength) : undefined;
      const copy = lease?.buffer ?? Buffer.allocUnsafe(source.byteLength);
      copy.set(source);
      owned.set(copy, lease);
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

/** `sha256:<hex>` -> `<hex>`: the digest the store signs a single PUT of these bytes with. */
function sha256Hex(checksum: string): string | undefined {
  return checksum.startsWith('sha256:') ? checksum.slice('sha256:'.length) : undefined;
}

/**
 * Pass chunks that are this upload's alone (a file's read stream, slices of a
 * buffer nobody writes to) through, hashing and counting them. The chunk
 * handed to the store is one nobody else can write to, so the hash is the
 * hash of the uploaded bytes however long the store holds the chunk before
 * sending: it is marked fresh (sent without another copy) with its sha256
 * when the hasher knows it (signed with it, not hashed again), and held on
 * `lease` until the store is done with it.
 */
async function* hashing(
  source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
  hasher: Hasher,
  counter: { bytes: number },
  lease?: CopyLease,
): AsyncGenerator<Buffer> {
  for await (const chunk of source) {
    const bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    counter.bytes += bytes.byteLength;
    yield markFresh(bytes, { sha256: hasher.update(bytes), release: lease?.hold() });
  }
}

/** Slices of a buffer, one per multipart part, without copying. */
function* slices(bytes: Uint8Array, size: number): Generator<Uint8Array> {
  for (let offset = 0; offset < bytes.byteLength; offset += size) yield bytes.subarray(offset, offset + size);
}

/** Slices of `target`, each filled from the same range of `source` when it is asked for. */
function* copiedSlices(source: Uint8Array, target: Buffer, size: number): Generator<Uint8Array> {
  for (let offset = 0; offset < source.byteLength; offset += size) {
    const end = Math.min(offset + size, source.byteLength);
    target.set(source.subarray(offset, end), offset);
    yield target.subarray(offset, end);
  }
}

/**
 * Hash bytes this save owns part by part, yielding to the event loop between
 * parts, and return the parts marked fresh with their digests: what the
 * reuse check computes is then what the upload sends and signs, unhashed.
 */
async function digestedParts(bytes: Uint8Array, hasher: Hasher, partSize: number): Promise<Buffer[]> {
  const parts: Buffer[] = [];
  for await (const part of hashing(slices(bytes, partSize), hasher, { bytes: 0 })) {
    parts.push(part);
    await nextTurn();
  }
  return parts;
}

/**
 * Whether the buffer still holds, part by part, what was copied from it
 * (`copied`: the CRC-32 of each copy, in order). This is the proof that
 * copies taken one after another over seconds form one content the buffer
 * really held, not a mix of two versions. A CRC, not a second sha256: the
 * question is whether training wrote to the buffer meanwhile, not whether
 * someone forged a collision, and CRC-32 catches every change of up to 32
 * consecutive bits in a part, and any other change but for a 2^-32 chance
 * per changed part, at four times sha256's speed.
 */
async function unchangedSince(source: Uint8Array, partSize: number, copied: readonly number[]): Promise<boolean> {
  let i = 0;
  for (const slice of slices(source, partSize)) {
    if (i > 0) await nextTurn();
    if (crc32(slice) !== copied[i++]) return false;
  }
  return i === copied.length;
}

async function fileChecksum(path: string, form: string, signal: AbortSignal | undefined): Promise<string> {
  const hasher = createHasher(form);
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
  // Memory for copies of caller bytes (copy-pool.ts): the checkpointer's, kept across saves, or this call's own.
  const copies = settings.copies ?? new CopyPool((concurrency + 1) * partSize);
  const previousForm = previous === undefined ? undefined : checksumForm(previous.checksum);
  /** The durable part, with its checksum's form, when it has `size` bytes: only then can it be this content. */
  const sameSizeAs = (size: number): { readonly record: PartRecord; readonly form: string } | undefined =>
    previous !== undefined && previousForm !== undefined && previous.size === size ? { record: previous, form: previousForm } : undefined;
  const relKey = dataKey(epoch, name);
  const key = resolveKey(root, relKey);
  const streamOptions = { partSize, concurrency, signal };
  /** How a new part of `size` bytes is checksummed: whole when it goes in one PUT, else a tree of its multipart parts. */
  const formOf = (size: number | undefined): string => checksumFormFor(algorithm, size !== undefined && size <= SINGLE_PUT_MAX ? undefined : partSize);
  const uploaded = (size: number, checksum: string): UploadedPart => ({ record: { key: relKey, size, checksum }, uploadedBytes: size, reused: false });
  const reused = (record: PartRecord): UploadedPart => ({ record, uploadedBytes: 0, reused: true });
  /** The upload did not capture one consistent content: remove it, and say why. */
  const changed = async (what: string): Promise<never> => {
    await store.delete(key).catch(() => undefined);
    throw new CheckpointSourceChangedError(name, what);
  };

  if (source instanceof Uint8Array) {
    const isOwned = owned.has(source);
    const size = source.byteLength;
    const form = formOf(size);
    const sameSize = sameSizeAs(size);
    // A caller's buffer within the memory a streamed upload holds anyway
    // ((concurrency + 1) parts): one synchronous copy is one consistent
    // content. The copy is what the reuse check hashes, what is sent (with the
    // digests that check computed, or computed while it is sent), and what
    // the buffer is compared with afterwards (a memcmp, not a second hash).
    // Multipart-sized copies are refilled from the last save's (copy-pool.ts).
    const copyLease = !isOwned && size > SINGLE_PUT_MAX && size <= (concurrency + 1) * partSize ? copies.lease(size) : undefined;
    // With no reuse check to run first, each part is copied as the store asks
    // for it, so sending starts at once instead of after the whole copy; the
    // comparison at the end still proves one content (the buffer's at that instant).
    const copyEarly = sameSize !== undefined;
    if (copyEarly) copyLease?.buffer.set(source);
    const copy = copyLease?.buffer ?? (!isOwned && size <= SINGLE_PUT_MAX ? Buffer.from(source) : undefined);
    const lease = isOwned ? owned.get(source) : copyLease;
    const bytes = copy ?? source;
    if (isOwned || copy !== undefined) {
      try {
        let checksum: string | undefined;
        let parts: Buffer[] | undefined;
        if (sameSize !== undefined) {
          // Reuse is decided on a checksum of the bytes as read now: equal means
          // these bytes are the durable part's bytes, whatever happens later.
          let sum: string;
          if (sameSize.form === form && size > SINGLE_PUT_MAX) {
            const hasher = createHasher(form);
            parts = await digestedParts(bytes, hasher, partSize);
            sum = hasher.digest();
          } else {
            sum = await checksumOf(bytes, sameSize.form);
          }
          if (sum === sameSize.record.checksum) return reused(sameSize.record);
          // An older form (a whole sha256 of a large part) is not what this save records.
          if (sameSize.form === form) checksum = sum;
        }
        if (size <= SINGLE_PUT_MAX) {
          checksum ??= await checksumOf(bytes, form);
          await store.put(key, markFresh(bytes, { sha256: sha256Hex(checksum) }), { signal });
        } else if (parts !== undefined && checksum !== undefined) {
          // Held by the store from now on, released as it sends them.
          for (const part of parts) markFresh(part, { ...freshMark(part), release: lease?.hold() });
          await store.putStream(key, Readable.from(parts), streamOptions);
        } else {
          const hasher = createHasher(form);
          const sent = copyLease === undefined || copyEarly ? slices(bytes, partSize) : copiedSlices(source, copyLease.buffer, partSize);
          await store.putStream(key, Readable.from(hashing(sent, hasher, { bytes: 0 }, lease)), streamOptions);
          checksum = hasher.digest();
        }
        if (copy !== undefined && !copy.equals(source)) return await changed('the buffer was written to while it was being saved');
        return uploaded(size, checksum);
      } finally {
        lease?.end();
      }
    }
    // A caller's buffer larger than that: copied part by part as it is sent.
    if (sameSize !== undefined && (await checksumOf(source, sameSize.form)) === sameSize.record.checksum) return reused(sameSize.record);
    const hasher = createHasher(form);
    const copied: number[] = [];
    // Once the last part is copied, check the buffer against the copies while
    // the last parts are still in flight (unchangedSince yields between parts).
    let recheck: Promise<boolean> | undefined;
    const chunks = function* (): Generator<Buffer> {
      for (const slice of slices(source, partSize)) {
        // Copies the store has sent come back and are filled again: about
        // (concurrency + 1) buffers however large the part.
        const part = copies.lease(slice.byteLength);
        part.buffer.set(slice);
        // The copy's CRC is both the later comparison's reference and the CRC-32 S3 is sent.
        const crc = crc32(part.buffer);
        copied.push(crc);
        yield markFresh(part.buffer, { sha256: hasher.update(part.buffer), crc32: crc, release: part.hold() });
        part.end();
      }
      recheck = unchangedSince(source, partSize, copied);
    };
    await store.putStream(key, Readable.from(chunks()), streamOptions);
    if (!(await (recheck ?? unchangedSince(source, partSize, copied)))) {
      return await changed('the buffer was written to while it was being saved');
    }
    return uploaded(size, hasher.digest());
  }

  if (isFileSource(source)) {
    const path = source.file;
    const sums = settings.fileChecksums;
    const before = await stat(path, { bigint: true });
    const size = Number(before.size);
    const form = formOf(size);
    const sameSize = sameSizeAs(size);
    if (sameSize !== undefined) {
      if (sums?.lookup(path, before, sameSize.form) === sameSize.record.checksum) return reused(sameSize.record);
      const readAt = Date.now();
      const sum = await fileChecksum(path, sameSize.form, signal);
      if (!fileChanged(before, await stat(path, { bigint: true }))) {
        sums?.remember(path, before, sameSize.form, sum, readAt);
        if (sum === sameSize.record.checksum) return reused(sameSize.record);
      }
    }
    const readAt = Date.now();
    let result: UploadedPart;
    if (size <= SINGLE_PUT_MAX) {
      const bytes = await readFile(path, { signal });
      const checksum = await checksumOf(bytes, form);
      await store.put(key, markFresh(bytes, { sha256: sha256Hex(checksum) }), { signal });
      result = uploaded(bytes.byteLength, checksum);
    } else {
      // Read streams hand out new buffers: hashing them as they go is hashing what is sent.
      const hasher = createHasher(form);
      const counter = { bytes: 0 };
      const chunks = createReadStream(path, { highWaterMark: partSize, signal });
      await store.putStream(key, Readable.from(hashing(chunks as AsyncIterable<Buffer>, hasher, counter)), streamOptions);
      result = uploaded(counter.bytes, hasher.digest());
    }
    if (fileChanged(before, await stat(path, { bigint: true }))) return await changed(`the file ${path} was written to while it was being saved`);
    sums?.remember(path, before, form, result.record.checksum, readAt);
    return result;
  }

  // A stream's chunks may be views of memory the producer reuses: copy them,
  // straight into whole parts (each then sent as it is, and signed with its leaf's digest).
  const hasher = createHasher(formOf(undefined));
  const counter = { bytes: 0 };
  await store.putStream(key, Readable.from(intoParts(source as AsyncIterable<Uint8Array | string>, partSize, copies, hasher, counter)), streamOptions);
  return uploaded(counter.bytes, hasher.digest());
}

/**
 * Copy a stream's chunks into parts of exactly `partSize` bytes (the last one
 * shorter), from `copies`: one copy of every byte, where copying each chunk
 * and letting the store cut parts from the copies took two; and memory the
 * store gives back as it sends, so a long stream holds about
 * (concurrency + 1) parts. Each part is hashed as one leaf and marked with
 * its digest.
 */
async function* intoParts(
  source: AsyncIterable<Uint8Array | string>,
  partSize: number,
  copies: CopyPool,
  hasher: Hasher,
  counter: { bytes: number },
): AsyncGenerator<Buffer> {
  let lease = copies.lease(partSize);
  let filled = 0;
  const seal = (part: Buffer): Buffer => {
    const sealed = markFresh(part, { sha256: hasher.update(part), release: lease.hold() });
    lease.end();
    return sealed;
  };
  for await (const chunk of source) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    counter.bytes += bytes.byteLength;
    for (let offset = 0; offset < bytes.byteLength; ) {
      const n = Math.min(partSize - filled, bytes.byteLength - offset);
      lease.buffer.set(bytes.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === partSize) {
        yield seal(lease.buffer);
        lease = copies.lease(partSize);
        filled = 0;
      }
    }
  }
  if (filled > 0) yield seal(lease.buffer.subarray(0, filled));
  else lease.end();
}
