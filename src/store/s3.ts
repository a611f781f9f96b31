/**
 * The S3 ObjectStore (`s3://bucket/prefix`): AWS S3 or any S3-compatible
 * server with conditional writes (MinIO, moto, R2...). Conditions map to the
 * If-None-Match / If-Match headers of PutObject, CompleteMultipartUpload and
 * DeleteObject; the server checks them atomically, which is what makes
 * fencing and idempotency correct across pods.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  type GetObjectCommandOutput,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { setTimeout as sleep } from 'node:timers/promises';
import { errnoCode } from './errno.ts';
import { checkOption } from '../runtime/config.ts';
import { ConfigurationError, RetryableError } from '../runtime/errors.ts';
import { cachedProbe, IMPOSSIBLE_ETAG, probeCapabilities, PROBE_PREFIX } from './probe.ts';
import { isReplayable } from './replayable.ts';
import { MAX_PART_SIZE, MIN_PART_SIZE, S3_DEFAULTS, S3_LIMITS } from './constants.ts';
import { assertValidTuning, s3RootUrl, type S3Tuning } from './s3-config.ts';
import {
  isConditionalConflict,
  isS3NotFound,
  mapS3Error,
  s3ErrorCode,
  S3UnsupportedError,
  s3HttpStatus,
  type S3ErrorContext,
} from './s3-errors.ts';
import { uploadStream } from './s3-multipart.ts';
import { refreshingCredentials } from './s3-credentials.ts';
import { retryOnExpiredToken } from './s3-expired-token.ts';
import { signWithKnownSha256 } from './s3-known-sha256.ts';
import type {
  DeleteOptions,
  GetOptions,
  ObjectInfo,
  ObjectStore,
  PutOptions,
  PutStreamOptions,
  StoreCapabilities,
  StoredObject,
  StoredStream,
  WriteConditions,
} from './types.ts';
import { assertValidConditions, assertValidKey, assertValidPrefix, throwIfAborted, toBytes } from './validate.ts';

/** Options of {@link S3Store}. */
export interface S3StoreOptions extends S3Tuning {
  /** Bucket name. */
  readonly bucket: string;
  /** Key prefix under which the store lives (no leading or trailing `/` needed). */
  readonly prefix?: string;
  /**
   * Explicit credentials; by default the standard AWS chain (env, web identity/IRSA, container endpoint/Pod
   * Identity, profiles, IMDS). A provider function (and the default chain) is refreshed before expiry and once
   * after an ExpiredToken answer (docs/stores.md, Credentials); static keys are used as they are.
   */
  readonly credentials?: S3ClientConfig['credentials'];
  /** Use this client instead of creating one (the store then does not destroy it on close). */
  readonly client?: S3Client;
}

/** A 409 ConditionalRequestConflict is retried this many times in total. */
const CONFLICT_ATTEMPTS = 4;

/** Whether the multipart Complete honours each condition (probed once). */
interface MultipartConditionSupport {
  readonly ifNoneMatch: boolean;
  readonly ifMatch: boolean;
}

/**
 * {@link ObjectStore} on S3.
 *
 * @example
 * ```ts
 * const store = new S3Store({ bucket: 'my-bucket', prefix: 'jobkit', region: 'eu-west-1' });
 * await store.put('jobs/etl/plan.json', plan, { ifNoneMatch: '*' });
 * ```
 */
