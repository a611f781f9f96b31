/**
 * Reading one part back with verification. The bytes are hashed as they
 * arrive; small parts stay in memory, large ones are spooled to a local file
 * in the same pass, so a part is downloaded once, verified before load()
 * returns, and memory stays bounded whatever its size.
 *
 * A part larger than one range is read as `concurrency` ranged GETs at a time
 * (one stream per connection is what limits a single GET, on S3 as on a local
 * server), consumed in order: the hash is sequential, so ranges that arrive
 * early wait, and memory stays within `concurrency` ranges.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { ObjectStore } from '../store/types.ts';
import { checksumAlgorithm, createHasher } from './checksum.ts';
import { CheckpointCorruptError } from './errors.ts';
import { resolveKey } from './manifest.ts';
import type { LoadedPart, PartRecord } from './types.ts';

/** How a part is read. */
export interface DownloadSettings {
  readonly store: ObjectStore;
  readonly root: string;
  readonly inMemoryMaxBytes: number;
  readonly spoolDir: string;
  readonly signal: AbortSignal | undefined;
  /** Bytes per ranged GET; a part no larger is read with one GET. */
  readonly rangeBytes: number;
  /** Ranged GETs in flight for one part (1: one GET for the whole part). */
  readonly concurrency: number;
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
  const { root } = settings;
  const key = resolveKey(root, record.key);
  const algorithm = checksumAlgorithm(record.checksum);
  if (algorithm === undefined) throw new CheckpointCorruptError(key, `part "${name}" has an unknown checksum algorithm`);
  const ranged = settings.concurrency > 1 && record.size > settings.rangeBytes;
  const source = ranged ? rangedSource(settings, key, name, record.size) : await wholeSource(settings, key, name, record.size);
  const hasher = createHasher(algorithm);
  let received = 0;
  const verify = async function* (source: AsyncIterable<Buffer>): AsyncGenerator<Buffer> {
    for await (const chunk of source) {
      hasher.update(chunk);
      received += chunk.byteLength;
      yield chunk;
    }
  };
  const check = (): void => {
    const sum = hasher.digest();
    if (received !== record.size) throw new CheckpointCorruptError(key, `part "${name}" ended after ${received} of ${record.size} bytes`);
    if (sum !== record.checksum) throw new CheckpointCorruptError(key, `part "${name}" fails its checksum: expected ${record.checksum}, got ${sum}`);
  };

  if (record.size <= settings.inMemoryMaxBytes) {
    // The size is known: fill one buffer instead of keeping chunks and concatenating them.
    const bytes = Buffer.allocUnsafe(record.size);
    let filled = 0;
    try {
      for await (const chunk of verify(source.chunks)) {
        if (filled + chunk.byteLength > record.size) {
          throw new CheckpointCorruptError(key, `part "${name}" is longer than the ${record.size} bytes of its manifest`);
        }
        filled += chunk.copy(bytes, filled);
      }
    } catch (err) {
      source.cancel();
      throw err;
    } finally {
      source.done();
    }
    check();
    return {
      name,
      size: record.size,
      path: undefined,
      buffer: () => Promise.resolve(bytes),
      stream: () => Readable.from([bytes]),
    };
  }

  const path = join(settings.spoolDir, `jobkit-part-${randomBytes(8).toString('hex')}`);
  try {
    await spool(verify(source.chunks), path);
    check();
  } catch (err) {
    source.cancel();
    await rm(path, { force: true });
    throw err;
  } finally {
    source.done();
  }
  return {
    name,
    size: record.size,
    path,
    buffer: () => readFile(path),
    stream: () => createReadStream(path, { highWaterMark: 2 ** 20 }),
  };
}

/** The bytes of a part as they arrive, and how to stop reading them. */
interface PartSource {
  readonly chunks: AsyncIterable<Buffer>;
  /** Stop reading (after a failure): destroys the streams, aborts ranged GETs in flight. */
  cancel(): void;
  /** Release listeners once reading ended, either way. */
  done(): void;
}

function sizeMismatch(key: string, name: string, actual: number, expected: number): CheckpointCorruptError {
  return new CheckpointCorruptError(key, `part "${name}" has ${actual} bytes, the manifest says ${expected}`);
}

