/**
 * The in-process cache of COMPLETED records. Only completed records are
 * cached: an in-progress or failed state can change at any moment in another
 * pod, and answering "in progress" from a cache is exactly the stale answer
 * that bit Powertools users. A completed record never changes until it
 * expires, so caching it is safe; expiry is checked on every hit.
 */

/** A completed record as cached: the result's JSON is kept, and parsed per hit, so no caller can mutate another's result. */
export interface CachedCompletion {
  /** sha256 of the key, for events. */
  readonly keyHash: string;
  readonly payloadHash: string | null;
  /** `undefined`: the function returned undefined. */
  readonly resultJson: string | undefined;
  readonly completedAtMs: number;
  /** `null`: never expires. */
  readonly expiresAtMs: number | null;
}

/**
 * A least-recently-used map with a fixed capacity (a Map keeps insertion
 * order, so re-inserting on access makes the first key the least recent).
 *
 * @example
 * ```ts
 * const cache = new CompletionCache(1_000);
 * cache.set('order-42', { keyHash, payloadHash: null, resultJson: '42', completedAtMs: Date.now(), expiresAtMs: null });
 * cache.get('order-42', Date.now())?.resultJson; // '42'
 * ```
 */
export class CompletionCache {
  readonly #capacity: number;
  readonly #entries = new Map<string, CachedCompletion>();

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** The entry, unless absent or expired at `nowMs` (an expired entry is dropped). */
  get(key: string, nowMs: number): CachedCompletion | undefined {
    const entry = this.#entries.get(key);
    if (entry === undefined) return undefined;
    this.#entries.delete(key);
    if (entry.expiresAtMs !== null && nowMs >= entry.expiresAtMs) return undefined;
    this.#entries.set(key, entry);
    return entry;
  }

  /** Remember a completion, evicting the least recently used entry when full. */
  set(key: string, entry: CachedCompletion): void {
    if (this.#capacity <= 0) return;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    if (this.#entries.size > this.#capacity) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
  }

  /** Forget one key (its record expired and is being claimed again). */
  delete(key: string): void {
    this.#entries.delete(key);
  }

  /** Number of cached entries. */
  get size(): number {
    return this.#entries.size;
  }
}
