/**
 * Reading one part back with verification. The bytes are hashed as they
 * arrive; small parts stay in memory, large ones are spooled to a local file
 * in the same pass, so a part is downloaded once, verified before load()
 * returns, and memory stays bounded whatever its size.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { RetryableError } from '../runtime/errors.ts';
import type { ObjectStore } from '../store/types.ts';
import { checksumForm, createHasher } from './checksum.ts';
import { CheckpointCorruptError, verifiedRead } from './errors.ts';
import type { PartRecord } from './format.ts';
import { resolveKey } from './layout.ts';
import type { LoadedPart } from './types.ts';

/** How a part is read. */
export interface DownloadSettings {
  readonly store: ObjectStore;
  readonly root: string;
  readonly inMemoryMaxBytes: number;
  readonly spoolDir: string;
  readonly signal: AbortSignal | undefined;
}

/**
 * Download and verify a part. Throws CheckpointCorruptError when it is missing,
 * has the wrong size or the wrong checksum (any spooled file is removed then).
 *
 * @example
 * ```ts
 * const part = await downloadPart(settings, 'weights', manifest.parts.weights);
 * const bytes = await part.buffer();
 * ```
 */
export async function downloadPart(settings: DownloadSettings, name: string, record: PartRecord): Promise<LoadedPart> {
  try {
    return await downloadOnce(settings, name, record);
  } catch (err) {
    // Bytes damaged or cut on the way look like a bad part at rest (wrong size or
    // checksum) or come as a transport error: read once more before falling back
    // to an older checkpoint, so an intact part is never given up for a bad read.
    if (settings.signal?.aborted === true || !(err instanceof CheckpointCorruptError || err instanceof RetryableError)) throw err;
    return await downloadOnce(settings, name, record);
  }
}

/**
 * Verify a part without keeping its bytes: streamed through the same checks
 * as {@link downloadPart} (size, length, checksum; read once more before a
 * verdict of corruption) and dropped, so a part of any size costs no memory
 * or disk. For `jobkit checkpoint verify` and `jobkit status --verify`.
 *
 * @throws CheckpointCorruptError naming the part (and expected vs actual checksum) when it does not verify.
 * @example
 * ```ts
 * await verifyPart({ store, root, signal: undefined }, 'weights', manifest.parts.weights);
 * ```
 */
export async function verifyPart(settings: Pick<DownloadSettings, 'store' | 'root' | 'signal'>, name: string, record: PartRecord): Promise<void> {
  const once = async (): Promise<void> => {
    const part = await openVerified(settings, name, record);
    try {
      for await (const _chunk of part.chunks) {
        // Hashed by openVerified's generator; the bytes themselves are not needed.
      }
    } catch (err) {
      part.destroy();
      throw err;
    } finally {
      part.done();
    }
    part.check();
  };
  try {
    await once();
  } catch (err) {
    // As in downloadPart: a bad read is not a bad part at rest.
    if (settings.signal?.aborted === true || !(err instanceof CheckpointCorruptError || err instanceof RetryableError)) throw err;
    await once();
  }
}

/** A part's body being read: chunks hashed on the way, and the verdict once they are all read. */
interface VerifiedBody {
  readonly chunks: AsyncGenerator<Buffer>;
  /** Throw CheckpointCorruptError unless every byte arrived and the checksum matches. */
  readonly check: () => void;
  readonly destroy: () => void;
  /** Detach from the signal. */
  readonly done: () => void;
}

async function openVerified(settings: Pick<DownloadSettings, 'store' | 'root' | 'signal'>, name: string, record: PartRecord): Promise<VerifiedBody> {
  const { store, root, signal } = settings;
  const key = resolveKey(root, record.key);
  const form = checksumForm(record.checksum);
  if (form === undefined) throw new CheckpointCorruptError(key, `part "${name}" has an unknown checksum algorithm`);
  const object = await verifiedRead(key, () => store.getStream(key, { signal }));
  if (object === undefined) throw new CheckpointCorruptError(key, `part "${name}" is missing (${key})`);
  if (object.info.size !== record.size) {
    object.body.destroy();
    throw new CheckpointCorruptError(key, `part "${name}" has ${object.info.size} bytes, the manifest says ${record.size}`);
  }
  const onAbort = (): void => {
    object.body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const hasher = createHasher(form);
  let received = 0;
  const verify = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hasher.update(chunk);
      received += chunk.byteLength;
      yield chunk;
    }
  };
  return {
    chunks: verify(object.body as AsyncIterable<Buffer>),
    check: () => {
      const sum = hasher.digest();
      if (received !== record.size) throw new CheckpointCorruptError(key, `part "${name}" ended after ${received} of ${record.size} bytes`);
      if (sum !== record.checksum) throw new CheckpointCorruptError(key, `part "${name}" fails its checksum: expected ${record.checksum}, got ${sum}`);
    },
    destroy: () => object.body.destroy(),
    done: () => signal?.removeEventListener('abort', onAbort),
  };
}

