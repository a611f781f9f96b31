/**
 * A store whose backend is loaded at its first operation. openStore is
 * synchronous, but the S3 backend needs @aws-sdk/client-s3, about 0.1 s of
 * start-up that a job using the fs or memory store (or no store at all)
 * should never pay: openStore returns this, and the first call imports the backend. Its
 * URL is known at once; its errors, capability probe and close() are the
 * backend's.
 */
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
} from './types.ts';
import type { Readable } from 'node:stream';

/**
 * {@link ObjectStore} that creates its backend with `load` on first use, once.
 * A failed load is the error of that call and of every later one.
 *
 * @example
 * ```ts
 * const store = new DeferredStore('s3://bucket/prefix', async () => new (await import('./s3.ts')).S3Store({ bucket: 'bucket' }));
 * await store.head('k'); // loads the S3 backend now
 * ```
 */
export class DeferredStore implements ObjectStore {
  readonly url: string;
  readonly #load: () => Promise<ObjectStore>;
  #target: Promise<ObjectStore> | undefined;

  constructor(url: string, load: () => Promise<ObjectStore>) {
    this.url = url;
    this.#load = load;
  }

  /** Whether the backend was asked for (the first operation started loading it). */
  get loaded(): boolean {
    return this.#target !== undefined;
  }

  #store(): Promise<ObjectStore> {
    this.#target ??= this.#load();
    return this.#target;
  }

  async get(key: string, options?: GetOptions): Promise<StoredObject | undefined> {
    return (await this.#store()).get(key, options);
  }

  async getStream(key: string, options?: GetOptions): Promise<StoredStream | undefined> {
    return (await this.#store()).getStream(key, options);
  }

  async head(key: string, options?: GetOptions): Promise<ObjectInfo | undefined> {
    return (await this.#store()).head(key, options);
  }

  async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo> {
    return (await this.#store()).put(key, body, options);
  }

  async putStream(key: string, body: Readable | AsyncIterable<Uint8Array>, options?: PutStreamOptions): Promise<ObjectInfo> {
    return (await this.#store()).putStream(key, body, options);
  }

  async *list(prefix: string, options?: GetOptions): AsyncIterable<ObjectInfo> {
    yield* (await this.#store()).list(prefix, options);
  }

  async delete(key: string, options?: DeleteOptions): Promise<void> {
    await (await this.#store()).delete(key, options);
  }

  async abortIncompleteUploads(prefix: string, select: (key: string) => boolean, options?: GetOptions): Promise<number> {
    const store = await this.#store();
    return (await store.abortIncompleteUploads?.(prefix, select, options)) ?? 0;
  }

  async capabilities(): Promise<StoreCapabilities> {
    return (await this.#store()).capabilities();
  }

  /** Close the backend if it was loaded; a store never used closes without loading anything. */
  async close(): Promise<void> {
    if (this.#target === undefined) return;
    let store: ObjectStore;
    try {
      store = await this.#target;
    } catch {
      return; // never opened: nothing to release
    }
    await store.close();
  }
}