/** The whole part in one GET. */
async function wholeSource(settings: DownloadSettings, key: string, name: string, size: number): Promise<PartSource> {
  const { signal } = settings;
  const object = await settings.store.getStream(key, { signal });
  if (object === undefined) throw new CheckpointCorruptError(key, `part "${name}" is missing (${key})`);
  if (object.info.size !== size) {
    object.body.destroy();
    throw sizeMismatch(key, name, object.info.size, size);
  }
  const onAbort = (): void => {
    object.body.destroy(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  return {
    chunks: object.body as AsyncIterable<Buffer>,
    cancel: () => object.body.destroy(),
    done: () => signal?.removeEventListener('abort', onAbort),
  };
}

/**
 * The part as ranged GETs, `concurrency` in flight, yielded in order. Each
 * range is read whole into its own buffer (a short or long range, or an object
 * whose size differs from the manifest's, is corruption). At most
 * `concurrency` ranges are held while the consumer works on the oldest.
 */
function rangedSource(settings: DownloadSettings, key: string, name: string, size: number): PartSource {
  const controller = new AbortController();
  const signal = settings.signal === undefined ? controller.signal : AbortSignal.any([settings.signal, controller.signal]);
  const fetchRange = async (start: number): Promise<Buffer> => {
    const end = Math.min(start + settings.rangeBytes, size) - 1;
    const object = await settings.store.getStream(key, { signal, range: { start, end } });
    if (object === undefined) throw new CheckpointCorruptError(key, `part "${name}" is missing (${key})`);
    if (object.info.size !== size) {
      object.body.destroy();
      throw sizeMismatch(key, name, object.info.size, size);
    }
    const bytes = Buffer.allocUnsafe(end - start + 1);
    let filled = 0;
    for await (const chunk of object.body as AsyncIterable<Buffer>) {
      if (filled + chunk.byteLength > bytes.byteLength) {
        object.body.destroy();
        throw new CheckpointCorruptError(key, `part "${name}": the range from byte ${start} is longer than asked`);
      }
      filled += chunk.copy(bytes, filled);
    }
    if (filled !== bytes.byteLength) throw new CheckpointCorruptError(key, `part "${name}" ended inside the range from byte ${start}`);
    return bytes;
  };
  const window: Promise<Buffer>[] = [];
  async function* chunks(): AsyncGenerator<Buffer> {
    let next = 0;
    const launch = (): void => {
      const pending = fetchRange(next);
      // Awaited in order below; a later range failing first must not be an unhandled rejection.
      pending.catch(() => undefined);
      window.push(pending);
      next += settings.rangeBytes;
    };
    try {
      while (next < size && window.length < settings.concurrency) launch();
      while (window.length > 0) {
        const bytes = await (window.shift() as Promise<Buffer>);
        if (next < size) launch();
        yield bytes;
      }
    } finally {
      // Early exit or failure: stop the GETs still in flight.
      if (window.length > 0) controller.abort(new Error('part download stopped'));
    }
  }
  return {
    chunks: chunks(),
    cancel: () => controller.abort(new Error('part download stopped')),
    done: () => undefined,
  };
}

/** Bytes gathered before one vectored write: few large writes instead of one per network chunk. */
const SPOOL_BATCH = 8 * 2 ** 20;

/** Write chunks to a new file, one batched write in flight while the next batch fills. */
async function spool(chunks: AsyncIterable<Buffer>, path: string): Promise<void> {
  const handle = await open(path, 'wx');
  let inFlight: Promise<unknown> = Promise.resolve();
  try {
    let batch: Buffer[] = [];
    let batchBytes = 0;
    for await (const chunk of chunks) {
      batch.push(chunk);
      batchBytes += chunk.byteLength;
      if (batchBytes >= SPOOL_BATCH) {
        await inFlight;
        inFlight = handle.writev(batch);
        batch = [];
        batchBytes = 0;
      }
    }
    await inFlight;
    if (batch.length > 0) await handle.writev(batch);
  } finally {
    await inFlight.catch(() => undefined);
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
