/**
 * Test helpers of the idempotency unit tests: an identity, a settable clock,
 * and a store wrapper that counts requests and can inject faults.
 */
import { MemoryStore } from '../../../src/store/memory.ts';
import type { ObjectInfo, ObjectStore, PutOptions, StoredObject } from '../../../src/store/types.ts';

export { testIdentity } from '../../support/identity.ts';

/** A clock the test moves by hand; starts at the real time. */
export class TestClock {
  nowMs = Date.now();
  readonly now = (): number => this.nowMs;
  advance(ms: number): void {
    this.nowMs += ms;
  }
}

/** A transient S3-style error (classified retryable). */
export function slowDown(): Error {
  return Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } });
}

/**
 * A MemoryStore that counts gets and puts, tracks puts in flight, and can
 * apply a put and then throw (a lost response).
 */
export class CountingStore extends MemoryStore {
  gets = 0;
  puts = 0;
  inFlight = 0;
  maxInFlight = 0;
  /** When > 0, the next puts are applied, then answered with a transient error. */
  loseResponses = 0;
  /** Artificial latency of each request, so concurrency can be observed. */
  latencyMs = 0;

  override async get(key: string, options?: { signal?: AbortSignal }): Promise<StoredObject | undefined> {
    this.gets++;
    return await this.#track(() => super.get(key, options));
  }

  override async put(key: string, body: Uint8Array | string, options?: PutOptions): Promise<ObjectInfo> {
    this.puts++;
    const info = await this.#track(() => super.put(key, body, options));
    if (this.loseResponses > 0 && !key.startsWith('_jobkit/')) {
      this.loseResponses--;
      throw slowDown();
    }
    return info;
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

/** Read the decoded record under a ledger prefix for a store key. */
export async function readJson(store: ObjectStore, key: string): Promise<Record<string, unknown> | undefined> {
  const obj = await store.get(key);
  return obj === undefined ? undefined : (JSON.parse(Buffer.from(obj.body).toString('utf8')) as Record<string, unknown>);
}

/** A promise and its resolver. */
export function deferred<T = void>(): { promise: Promise<T>; resolve: (value: T) => void } {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
