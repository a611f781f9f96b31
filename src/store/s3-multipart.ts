/**
 * Streaming multipart upload with bounded memory and conditions at commit.
 *
 * Written here rather than with @aws-sdk/lib-storage (which does forward
 * IfNoneMatch/IfMatch to CompleteMultipartUpload) because jobkit needs: an
 * exact memory bound of (concurrency + 1) x partSize, whatever the source;
 * AbortMultipartUpload after every failure including a failed condition at
 * Complete (lib-storage leaves that to the caller for 412); and failures
 * classified so a 409 ConditionalRequestConflict can restart the upload.
 */
import {
  AbortMultipartUploadCommand,
  type CompletedPart,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  type S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { ConfigurationError } from '../runtime/errors.ts';
import { crc32Base64, freshMark, isFresh, releaseFresh } from './fresh.ts';
import { mapS3Error, type S3ErrorContext } from './s3-errors.ts';
import type { ObjectInfo, WriteConditions } from './types.ts';
import { throwIfAborted, toBytes } from './validate.ts';

/** S3 accepts at most this many parts per upload. */
export const MAX_PARTS = 10_000;

/** Everything {@link uploadStream} needs from the store. */
export interface MultipartUpload {
  readonly client: S3Client;
  readonly bucket: string;
  /** Full S3 key (with the store prefix). */
  readonly objectKey: string;
  /** Store key, for results and errors. */
  readonly key: string;
  readonly storeUrl: string;
  readonly partSize: number;
  readonly concurrency: number;
  readonly conditions: WriteConditions;
  /** Extra CreateMultipartUpload fields: ContentType, SSE, ChecksumAlgorithm. */
  readonly createFields: Record<string, string>;
  readonly signal: AbortSignal | undefined;
  /** Write a body that fits one part with a single conditional PutObject. */
  readonly putSmall: (body: Uint8Array) => Promise<ObjectInfo>;
  /**
   * Marks the upload as ours (user metadata) and finds it again: when the
   * response of CompleteMultipartUpload is lost, the SDK's retry meets
   * NoSuchUpload or a failed condition although our upload was committed.
   */
  readonly writeToken: { readonly metadata: Record<string, string>; readonly ownWrite: () => Promise<ObjectInfo | undefined> };
  /** Throws when the server ignores the given conditions on CompleteMultipartUpload. */
  readonly assertConditionsHonoured: (conditions: WriteConditions) => Promise<void>;
}

/**
 * Cut a byte stream into freshly allocated parts of exactly `partSize` bytes
 * (the last one shorter). A chunk marked fresh (store/fresh.ts) that is
 * exactly one part and starts at a part boundary is that part, uncopied: its
 * producer never writes to it again.
 */
async function* partsOf(
  body: AsyncIterable<Uint8Array | string>,
  partSize: number,
  signal: AbortSignal | undefined,
  pool: PartPool,
): AsyncGenerator<Buffer> {
  let part = pool.take();
  let filled = 0;
  for await (const chunk of body) {
    throwIfAborted(signal);
    const bytes = toBytes(chunk);
    if (filled === 0 && bytes.byteLength === partSize && isFresh(bytes)) {
      yield Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      continue;
    }
    let offset = 0;
    while (offset < bytes.byteLength) {
      const n = Math.min(partSize - filled, bytes.byteLength - offset);
      part.set(bytes.subarray(offset, offset + n), filled);
      filled += n;
      offset += n;
      if (filled === partSize) {
        yield part;
        part = pool.take();
        filled = 0;
      }
    }
    // Copied: its producer may have it back.
    releaseFresh(bytes);
  }
  throwIfAborted(signal);
  if (filled > 0) yield part.subarray(0, filled);
}

/**
 * The part buffers of one upload: a buffer whose UploadPart succeeded is
 * filled again for a later part instead of a new one being allocated, so a
 * long stream holds (concurrency + 1) buffers of partSize whatever its length,
 * not as many as the garbage collector has not yet freed. Only buffers the
 * pool allocated come back to it (never a fresh chunk of the caller's), and
 * only once their request has settled: the SDK no longer reads them.
 */
class PartPool {
  readonly #free: Buffer[] = [];
  readonly #own = new WeakSet<Buffer>();
  readonly #partSize: number;
  readonly #max: number;

  constructor(partSize: number, max: number) {
    this.#partSize = partSize;
    this.#max = max;
  }

  take(): Buffer {
    const reused = this.#free.pop();
    if (reused !== undefined) return reused;
    const part = Buffer.allocUnsafe(this.#partSize);
    this.#own.add(part);
    return part;
  }

  give(part: Buffer): void {
    if (this.#own.has(part) && this.#free.length < this.#max) this.#free.push(part);
  }
}

/**
 * Upload `body`: one conditional PutObject when it fits in one part, else a
 * multipart upload whose conditions are checked at Complete. On any failure
 * (source error, abort, part failure, failed condition) the multipart upload
 * is aborted so that nothing is left behind, and the error is rethrown mapped
 * (PreconditionFailedError, ConfigurationError, RetryableError).
 *
 * @example
 * ```ts
 * const info = await uploadStream(upload, createReadStream(path));
 * ```
 */
export async function uploadStream(upload: MultipartUpload, body: AsyncIterable<Uint8Array | string>): Promise<ObjectInfo> {
  const pool = new PartPool(upload.partSize, upload.concurrency + 1);
  const parts = partsOf(body, upload.partSize, upload.signal, pool);
  try {
    const first = await parts.next();
    if (first.done === true) return await upload.putSmall(new Uint8Array());
    const second = await parts.next();
    if (second.done === true) return await upload.putSmall(first.value).finally(() => releaseFresh(first.value));
    if (upload.conditions.ifNoneMatch !== undefined || upload.conditions.ifMatch !== undefined) {
      await upload.assertConditionsHonoured(upload.conditions);
    }
    return await multipart(upload, first.value, second.value, parts, pool);
  } finally {
    // Stops and releases the source when we leave early (error, abort).
    await parts.return(undefined);
  }
}

async function multipart(upload: MultipartUpload, first: Buffer, second: Buffer, rest: AsyncGenerator<Buffer>, pool: PartPool): Promise<ObjectInfo> {
  const { client, bucket, objectKey, signal } = upload;
  const ctx = (operation: string, conditional = false): S3ErrorContext => ({
    operation,
    storeUrl: upload.storeUrl,
    bucket,
    key: upload.key,
    conditional,
  });
  let uploadId: string | undefined;
  try {
    const created = await client.send(
      new CreateMultipartUploadCommand({ Bucket: bucket, Key: objectKey, ...upload.createFields, Metadata: upload.writeToken.metadata }),
      { abortSignal: signal },
    );
    uploadId = created.UploadId;
    if (uploadId === undefined) throw new Error(`S3 CreateMultipartUpload of "${upload.key}" returned no UploadId`);
  } catch (err) {
    throw mapS3Error(err, ctx('CreateMultipartUpload'));
  }

  // Part requests are cancelled together when one fails or the caller aborts.
  const cancel = new AbortController();
  const onAbort = (): void => cancel.abort(signal?.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const inFlight = new Set<Promise<void>>();
  const completed: CompletedPart[] = [];
  let failure: { error: unknown } | undefined;
  let size = 0;
  // A CRC-32 the producer computed is sent as the part's checksum (the SDK skips its own) when the upload has one.
  const withCrc = upload.createFields.ChecksumAlgorithm === 'CRC32';
  const start = (partNumber: number, data: Buffer): void => {
    size += data.byteLength;
    const crc = withCrc ? freshMark(data)?.crc32 : undefined;
    const request = client
      .send(
        new UploadPartCommand({
          Bucket: bucket,
          Key: objectKey,
          UploadId: uploadId,
          PartNumber: partNumber,
          Body: data,
          ContentLength: data.byteLength,
          ...(crc === undefined ? {} : { ChecksumCRC32: crc32Base64(crc) }),
        }),
        { abortSignal: cancel.signal },
      )
      .then(
        (res) => {
          completed.push({ PartNumber: partNumber, ETag: res.ETag, ...(res.ChecksumCRC32 === undefined ? {} : { ChecksumCRC32: res.ChecksumCRC32 }) });
          pool.give(data);
        },
        (err: unknown) => {
          failure ??= { error: mapS3Error(err, ctx('UploadPart')) };
          cancel.abort();
        },
      )
      .finally(() => {
        inFlight.delete(request);
        releaseFresh(data);
      });
    inFlight.add(request);
  };
  try {
    start(1, first);
    let partNumber = 2;
    for (let part: Buffer | undefined = second; part !== undefined; ) {
      if (partNumber > MAX_PARTS) {
        throw new ConfigurationError(
          `streamed upload of "${upload.key}" exceeds ${MAX_PARTS} parts of ${upload.partSize} bytes: raise partSize (JOBKIT_S3_PART_SIZE_MB)`,
        );
      }
      while (inFlight.size >= upload.concurrency && failure === undefined) await Promise.race(inFlight);
      if (failure !== undefined) throw failure.error;
      throwIfAborted(signal);
      start(partNumber++, part);
      const next = await rest.next();
      part = next.done === true ? undefined : next.value;
    }
    await Promise.all(inFlight);
    if (failure !== undefined) throw failure.error;
    throwIfAborted(signal);
    completed.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0));
    const { ifNoneMatch, ifMatch } = upload.conditions;
    try {
      const done = await client.send(
        new CompleteMultipartUploadCommand({
          Bucket: bucket,
          Key: objectKey,
          UploadId: uploadId,
          MultipartUpload: { Parts: completed },
          ...(ifNoneMatch === undefined ? {} : { IfNoneMatch: ifNoneMatch }),
          ...(ifMatch === undefined ? {} : { IfMatch: ifMatch }),
        }),
        { abortSignal: signal },
      );
      uploadId = undefined;
      return { key: upload.key, size, etag: done.ETag ?? '', lastModified: new Date() };
    } catch (err) {
      if (completeMayHaveLanded(err)) {
        const mine = await upload.writeToken.ownWrite();
        if (mine !== undefined) {
          uploadId = undefined;
          return { ...mine, size };
        }
      }
      throw mapS3Error(err, ctx('CompleteMultipartUpload', ifNoneMatch !== undefined || ifMatch !== undefined));
    }
  } catch (err) {
    cancel.abort();
    await Promise.allSettled(inFlight);
    throw err;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (uploadId !== undefined) await abortUpload(client, bucket, objectKey, uploadId);
  }
}

/**
 * Whether a failed Complete was retried by the SDK after an attempt that may
 * have committed (then the retry sees NoSuchUpload, or 412 on our own object).
 */
function completeMayHaveLanded(err: unknown): boolean {
  const meta = (err as { $metadata?: { httpStatusCode?: unknown; attempts?: unknown } } | undefined)?.$metadata;
  const status = meta?.httpStatusCode;
  if (status !== 412 && status !== 404) return false;
  return typeof meta?.attempts !== 'number' || meta.attempts > 1;
}

/**
 * Abort a multipart upload so its parts are freed. Best effort, with its own
 * timeout (the caller's signal may be the reason we are here); a leftover is
 * also reclaimed by a bucket lifecycle rule (AbortIncompleteMultipartUpload),
 * which docs/stores.md recommends.
 */
async function abortUpload(client: S3Client, bucket: string, objectKey: string, uploadId: string): Promise<void> {
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId: uploadId }), {
      abortSignal: AbortSignal.timeout(30_000),
    });
  } catch {
    // Already gone, or unreachable: the lifecycle rule is the backstop.
  }
}
