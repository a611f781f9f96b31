/**
 * An in-process ObjectStore with exactly the conditional semantics of the real
 * stores, for unit tests and for `memory://`. Every operation runs to completion
 * synchronously after its inputs are in hand, so each one is atomic with respect
 * to the others, like a single S3 request.
 */
import { Readable } from 'node:stream';
import { PreconditionFailedError } from './errors.ts';
import { md5Etag } from './etag.ts';
import { cachedProbe, probeCapabilities } from './probe.ts';
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
import { assertValidConditions, assertValidKey, assertValidPrefix, compareKeys, throwIfAborted, toBytes } from './validate.ts';

interface Entry {
  readonly body: Uint8Array;
  readonly info: ObjectInfo;
  readonly contentType: string | undefined;
}

/** Named memory stores share their objects within the process (`memory://name`). */
const namedSpaces = new Map<string, Map<string, Entry>>();

/** Options of {@link MemoryStore}. */
export interface MemoryStoreOptions {
  /**
   * Share objects with every other MemoryStore of the same name in this process
   * (`memory://<name>`), e.g. between a test and the job it runs. Unnamed stores
   * are private.
   */
  readonly name?: string;
  /**
   * Test double of a non-compliant S3 server: accept every write and delete as
   * if no condition had been given. The capability probe then reports no
   * conditional writes, and `requireConditionalWrites` refuses to run.
   */
  readonly ignoreConditions?: boolean;
}

/**
 * In-memory {@link ObjectStore}. Etags are the quoted MD5 of the body, as on S3.
 *
 * @example
 * ```ts
 * const store = new MemoryStore();
 * const a = await store.put('k', 'v1', { ifNoneMatch: '*' });
 * await store.put('k', 'v2', { ifMatch: a.etag }); // compare-and-swap
 * await store.put('k', 'v3', { ifMatch: a.etag }); // throws PreconditionFailedError
 * ```
 */
export class MemoryStore implements ObjectStore {
  readonly url: string;
  readonly #objects: Map<string, Entry>;
  readonly #ignoreConditions: boolean;
  readonly #capabilities = cachedProbe(() => probeCapabilities(this));

  constructor(options: MemoryStoreOptions = {}) {
    const { name } = options;
    if (name === undefined || name === '') {
      this.url = 'memory://';
      this.#objects = new Map();
    } else {
      this.url = `memory://${name}`;
      let space = namedSpaces.get(name);
      if (space === undefined) {
        space = new Map();
        namedSpaces.set(name, space);
      }
      this.#objects = space;
    }
    this.#ignoreConditions = options.ignoreConditions ?? false;
  }

  /**
   * Forget the objects of a named memory store (between tests).
   *
   * @example
   * ```ts
   * afterEach(() => MemoryStore.clear('my-test'));
   * ```
   */
  static clear(name: string): void {
    namedSpaces.delete(name);
  }

  get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    return settle(() => {
      assertValidKey(key);
      throwIfAborted(options?.signal);
      const entry = this.#objects.get(key);
      return entry === undefined ? undefined : { body: Uint8Array.from(entry.body), info: entry.info };
    });
  }

  getStream(key: string, options?: GetOptions): Promise<StoredStream | undefined> {
    return settle(() => {
      assertValidKey(key);
      throwIfAborted(options?.signal);
      const entry = this.#objects.get(key);
      return entry === undefined ? undefined : { body: Readable.from([Buffer.from(entry.body)]), info: entry.info };
    });
  }

  head(key: string, options?: GetOptions): Promise<ObjectInfo | undefined> {
    return settle(() => {
      assertValidKey(key);
      throwIfAborted(options?.signal);
      return this.#objects.get(key)?.info;
    });
  }

  put(key: string, body: Uint8Array | string, options: PutOptions = {}): Promise<ObjectInfo> {
    return settle(() => {
      assertValidKey(key);
      assertValidConditions(options);
      throwIfAborted(options.signal);
      // Copy: the caller may reuse its buffer after the promise resolves.
      return this.#commit(key, Uint8Array.from(toBytes(body)), options);
    });
  }

  async putStream(
    key: string,
    body: Readable | AsyncIterable<Uint8Array>,
    options: PutStreamOptions = {},
  ): Promise<ObjectInfo> {
    assertValidKey(key);
    assertValidConditions(options);
    const chunks: Uint8Array[] = [];
    // Breaking out of for-await (on abort) destroys a Readable source.
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) {
      throwIfAborted(options.signal);
      chunks.push(Uint8Array.from(toBytes(chunk)));
    }
    throwIfAborted(options.signal);
    return this.#commit(key, Buffer.concat(chunks), options);
  }

  async *list(prefix: string, options?: GetOptions): AsyncIterable<ObjectInfo> {
    assertValidPrefix(prefix);
    const keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort(compareKeys);
    for (const key of keys) {
      // Yield to the event loop between keys, as a paged listing would.
      await Promise.resolve();
      throwIfAborted(options?.signal);
      // Like an S3 listing page, a key deleted since the listing began is
      // skipped; one written since does not appear.
      const info = this.#objects.get(key)?.info;
      if (info !== undefined) yield info;
    }
  }

  delete(key: string, options: DeleteOptions = {}): Promise<void> {
    return settle(() => {
      assertValidKey(key);
      assertValidConditions({ ifMatch: options.ifMatch });
      throwIfAborted(options.signal);
      if (options.ifMatch !== undefined && !this.#ignoreConditions) {
        const current = this.#objects.get(key);
        if (current?.info.etag !== options.ifMatch) {
          throw new PreconditionFailedError(key, conditionMessage(key, 'delete', current));
        }
      }
      this.#objects.delete(key);
    });
  }

  capabilities(): Promise<StoreCapabilities> {
    return this.#capabilities();
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Check the condition against the current entry and swap in the new one, atomically. */
  #commit(key: string, body: Uint8Array, options: WriteConditions & { contentType?: string }): ObjectInfo {
    if (!this.#ignoreConditions) {
      const current = this.#objects.get(key);
      if (options.ifNoneMatch === '*' && current !== undefined) {
        throw new PreconditionFailedError(key, `create-only write of "${key}" failed: the object already exists`);
      }
      if (options.ifMatch !== undefined && current?.info.etag !== options.ifMatch) {
        throw new PreconditionFailedError(key, conditionMessage(key, 'write', current));
      }
    }
    const info: ObjectInfo = { key, size: body.byteLength, etag: md5Etag(body), lastModified: new Date() };
    this.#objects.set(key, { body, info, contentType: options.contentType });
    return info;
  }
}

function conditionMessage(key: string, op: 'write' | 'delete', current: Entry | undefined): string {
  return current === undefined
    ? `conditional ${op} of "${key}" failed: the object does not exist`
    : `conditional ${op} of "${key}" failed: its etag is now ${current.info.etag}`;
}

/** Run synchronous store logic, turning a throw into a rejection like any I/O-backed store. */
function settle<T>(fn: () => T): Promise<T> {
  try {
    return Promise.resolve(fn());
  } catch (err) {
    return Promise.reject(err instanceof Error ? err : new Error(String(err)));
  }
}
