/**
 * The object-store abstraction that checkpoints, idempotency records, shard
 * plans and work-queue leases all sit on. Correctness under duplicate pods comes
 * from the conditional writes here (If-None-Match / If-Match), nowhere else.
 *
 * Keys are relative to the store's root (the bucket prefix of `s3://bucket/prefix`,
 * the directory of `file:///path`). They are `/`-separated, never start with `/`,
 * and never contain `.` or `..` segments; build them with keys.ts.
 */
import type { Readable } from 'node:stream';

/** Metadata of a stored object. */
export interface ObjectInfo {
  /** Key relative to the store root. */
  readonly key: string;
  /** Size in bytes. */
  readonly size: number;
  /** Opaque version tag; pass it to `ifMatch` for compare-and-swap. */
  readonly etag: string;
  /** Last modification time, when the store tells it. */
  readonly lastModified: Date | undefined;
}

/** Conditions on a write. At most one of the two. */
export interface WriteConditions {
  /** `'*'`: create only; fails with PreconditionFailedError when the key exists. */
  readonly ifNoneMatch?: '*';
  /** Replace only when the current etag equals this; fails with PreconditionFailedError otherwise. */
  readonly ifMatch?: string;
}

/** Options of {@link ObjectStore.put}. */
export interface PutOptions extends WriteConditions {
  /** MIME type stored with the object. */
  readonly contentType?: string;
  /** Cancels the request. */
  readonly signal?: AbortSignal;
}

/** Options of {@link ObjectStore.putStream}. */
export interface PutStreamOptions extends PutOptions {
  /** Multipart part size in bytes (S3: 5 MiB..5 GiB). */
  readonly partSize?: number;
  /** Parts in flight at once; memory use is about partSize x concurrency. */
  readonly concurrency?: number;
}

/** Options of reads. */
export interface GetOptions {
  /** Cancels the request. */
  readonly signal?: AbortSignal;
}

/** Options of {@link ObjectStore.delete}. */
export interface DeleteOptions {
  /** Delete only when the current etag equals this (where the store supports it). */
  readonly ifMatch?: string;
  /** Cancels the request. */
  readonly signal?: AbortSignal;
}

/** A whole object read into memory (small objects: manifests, records, plans). */
export interface StoredObject {
  readonly body: Uint8Array;
  readonly info: ObjectInfo;
}

/** A streamed object (large parts). */
export interface StoredStream {
  readonly body: Readable;
  readonly info: ObjectInfo;
}

/** What the capability probe found. */
export interface StoreCapabilities {
  /** Create-only writes (If-None-Match: *) are honoured. */
  readonly conditionalCreate: boolean;
  /** Compare-and-swap writes (If-Match) are honoured. */
  readonly conditionalReplace: boolean;
  /** Conditional deletes (If-Match on DELETE) are honoured. */
  readonly conditionalDelete: boolean;
}

/**
 * An object store with conditional writes.
 *
 * @example
 * ```ts
 * const store = openStore('s3://my-bucket/jobs');
 * await store.put('a/b.json', JSON.stringify({ n: 1 }), { ifNoneMatch: '*' });
 * const obj = await store.get('a/b.json');
 * ```
 */
export interface ObjectStore {
  /** The store's URL with any credentials removed, for logs and errors. */
  readonly url: string;
  /** Read a whole object; undefined when it does not exist. */
  get(key: string, options?: GetOptions): Promise<StoredObject | undefined>;
  /** Stream an object; undefined when it does not exist. */
  getStream(key: string, options?: GetOptions): Promise<StoredStream | undefined>;
  /** Metadata of an object; undefined when it does not exist. */
  head(key: string, options?: GetOptions): Promise<ObjectInfo | undefined>;
  /** Write a small object in one request, honouring the conditions. */
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo>;
  /**
   * Write a large body with bounded memory (multipart on S3), honouring the
   * conditions at commit time. An aborted or failed upload leaves no object.
   */
  putStream(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<ObjectInfo>;
  /** Every object whose key starts with `prefix`, in key order. */
  list(prefix: string, options?: GetOptions): AsyncIterable<ObjectInfo>;
  /** Delete an object; deleting a missing object is not an error. */
  delete(key: string, options?: DeleteOptions): Promise<void>;
  /**
   * Abort unfinished uploads under `prefix` whose key `select` accepts (S3:
   * multipart uploads a killed process never completed or aborted; they are
   * invisible to {@link list} but billed). Returns how many were aborted.
   * Optional: stores whose failed writes leave nothing billable (memory, fs)
   * do not implement it.
   */
  abortIncompleteUploads?(prefix: string, select: (key: string) => boolean, options?: GetOptions): Promise<number>;
  /** Probe (once, cached) whether conditional writes are honoured. */
  capabilities(): Promise<StoreCapabilities>;
  /** Release sockets and file handles. */
  close(): Promise<void>;
}