export class S3Store implements ObjectStore {
  readonly url: string;
  readonly bucket: string;
  /** Root prefix of every key, `''` or ending in `/`. */
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #ownsClient: boolean;
  readonly #partSize: number;
  readonly #concurrency: number;
  readonly #checksums: boolean;
  readonly #maxAttempts: number;
  readonly #sse: Record<string, string>;
  // The probe drives the raw operations: the public ones wait for its verdict.
  readonly #capabilities = cachedProbe(() =>
    probeCapabilities(
      {
        put: (key, body, options) => this.#putObject(key, toBytes(body), options ?? {}),
        head: (key) => this.head(key),
        delete: (key, options) => this.#deleteObject(key, options ?? {}),
      },
      // A 400 to a conditional header (unmapped, so the SDK error itself) means it is not understood.
      { isUnsupported: (err) => err instanceof S3UnsupportedError || s3HttpStatus(err) === 400 },
    ),
  );
  #multipartSupport: Promise<MultipartConditionSupport> | undefined;

  constructor(options: S3StoreOptions) {
    assertValidTuning(options);
    if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(options.bucket)) {
      throw new ConfigurationError(`invalid S3 bucket name ${JSON.stringify(options.bucket)} (JOBKIT_STORE)`);
    }
    this.bucket = options.bucket;
    const prefix = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    if (prefix !== '') {
      try {
        assertValidKey(prefix);
      } catch {
        throw new ConfigurationError(`invalid S3 key prefix ${JSON.stringify(prefix)} in JOBKIT_STORE=s3://${options.bucket}/${prefix}`);
      }
    }
    this.prefix = prefix === '' ? '' : `${prefix}/`;
    this.url = s3RootUrl(this.bucket, prefix);
    this.#partSize = options.partSize ?? S3_DEFAULTS.partSize;
    this.#concurrency = options.uploadConcurrency ?? S3_DEFAULTS.uploadConcurrency;
    const checksumMode = options.requestChecksumCalculation ?? 'WHEN_SUPPORTED';
    this.#checksums = checksumMode === 'WHEN_SUPPORTED';
    this.#maxAttempts = options.maxAttempts ?? S3_DEFAULTS.maxAttempts;
    this.#sse = {
      ...(options.serverSideEncryption === undefined ? {} : { ServerSideEncryption: options.serverSideEncryption }),
      ...(options.sseKmsKeyId === undefined ? {} : { SSEKMSKeyId: options.sseKmsKeyId }),
    };
    if (options.client !== undefined) {
      this.#client = options.client;
      this.#ownsClient = false;
    } else {
      this.#client = createClient(options, checksumMode);
      this.#ownsClient = true;
    }
  }

  async get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    assertValidKey(key);
    // The SDK retries a request, not the reading of its body: a body cut or
    // damaged in transit (a reset, a failed response checksum) is retried here.
    for (let attempt = 1; ; attempt++) {
      const res = await this.#getObject(key, {}, options?.signal);
      if (res === undefined) return undefined;
      try {
        const body = res.Body === undefined ? new Uint8Array() : await res.Body.transformToByteArray();
        return { body, info: { key, size: body.byteLength, etag: res.ETag ?? '', lastModified: res.LastModified } };
      } catch (err) {
        if (options?.signal?.aborted === true) throw err;
        if (attempt >= this.#maxAttempts) throw this.#bodyError(key, attempt, err);
        await backoff(attempt, options?.signal);
      }
    }
  }

  async getStream(key: string, options?: GetOptions): Promise<StoredStream | undefined> {
    assertValidKey(key);
    const res = await this.#getObject(key, {}, options?.signal);
    if (res === undefined) return undefined;
    const info: ObjectInfo = { key, size: res.ContentLength ?? 0, etag: res.ETag ?? '', lastModified: res.LastModified };
    // Node's SDK runtime returns the response socket stream; holding it
    // unconsumed holds one of maxSockets sockets, so consume or destroy it.
    const first = res.Body instanceof Readable ? res.Body : Readable.from(res.Body === undefined ? [] : [await res.Body.transformToByteArray()]);
    return { body: Readable.from(this.#resumingBody(key, info, first, options?.signal), { objectMode: false }), info };
  }

  /**
   * The bytes of an object, resumed after a cut: a body that fails mid-way
   * (reset, premature end) is continued with a ranged GET from the offset
   * already delivered, pinned to the same version by If-Match, within the
   * store's attempt budget. Bytes already handed on are never sent again.
   */
  async *#resumingBody(key: string, info: ObjectInfo, first: Readable, signal: AbortSignal | undefined): AsyncGenerator<Buffer> {
    let source = first;
    let offset = 0;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          for await (const chunk of source as AsyncIterable<Buffer>) {
            offset += chunk.byteLength;
            yield chunk;
          }
          if (offset >= info.size) return;
          throw new Error(`the body ended after ${offset} of ${info.size} bytes`);
        } catch (err) {
          source.destroy();
          if (signal?.aborted === true) throw err;
          // A failed checksum covers the whole body: the bytes handed on may be the bad ones.
          if (attempt >= this.#maxAttempts || isChecksumFailure(err)) throw this.#bodyError(key, attempt, err);
          await backoff(attempt, signal);
          const res = await this.#getObject(key, { Range: `bytes=${offset}-`, IfMatch: info.etag }, signal);
          if (res === undefined) throw new RetryableError(`S3 GetObject of "${key}" in bucket "${this.bucket}": the object disappeared while it was read`);
          source = res.Body instanceof Readable ? res.Body : Readable.from(res.Body === undefined ? [] : [await res.Body.transformToByteArray()]);
        }
      }
    } finally {
      source.destroy();
    }
  }

  /** One GetObject request (the SDK retries it); undefined when the key does not exist. */
  async #getObject(
    key: string,
    extra: { Range?: string; IfMatch?: string },
    signal: AbortSignal | undefined,
  ): Promise<GetObjectCommandOutput | undefined> {
    throwIfAborted(signal);
    try {
      return await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key: this.prefix + key, ...extra }), { abortSignal: signal });
    } catch (err) {
      if (isS3NotFound(err)) return undefined;
      throw mapS3Error(err, this.#ctx('GetObject', key));
    }
  }

  /** The retryable error of a body that kept failing in transit, naming key and bucket. */
  #bodyError(key: string, attempts: number, err: unknown): RetryableError {
    const why = isChecksumFailure(err) ? 'failed its checksum in transit' : `was cut in transit (${errnoCode(err) ?? (err instanceof Error ? err.message : String(err))})`;
    return new RetryableError(
      `S3 GetObject of "${key}" in bucket "${this.bucket}" (${this.url}): the response body ${why}; ${attempts} attempt${attempts === 1 ? '' : 's'}`,
    );
  }

  async head(key: string, options?: GetOptions): Promise<ObjectInfo | undefined> {
    assertValidKey(key);
    throwIfAborted(options?.signal);
    try {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), {
        abortSignal: options?.signal,
      });
      return { key, size: res.ContentLength ?? 0, etag: res.ETag ?? '', lastModified: res.LastModified };
    } catch (err) {
      if (isS3NotFound(err)) return undefined;
      throw mapS3Error(err, this.#ctx('HeadObject', key));
    }
  }

  async put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<ObjectInfo> {
    assertValidKey(key);
    assertValidConditions(options);
    throwIfAborted(options.signal);
    await this.#requireHonoured(options);
    return await this.#putObject(key, toBytes(body), options);
  }

  async putStream(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    options: PutStreamOptions = {},
  ): Promise<ObjectInfo> {
    assertValidKey(key);
    assertValidConditions(options);
    const partSize = options.partSize ?? this.#partSize;
    const concurrency = options.concurrency ?? this.#concurrency;
    checkOption('partSize', partSize, { min: MIN_PART_SIZE, max: MAX_PART_SIZE, integer: true, label: 'putStream option partSize', plain: true });
    const [minConcurrency, maxConcurrency] = S3_LIMITS.uploadConcurrency;
    checkOption('concurrency', concurrency, { min: minConcurrency, max: maxConcurrency, integer: true, label: 'putStream option concurrency', plain: true });
    const conditions: WriteConditions = { ifNoneMatch: options.ifNoneMatch, ifMatch: options.ifMatch };
    await this.#requireHonoured(conditions);
    const token = randomUUID();
    for (let attempt = 1; ; attempt++) {
      try {
        return await uploadStream(
          {
            client: this.#client,
            bucket: this.bucket,
            objectKey: this.prefix + key,
            key,
            storeUrl: this.url,
            partSize,
            concurrency,
            conditions,
            createFields: {
              ...this.#sse,
              ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
              ...(this.#checksums ? { ChecksumAlgorithm: 'CRC32' } : {}),
            },
            signal: options.signal,
            writeToken: { metadata: { [WRITE_TOKEN]: token }, ownWrite: () => this.#ownWrite(key, token, options.signal) },
            putSmall: (bytes) => this.#putObject(key, bytes, options),
            assertConditionsHonoured: (c) => this.#assertMultipartConditions(c, partSize),
          },
          body as AsyncIterable<Uint8Array | string>,
        );
      } catch (err) {
        // 409 at Complete: the whole upload must be redone, which needs the body again.
        const conflict = err instanceof RetryableError && isConditionalConflict(err.cause);
        if (!conflict || !isReplayable(body) || attempt >= CONFLICT_ATTEMPTS) throw err;
        await backoff(attempt, options.signal);
      }
    }
  }

  async *list(prefix: string, options?: GetOptions): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    let token: string | undefined;
    do {
      throwIfAborted(options?.signal);
      let page;
      try {
        page = await this.#client.send(
          new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }),
          { abortSignal: options?.signal },
        );
      } catch (err) {
        throw mapS3Error(err, this.#ctx('ListObjectsV2'));
      }
      for (const item of page.Contents ?? []) {
        if (item.Key === undefined) continue;
        yield { key: item.Key.slice(this.prefix.length), size: item.Size ?? 0, etag: item.ETag ?? '', lastModified: item.LastModified };
      }
      token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async abortIncompleteUploads(prefix: string, select: (key: string) => boolean, options?: GetOptions): Promise<number> {
    assertValidPrefix(prefix);
    let aborted = 0;
    let keyMarker: string | undefined;
    let uploadIdMarker: string | undefined;
    do {
      throwIfAborted(options?.signal);
      let page;
      try {
        page = await this.#client.send(
          new ListMultipartUploadsCommand({
            Bucket: this.bucket,
            Prefix: this.prefix + prefix,
            KeyMarker: keyMarker,
            UploadIdMarker: uploadIdMarker,
          }),
          { abortSignal: options?.signal },
        );
      } catch (err) {
        throw mapS3Error(err, this.#ctx('ListMultipartUploads'));
      }
      for (const upload of page.Uploads ?? []) {
        const { Key, UploadId } = upload;
        // Servers that ignore Prefix would hand back other jobs' uploads: filter again.
        if (Key === undefined || UploadId === undefined || !Key.startsWith(this.prefix + prefix)) continue;
        const key = Key.slice(this.prefix.length);
        if (!select(key)) continue;
        try {
          await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key, UploadId }), { abortSignal: options?.signal });
          aborted++;
        } catch (err) {
          // Completed or aborted by its owner since the listing: nothing left to do.
          if (s3ErrorCode(err) !== 'NoSuchUpload') throw mapS3Error(err, this.#ctx('AbortMultipartUpload', key));
        }
      }
      keyMarker = page.IsTruncated === true ? page.NextKeyMarker : undefined;
      uploadIdMarker = page.IsTruncated === true ? page.NextUploadIdMarker : undefined;
    } while (keyMarker !== undefined);
    return aborted;
  }

  async delete(key: string, options: DeleteOptions = {}): Promise<void> {
    assertValidKey(key);
    assertValidConditions({ ifMatch: options.ifMatch });
    throwIfAborted(options.signal);
    if (options.ifMatch !== undefined) await this.#requireHonoured({ ifMatch: options.ifMatch }, 'delete');
    await this.#deleteObject(key, options);
  }

  capabilities(): Promise<StoreCapabilities> {
    return this.#capabilities();
  }

  close(): Promise<void> {
    if (this.#ownsClient) this.#client.destroy();
    return Promise.resolve();
  }

  /**
   * Refuse a conditional request the server would silently treat as
   * unconditional (the capability probe runs once, at the first one).
   */
  async #requireHonoured(conditions: WriteConditions, op: 'write' | 'delete' = 'write'): Promise<void> {
    if (conditions.ifNoneMatch === undefined && conditions.ifMatch === undefined) return;
    const caps = await this.capabilities();
    const [capability, header]: [keyof StoreCapabilities, string] =
      op === 'delete'
        ? ['conditionalDelete', 'If-Match on DeleteObject']
        : conditions.ifNoneMatch !== undefined
          ? ['conditionalCreate', 'If-None-Match on PutObject']
          : ['conditionalReplace', 'If-Match on PutObject'];
    if (caps[capability]) return;
    throw new S3UnsupportedError(
      `JOBKIT_STORE=${this.url}: the server ignores ${header} (found by the capability probe); ` +
        `refusing a conditional ${op} it would silently apply unconditionally`,
    );
  }

  /** One DeleteObject, retried on 409 ConditionalRequestConflict. */
  async #deleteObject(key: string, options: DeleteOptions): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.#client.send(
          new DeleteObjectCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            ...(options.ifMatch === undefined ? {} : { IfMatch: options.ifMatch }),
          }),
          { abortSignal: options.signal },
        );
        return;
      } catch (err) {
        if (isConditionalConflict(err) && attempt < CONFLICT_ATTEMPTS) {
          await backoff(attempt, options.signal);
          continue;
        }
        // Deleting a missing object is not an error; nor is a conditional delete
        // whose retry finds the object gone (its first attempt deleted it, the response was lost).
        if (isS3NotFound(err) && (options.ifMatch === undefined || mayHaveLandedBefore(err))) return;
        throw mapS3Error(err, this.#ctx('DeleteObject', key, options.ifMatch !== undefined));
      }
    }
  }

  #ctx(operation: string, key?: string, conditional = false): S3ErrorContext {
    return { operation, storeUrl: this.url, bucket: this.bucket, ...(key === undefined ? {} : { key }), conditional };
  }

  /**
   * One PutObject, retried on 409 ConditionalRequestConflict (we hold the bytes).
   *
   * A conditional write carries a unique token in its metadata. When the SDK
   * retried the request (a 500 after the write, a reset mid-response) the
   * retry finds the condition false because of our own first attempt; the
   * token tells that apart from another writer's object, so a lost response
   * never turns our success into a lost race.
   */
  async #putObject(key: string, bytes: Uint8Array, options: PutOptions): Promise<ObjectInfo> {
    const conditional = options.ifNoneMatch !== undefined || options.ifMatch !== undefined;
    const token = conditional ? randomUUID() : undefined;
    for (let attempt = 1; ; attempt++) {
      try {
        const res = await this.#client.send(
          new PutObjectCommand({
            Bucket: this.bucket,
            Key: this.prefix + key,
            Body: bytes,
            ContentLength: bytes.byteLength,
            ...this.#sse,
            ...(options.contentType === undefined ? {} : { ContentType: options.contentType }),
            ...(options.ifNoneMatch === undefined ? {} : { IfNoneMatch: options.ifNoneMatch }),
            ...(options.ifMatch === undefined ? {} : { IfMatch: options.ifMatch }),
            ...(token === undefined ? {} : { Metadata: { [WRITE_TOKEN]: token } }),
          }),
          { abortSignal: options.signal },
        );
        return { key, size: bytes.byteLength, etag: res.ETag ?? '', lastModified: new Date() };
      } catch (err) {
        if (isConditionalConflict(err) && attempt < CONFLICT_ATTEMPTS) {
          await backoff(attempt, options.signal);
          continue;
        }
        if (token !== undefined && mayHaveLandedBefore(err)) {
          const mine = await this.#ownWrite(key, token, options.signal);
          if (mine !== undefined) return mine;
        }
        throw mapS3Error(err, this.#ctx('PutObject', key, conditional));
      }
    }
  }

  /** The object at `key` when it carries our write token (our own earlier attempt landed). */
  async #ownWrite(key: string, token: string, signal: AbortSignal | undefined): Promise<ObjectInfo | undefined> {
    try {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: this.prefix + key }), { abortSignal: signal });
      if (res.Metadata?.[WRITE_TOKEN] !== token) return undefined;
      return { key, size: res.ContentLength ?? 0, etag: res.ETag ?? '', lastModified: res.LastModified };
    } catch (err) {
      if (isS3NotFound(err)) return undefined;
      // We cannot tell whether our write landed: that is a retryable outcome, never a lost race.
      throw mapS3Error(err, this.#ctx('HeadObject', key));
    }
  }

  async #assertMultipartConditions(conditions: WriteConditions, partSize: number): Promise<void> {
    this.#multipartSupport ??= this.#probeMultipartConditions().catch((err: unknown) => {
      this.#multipartSupport = undefined;
      throw err;
    });
    const support = await this.#multipartSupport;
    const missing = conditions.ifNoneMatch !== undefined && !support.ifNoneMatch ? 'If-None-Match' : conditions.ifMatch !== undefined && !support.ifMatch ? 'If-Match' : undefined;
    if (missing !== undefined) {
      throw new S3UnsupportedError(
        `JOBKIT_STORE=${this.url}: the server ignores ${missing} on CompleteMultipartUpload, so a conditional streamed ` +
          `upload larger than one part (${partSize} bytes) cannot be made safe; write it unconditionally and commit ` +
          `with a small conditional put(), or use a server that honours it (AWS S3, MinIO)`,
      );
    }
  }

  /** Try each condition on a one-part multipart upload of a throwaway key. */
  async #probeMultipartConditions(): Promise<MultipartConditionSupport> {
    const objectKey = `${this.prefix}${PROBE_PREFIX}${randomUUID()}-multipart`;
    const base = { Bucket: this.bucket, Key: objectKey };
    const honoured = async (condition: { IfNoneMatch: string } | { IfMatch: string }): Promise<boolean> => {
      const { UploadId } = await this.#client.send(new CreateMultipartUploadCommand({ ...base, ...this.#sse }));
      try {
        const part = await this.#client.send(new UploadPartCommand({ ...base, UploadId, PartNumber: 1, Body: 'probe' }));
        await this.#client.send(
          new CompleteMultipartUploadCommand({
            ...base,
            UploadId,
            MultipartUpload: { Parts: [{ PartNumber: 1, ETag: part.ETag, ...(part.ChecksumCRC32 === undefined ? {} : { ChecksumCRC32: part.ChecksumCRC32 }) }] },
            ...condition,
          }),
        );
        return false;
      } catch (err) {
        if (s3HttpStatus(err) === 412 || isS3NotFound(err)) return true;
        if (s3HttpStatus(err) === 501 || s3HttpStatus(err) === 400) return false;
        throw mapS3Error(err, this.#ctx('CompleteMultipartUpload'));
      } finally {
        await this.#client.send(new AbortMultipartUploadCommand({ ...base, UploadId })).catch(() => undefined);
      }
    };
    try {
      await this.#client.send(new PutObjectCommand({ ...base, Body: 'probe', ...this.#sse }));
      return { ifNoneMatch: await honoured({ IfNoneMatch: '*' }), ifMatch: await honoured({ IfMatch: IMPOSSIBLE_ETAG }) };
    } catch (err) {
      throw mapS3Error(err, this.#ctx('multipart condition probe'));
    } finally {
      await this.#client.send(new DeleteObjectCommand(base)).catch(() => undefined);
    }
  }
}