async function downloadOnce(settings: DownloadSettings, name: string, record: PartRecord): Promise<LoadedPart> {
  const key = resolveKey(settings.root, record.key);
  const part = await openVerified(settings, name, record);

  if (record.size <= settings.inMemoryMaxBytes) {
    // Kept as they arrived: a consumer that streams the part needs no copy,
    // and buffer() joins them once, at its first call (a new buffer of the
    // part's size is a page fault per 4 KiB, ~180 ms for 256 MiB here, which
    // load() itself then does not pay).
    let chunks: Buffer[] = [];
    let received = 0;
    try {
      for await (const chunk of part.chunks) {
        if (received + chunk.byteLength > record.size) {
          throw new CheckpointCorruptError(key, `part "${name}" is longer than the ${record.size} bytes of its manifest`);
        }
        chunks.push(chunk);
        received += chunk.byteLength;
      }
    } catch (err) {
      part.destroy();
      throw err;
    } finally {
      part.done();
    }
    part.check();
    let joined: Buffer | undefined;
    const buffer = (): Buffer => {
      joined ??= chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, record.size);
      // One copy of the bytes is kept from now on, not two.
      chunks = [joined];
      return joined;
    };
    return {
      name,
      size: record.size,
      path: undefined,
      buffer: () => Promise.resolve(buffer()),
      stream: () => Readable.from(chunks),
    };
  }

  const path = join(settings.spoolDir, `jobkit-part-${randomBytes(8).toString('hex')}`);
  try {
    await spool(part.chunks, path);
    part.check();
  } catch (err) {
    part.destroy();
    await rm(path, { force: true });
    throw err;
  } finally {
    part.done();
  }
  return {
    name,
    size: record.size,
    path,
    buffer: () => readFile(path),
    stream: () => createReadStream(path, { highWaterMark: 2 ** 20 }),
  };
}

/** Bytes gathered before one vectored write: few large writes instead of one per network chunk. */
const SPOOL_BATCH = 8 * 2 ** 20;

/**
 * Batched writes in flight at once, each at its own offset. A new file's
 * first writes can be slower than the network (the file system allocates as
 * it goes); with one write in flight the socket then waits on the disk, with
 * a few it keeps flowing. Memory: about SPOOL_BATCH x this, above the chunks.
 */
const SPOOL_WRITES_IN_FLIGHT = 4;

/** Write chunks to a new file, a few batched writes in flight while the next batch fills. */
async function spool(chunks: AsyncIterable<Buffer>, path: string): Promise<void> {
  const handle = await open(path, 'wx');
  const inFlight = new Set<Promise<unknown>>();
  let failed: { error: unknown } | undefined;
  let position = 0;
  const write = (batch: Buffer[], bytes: number): void => {
    const done: Promise<unknown> = handle.writev(batch, position).then(
      () => inFlight.delete(done),
      (error: unknown) => {
        failed ??= { error };
        inFlight.delete(done);
      },
    );
    inFlight.add(done);
    position += bytes;
  };
  try {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for await (const chunk of chunks) {
      batch.push(chunk);
      batchBytes += chunk.byteLength;
      if (batchBytes >= SPOOL_BATCH) {
        while (inFlight.size >= SPOOL_WRITES_IN_FLIGHT) await Promise.race(inFlight);
        if (failed !== undefined) throw failed.error;
        write(batch, batchBytes);
        batch = [];
        batchBytes = 0;
      }
    }
    if (batch.length > 0) write(batch, batchBytes);
    await Promise.all(inFlight);
    if (failed !== undefined) throw failed.error;
  } finally {
    await Promise.allSettled(inFlight);
    await handle.close();
  }
}

/**
 * Remove spooled files of loaded parts.
 *
 * @example
 * ```ts
 * await removeSpooled(parts.values());
 * ```
 */
export async function removeSpooled(parts: Iterable<LoadedPart>): Promise<void> {
  const spooled = [...parts].flatMap((p) => (p.path === undefined ? [] : [p.path]));
  await Promise.all(spooled.map((path) => rm(path, { force: true })));
}
