/**
 * The fault-injecting stores of the unit tests: one wrapper that every
 * operation passes through (delay, fail, pause or wrap it), and a counting
 * store built on it that can apply a put and then lose its response.
 * Integration tests inject faults on the wire instead (fault-proxy.ts).
 */
import type { Readable } from 'node:stream';
import { MemoryStore } from '../../src/store/memory.ts';
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
} from '../../src/store/types.ts';

export type Op = 'get' | 'getStream' | 'head' | 'put' | 'putStream' | 'list' | 'delete';

/**
 * Delegates to `inner`; `around(op, key, run)` may delay, fail or wrap each
 * operation (default: run it).
 */
export class InterceptingStore implements ObjectStore {
  readonly inner: ObjectStore;
  around: (op: Op, key: string, run: () => Promise<unknown>) => Promise<unknown> = (_op, _key, run) => run();

  constructor(inner: ObjectStore) {
    this.inner = inner;
  }

  get url(): string {
    return this.inner.url;
  }

  get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    return this.around('get', key, () => this.inner.get(key, options)) as Promise<StoredObject | undefined>;
  }
  getStream(key: string, options?: GetOptions): Promise<StoredStream | undefined> {
    return this.around('getStream', key, () => this.inner.getStream(key, options)) as Promise<StoredStream | undefined>;
  }
  head(key: string, options?: GetOptions): Promise<ObjectInfo | undefined> {
    return this.around('head', key, () => this.inner.head(key, options)) as Promise<ObjectInfo | undefined>;
  }
  put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo> {
    return this.around('put', key, () => this.inner.put(key, body, options)) as Promise<ObjectInfo>;
  }
  putStream(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<ObjectInfo> {
    return this.around('putStream', key, () => this.inner.putStream(key, body, options)) as Promise<ObjectInfo>;
  }
  list(prefix: string, options?: GetOptions): AsyncIterable<ObjectInfo> {
    return this.inner.list(prefix, options);
  }
  delete(key: string, options?: DeleteOptions): Promise<void> {
    return this.around('delete', key, () => this.inner.delete(key, options)) as Promise<void>;
  }
  capabilities(): Promise<StoreCapabilities> {
    return this.inner.capabilities();
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}

/** A transient S3-style error (classified retryable). */
export function slowDown(): Error {
  return Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
}

/**
 * A MemoryStore that counts gets and puts, tracks requests in flight, and can
 * apply a put and then throw (a lost response).
 */
export class CountingStore extends InterceptingStore {
  gets = 0;
  puts = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** When > 0, the next puts (outside `_jobkit/`) are applied, then answered with a transient error. */
  loseResponses = 0;
  /** Artificial latency of each get and put, so concurrency can be observed. */
  latencyMs = 0;

  constructor(inner: ObjectStore = new MemoryStore()) {
    super(inner);
    this.around = async (op, key, run) => {
      if (op !== 'get' && op !== 'put') return await run();
      if (op === 'get') this.gets++;
      else this.puts++;
      const result = await this.#track(run);
      if (op === 'put' && this.loseResponses > 0 && !key.startsWith('_jobkit/')) {
        this.loseResponses--;
        throw slowDown();
      }
      return result;
    };
  }

  async #track<T>(op: () => Promise<T>): Promise<T> {
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      if (this.latencyMs > 0) await new Promise((r) => setTimeout(r, this.latencyMs));
      return await op();
    } finally {
      this.inFlight--;
    }
  }
}