/** The SDK's response-checksum validation failed (the bytes were damaged on the way). */
function isChecksumFailure(err: unknown): boolean {
  return err instanceof Error && err.message.startsWith('Checksum mismatch');
}

/** User-metadata name of the token that marks a conditional write as ours. */
const WRITE_TOKEN = 'jobkit-write';

/**
 * Whether a failed conditional request was sent more than once by the SDK,
 * so an earlier attempt may have been applied (412/404 from the server after
 * a retry). Unknown attempt counts are treated as "maybe".
 */
function mayHaveLandedBefore(err: unknown): boolean {
  const status = s3HttpStatus(err);
  if (status !== 412 && status !== 404) return false;
  const attempts = (err as { $metadata?: { attempts?: unknown } }).$metadata?.attempts;
  return typeof attempts !== 'number' || attempts > 1;
}

async function backoff(attempt: number, signal: AbortSignal | undefined): Promise<void> {
  await sleep(Math.random() * 50 * 2 ** attempt, undefined, { signal });
}

function createClient(options: S3StoreOptions, checksumMode: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'): S3Client {
  const maxSockets = options.maxSockets ?? S3_DEFAULTS.maxSockets;
  const agentOptions = { keepAlive: true, maxSockets };
  const refreshing = refreshingCredentials(options.credentials);
  const client = new S3Client({
    region: options.region ?? 'us-east-1',
    followRegionRedirects: true,
    ...(options.endpoint === undefined ? {} : { endpoint: options.endpoint }),
    forcePathStyle: options.forcePathStyle ?? options.endpoint !== undefined,
    credentials: refreshing?.provide ?? options.credentials,
    maxAttempts: options.maxAttempts ?? S3_DEFAULTS.maxAttempts,
    requestChecksumCalculation: checksumMode,
    responseChecksumValidation: options.responseChecksumValidation ?? checksumMode,
    requestHandler: {
      httpAgent: new HttpAgent(agentOptions),
      httpsAgent: new HttpsAgent(agentOptions),
      connectionTimeout: S3_DEFAULTS.connectionTimeoutMs,
      requestTimeout: options.requestTimeoutMs ?? S3_DEFAULTS.requestTimeoutMs,
    },
  });
  if (refreshing !== undefined) retryOnExpiredToken(client, refreshing);
  signWithKnownSha256(client);
  return client;
}
